// How the `pmehash` command writes and ends. Standard output is written synchronously through
// its file descriptor rather than process.stdout: a write returns once the reader has taken it
// (so `dump` of a large store holds one chunk in memory, never the whole store, even when the
// reader is slow), and a reader that has gone (`pmehash dump | head`) is noticed by the write
// that fails with EPIPE, which stops the command quietly instead of failing later, outside it.

import * as fs from 'node:fs';

/** Exit codes of the command (README, "The `pmehash` command"). */
export const EXIT_OK = 0;
/** A usage error, a key absent (get, del), problems found (check), any other failure. */
export const EXIT_FAILED = 1;
/** The store is corrupt or cannot be opened (missing, locked, unreadable). */
export const EXIT_UNOPENABLE = 2;

/** Thrown by writeOut when the reader of standard output has gone: the command stops, exit 0. */
export class OutputClosed extends Error {
  constructor() {
    super('standard output closed by its reader');
    this.name = 'OutputClosed';
  }
}

/** An error the command reports as one line, with its own exit code. */
export class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExitError';
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes `text` to standard output, all of it, before returning. */
export function writeOut(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length;) {
    try {
      at += fs.writeSync(1, bytes, at, bytes.length - at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') throw new OutputClosed();
      if (code !== 'EAGAIN') throw err;
      // A non-blocking descriptor (process.stdout was opened on this pipe) whose reader is
      // behind: wait a millisecond for it rather than spin.
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

/** The message of anything thrown, on one line. */
export function messageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
