// A progress bar on stderr for phases longer than a second, and only when stderr is a terminal.

import { SingleBar, Presets } from 'cli-progress';

const DELAY_MS = 1000;

export class Progress {
  private bar: SingleBar | undefined;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly enabled: boolean,
  ) {}

  update(done: number): void {
    if (!this.enabled || !process.stderr.isTTY) return;
    if (!this.bar) {
      if (Date.now() - this.started < DELAY_MS) return;
      this.bar = new SingleBar(
        {
          format: `${this.label.padEnd(5)} [{bar}] {percentage}% | {value}/{total} ops | eta {eta}s`,
          stream: process.stderr,
        },
        Presets.shades_classic,
      );
      this.bar.start(this.total, done);
      return;
    }
    this.bar.update(done);
  }

  stop(): void {
    this.bar?.stop();
  }
}
