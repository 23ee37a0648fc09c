// A model of what an OS crash or power loss leaves of the log folder of durability 'log': real
// files (MappedFiles), with a copy of what was written to each log file and of what was made
// durable by its last fdatasync. A crash image keeps each file's durable bytes and, of the
// 512-byte sectors written after them, any subset (the rest read as zeros, and the file ends
// after the last sector kept). Names count as durable when made: every step that makes one is
// followed by a folder fsync before anything depends on it (FORMAT.md, checkpoint).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { MappedFiles } from '../../src/mapped-files';
import type { Random } from './random';

export const SECTOR = 512;

/** A crash image of the log folder: file name -> contents. */
export type LogImage = Map<string, Buffer>;

export class LogDisk extends MappedFiles {
  /** Runs before every fsync of a log file, every rename and every removal of a file: the moments a crash is tried. */
  onStep: ((what: string) => void) | undefined;
  private readonly written = new Map<string, Buffer>();
  private readonly durable = new Map<string, Buffer>();

  constructor() {
    super(false);
  }

  override writeAt(file: string, data: Uint8Array, offset: number): void {
    super.writeAt(file, data, offset);
    const old = this.written.get(file) ?? Buffer.alloc(0);
    const now = Buffer.alloc(Math.max(old.length, offset + data.length));
    old.copy(now);
    now.set(data, offset);
    this.written.set(file, now);
  }

  override syncFile(file: string): void {
    this.onStep?.(`fsync ${path.basename(file)}`);
    super.syncFile(file);
    this.durable.set(file, Buffer.from(this.written.get(file) ?? Buffer.alloc(0)));
  }

  override shrinkFile(file: string, size: number): void {
    this.onStep?.(`shrink ${path.basename(file)}`);
    super.shrinkFile(file, size);
    for (const map of [this.written, this.durable]) {
      const bytes = map.get(file);
      if (bytes) map.set(file, Buffer.from(bytes.subarray(0, size)));
    }
  }

  override rename(from: string, to: string): void {
    this.onStep?.(`rename ${path.basename(from)}`);
    super.rename(from, to);
    for (const map of [this.written, this.durable]) {
      const bytes = map.get(from);
      map.delete(from);
      if (bytes) map.set(to, bytes);
    }
  }

  override remove(file: string): void {
    if (fs.existsSync(file)) this.onStep?.(`remove ${path.basename(file)}`);
    super.remove(file);
    this.written.delete(file);
    this.durable.delete(file);
  }

  /**
   * Power-loss images of the log folder `logDir`: none of the unsynced sectors, all of them,
   * and `randomImages` random subsets.
   */
  powerLossImages(logDir: string, rnd: Random, randomImages: number): LogImage[] {
    const files = [...this.written.keys()].filter((f) => path.dirname(f) === logDir);
    const build = (keep: (file: string, sector: number) => boolean): LogImage => {
      const image: LogImage = new Map();
      for (const file of files) {
        const wrote = this.written.get(file)!;
        const synced = this.durable.get(file) ?? Buffer.alloc(0);
        const bytes = Buffer.alloc(wrote.length);
        synced.copy(bytes);
        let end = synced.length;
        for (let at = synced.length - (synced.length % SECTOR); at < wrote.length; at += SECTOR) {
          const stop = Math.min(at + SECTOR, wrote.length);
          if (at + SECTOR <= synced.length || !keep(file, at / SECTOR)) continue;
          wrote.copy(bytes, at, at, stop);
          end = Math.max(end, stop);
        }
        image.set(path.basename(file), bytes.subarray(0, end));
      }
      return image;
    };
    const images = [build(() => false), build(() => true)];
    for (let i = 0; i < randomImages; i++) images.push(build(() => rnd.below(2) === 1));
    return images;
  }

  /** What a process death leaves of the log folder: everything written. */
  processDeathImage(logDir: string): LogImage {
    const image: LogImage = new Map();
    for (const [file, bytes] of this.written) if (path.dirname(file) === logDir) image.set(path.basename(file), bytes);
    return image;
  }
}
