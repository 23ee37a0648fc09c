// The written backend (src/store-files.ts), for where mmap-io cannot be loaded: each store file
// is read into memory when the store maps it, and `persist` writes the range it is given (widened
// to whole 64-byte lines, as persistent memory would) through to the file with a positioned
// write before it returns; in 'sync' mode an fdatasync follows. The on-disk format, the persist
// order and so the crash guarantees are the mapped backend's: what a persist covers is in the
// page cache (or, in 'sync' mode, on the medium) when it returns. The store persists every byte
// it writes, so the files end up as a mapping would have left them.
// Costs: a system call per persist, and the files' bytes in this process's memory.

import * as fs from 'node:fs';
import { FolderFiles, writeFully } from './store-files';

/** The unit a persist is widened to: a cache line. */
const LINE = 64;

/** Reads the first `length` bytes of the open file `fd` into `buffer`. */
function readFully(fd: number, buffer: Buffer, length: number, file: string): void {
  for (let at = 0; at < length;) {
    const n = fs.readSync(fd, buffer, at, length - at, at);
    if (n === 0) throw new Error(`${file}: shorter than its size while being read`);
    at += n;
  }
}

interface Open {
  file: string;
  fd: number;
}

export class WrittenFiles extends FolderFiles {
  /** Persist calls made through this object (for tests and diagnostics). */
  persists = 0;
  /** The open file behind each buffer handed out. */
  private readonly opened = new Map<Buffer, Open>();
  /** The buffer last handed out for each file: a resize starts from what it holds. */
  private readonly latest = new Map<string, Buffer>();

  map(file: string): Buffer {
    const fd = fs.openSync(file, 'r+');
    try {
      const buffer = Buffer.allocUnsafeSlow(fs.fstatSync(fd).size);
      readFully(fd, buffer, buffer.length, file);
      return this.hold(file, fd, buffer);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  create(file: string, size: number): Buffer {
    return this.setSize(file, 'w+', size, () => this.hold(file, fs.openSync(file, 'r+'), Buffer.alloc(size)));
  }

  resize(file: string, size: number): Buffer {
    return this.setSize(file, 'r+', size, (_fd, oldSize) => {
      const buffer = Buffer.alloc(size);
      const before = this.latest.get(file);
      if (before !== undefined) before.copy(buffer, 0, 0, Math.min(size, before.length));
      else readFully(_fd, buffer, Math.min(size, oldSize), file);
      return this.hold(file, fs.openSync(file, 'r+'), buffer);
    });
  }

  persist(buffer: Buffer, offset: number, length: number): void {
    const open = this.openOf(buffer);
    const start = offset - (offset % LINE);
    const end = Math.min(buffer.length, Math.ceil((offset + length) / LINE) * LINE);
    writeFully(open.fd, buffer, start, end - start, start);
    if (this.sync) fs.fdatasyncSync(open.fd);
    this.persists++;
  }

  /** Every byte the store writes is persisted, so the file holds the buffer already: only the fdatasync is left. */
  persistAll(buffer: Buffer): void {
    const open = this.openOf(buffer);
    if (this.sync) fs.fdatasyncSync(open.fd);
  }

  /** Closes every file this object holds open (an open that failed part-way leaves its buffers behind). */
  releaseAll(): void {
    for (const buffer of [...this.opened.keys()]) this.release(buffer);
  }

  /**
   * Closes the buffer's file. Nothing is written back: the store persists every byte it writes
   * (test/backend.test.ts checks that both backends leave the same files).
   */
  release(buffer: Buffer): void {
    const open = this.opened.get(buffer);
    if (open === undefined) return;
    this.opened.delete(buffer);
    if (this.latest.get(open.file) === buffer) this.latest.delete(open.file);
    fs.closeSync(open.fd);
  }

  private hold(file: string, fd: number, buffer: Buffer): Buffer {
    this.opened.set(buffer, { file, fd });
    this.latest.set(file, buffer);
    return buffer;
  }

  private openOf(buffer: Buffer): Open {
    const open = this.opened.get(buffer);
    if (open === undefined) throw new Error('persist of a buffer this backend did not hand out, or released');
    return open;
  }
}
