// What a store does with its folder: the `StoreFiles` interface every file operation of a store
// goes through, and `persist`, the analogue of pmem_persist, its one ordering point. Two backends
// implement it (src/backend.ts chooses): `MappedFiles` maps the files with mmap-io, as the
// course's design has it; `WrittenFiles`, for a machine where that native addon cannot be
// built, keeps each file in memory and writes every persisted range through to the file. A
// test can hand the store a double instead (test/helpers/simulated-files.ts keeps a durable image
// apart from what the program sees, to build the states a power loss can leave).
// `FolderFiles` holds what the backends share: the operations on names and on whole files.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** A name in a store folder. */
export interface FolderEntry {
  name: string;
  isFile: boolean;
}

/** What a store does with its folder. Paths are absolute file paths inside the store folder. */
export interface StoreFiles {
  /** Durability 'sync': persists reach the medium before they return. */
  readonly sync: boolean;
  list(dir: string): FolderEntry[];
  exists(file: string): boolean;
  size(file: string): number;
  /** The whole file, read (not mapped). */
  read(file: string): Buffer;
  /** Maps all of an existing file. */
  map(file: string): Buffer;
  /** Creates (or truncates) `file` as `size` zero bytes and maps it. */
  create(file: string, size: number): Buffer;
  /** Resizes `file` (new bytes read as zero) and returns a new mapping of all of it. */
  resize(file: string, size: number): Buffer;
  remove(file: string): void;
  rename(from: string, to: string): void;
  /** Makes created, renamed and removed names of `dir` durable (a no-op unless `sync`). */
  syncFolder(dir: string): void;
  /** Makes `length` bytes at `offset` of a mapping durable: the one ordering point. */
  persist(buffer: Buffer, offset: number, length: number): void;
  /** Makes a whole mapping durable. */
  persistAll(buffer: Buffer): void;
  /** Gives back a mapping's resident pages; the caller never touches the buffer again. */
  release(buffer: Buffer): void;
  /** Releases every mapping still held (after an open that failed part-way); optional. */
  releaseAll?(): void;
  /** Durability 'log': makes `dir` when missing, its name durable in its parent. */
  makeFolder(dir: string): void;
  /** Durability 'log': makes created, renamed and removed names of `dir` durable, in every mode. */
  syncLogFolder(dir: string): void;
  /**
   * Durability 'log': writes `data` at `offset` of `file` (made when missing) through the file,
   * not a mapping: the bytes may reach the medium in any order until syncFile.
   */
  writeAt(file: string, data: Uint8Array, offset: number): void;
  /** Durability 'log': makes `file`'s contents durable (fdatasync), in every durability mode. */
  syncFile(file: string): void;
  /** Durability 'log': cuts `file` (not mapped) to `size` bytes, to remove a large one in steps. */
  shrinkFile(file: string, size: number): void;
}

/** The operations on names and whole files that both backends make alike. */
export abstract class FolderFiles implements StoreFiles {
  constructor(readonly sync: boolean) {}

  abstract map(file: string): Buffer;
  abstract create(file: string, size: number): Buffer;
  abstract resize(file: string, size: number): Buffer;
  abstract persist(buffer: Buffer, offset: number, length: number): void;
  abstract persistAll(buffer: Buffer): void;
  abstract release(buffer: Buffer): void;

  list(dir: string): FolderEntry[] {
    return fs.readdirSync(dir, { withFileTypes: true }).map((e) => ({ name: e.name, isFile: e.isFile() }));
  }

  exists(file: string): boolean {
    return fs.existsSync(file);
  }

  size(file: string): number {
    return fs.statSync(file).size;
  }

  read(file: string): Buffer {
    return fs.readFileSync(file);
  }

  remove(file: string): void {
    fs.rmSync(file, { force: true });
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  }

  syncFolder(dir: string): void {
    if (this.sync) fsyncFolder(dir);
  }

  makeFolder(dir: string): void {
    if (fs.existsSync(dir)) return;
    fs.mkdirSync(dir, { recursive: true });
    fsyncFolder(path.dirname(dir));
  }

  syncLogFolder(dir: string): void {
    fsyncFolder(dir);
  }

  writeAt(file: string, data: Uint8Array, offset: number): void {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT);
    try {
      writeFully(fd, data, 0, data.length, offset);
    } finally {
      fs.closeSync(fd);
    }
  }

  syncFile(file: string): void {
    const fd = fs.openSync(file, 'r+');
    try {
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  shrinkFile(file: string, size: number): void {
    fs.truncateSync(file, size);
  }

  /**
   * Sets the size of `file` (opened with `flags`; new bytes read as zero, with their space
   * allocated), fsynced in 'sync' mode, and hands the open descriptor to `then`. The size
   * changes in one step (ftruncate) before the new part is allocated, so a crash leaves the old
   * size or the new one; when the allocation fails the file goes back to its old size (all that
   * any existing mapping of it covers) and the error is thrown.
   */
  protected setSize<T>(file: string, flags: 'w+' | 'r+', size: number, then: (fd: number, oldSize: number) => T): T {
    const fd = fs.openSync(file, flags);
    try {
      const oldSize = fs.fstatSync(fd).size;
      fs.ftruncateSync(fd, size);
      if (size > oldSize) {
        try {
          allocateZeros(fd, oldSize, size);
        } catch (err) {
          try {
            fs.ftruncateSync(fd, oldSize);
          } catch {
            // The allocation's error is the one to report.
          }
          throw err;
        }
      }
      if (this.sync) fs.fsyncSync(fd);
      return then(fd, oldSize);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Writes bytes [from, from + length) of `data` at `position` of the open file `fd`, all of them. */
export function writeFully(fd: number, data: Uint8Array, from: number, length: number, position: number): void {
  for (let at = 0; at < length;) at += fs.writeSync(fd, data, from + at, length - at, position + at);
}

function fsyncFolder(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const ZEROS = Buffer.alloc(64 * 1024);

/**
 * Makes bytes [from, to) of the open file `fd` real by writing zeros over them. ftruncate alone
 * leaves a sparse range with no blocks behind it, and on a full file system the first store into
 * such a mapped page kills the process with SIGBUS; written zeros make the file system allocate
 * now, so a full one fails here with ENOSPC (Node has no fallocate). Does not help on a file
 * system that stores zero blocks as holes (ZFS or btrfs with compression).
 */
function allocateZeros(fd: number, from: number, to: number): void {
  for (let at = from; at < to;) at += fs.writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, to - at), at);
}
