// The mapped-file layer: every file operation of a store, and `persist`, the analogue of
// pmem_persist. The store reaches its folder only through a `StoreFiles` object, so a test can
// hand it a double (test/helpers/simulated-files.ts keeps a durable image apart from what the
// program sees, to build the states a power loss can leave). `MappedFiles` is the real one, and
// the only importer of mmap-io: files are mapped MAP_SHARED, read-write.
//
// Ordering: JavaScript runs single-threaded and x86-64 keeps stores in program order, so a store
// made before `persist` returns reaches the page cache before any store made after it. With
// durability 'process' that is all that is needed (the page cache outlives the process). With
// 'sync', persist also msyncs the touched pages before returning, created files are fsynced, and
// the folder is fsynced where FORMAT.md's steps need a new name to survive an OS crash.
// Tests subclass MappedFiles to kill the process after a given persist or to fail a file
// operation (test/helpers/test-files.ts).

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

type MmapIo = typeof import('mmap-io').default;
type Msync = (buffer: Buffer, offset: number, size: number, blocking: boolean, invalidate: boolean) => void;

/**
 * mmap-io's own loader (node-pre-gyp) costs about 40 ms at start-up and parses process.argv,
 * misreading options of ours such as `--dir`. The binding it would find is loaded directly when
 * it is where node-pre-gyp builds it; otherwise through mmap-io, with a neutral argv.
 */
function loadMmapIo(): { mmap: MmapIo; msync: Msync } {
  let binding: string | undefined;
  try {
    const root = path.dirname(require.resolve('mmap-io/package.json'));
    binding = path.join(
      root,
      'build',
      'binding',
      'Release',
      `node-v${process.versions.modules}-${process.platform}-${process.arch}`,
      'mmap_io.node',
    );
  } catch {
    binding = undefined;
  }
  if (binding && fs.existsSync(binding)) {
    // The raw binding: msync is its `sync_lib_private__`, which mmap-io's JavaScript wraps (and
    // deletes from the shared native object when it is evaluated, hence the copy kept on it).
    const raw = require(binding) as MmapIo & Record<string, Msync | undefined>; // eslint-disable-line @typescript-eslint/no-require-imports
    raw.__pmehash_msync__ ??= raw.sync_lib_private__ ?? ((b, o, s, bl, inv) => raw.sync(b, o, s, bl, inv));
    return { mmap: raw, msync: raw.__pmehash_msync__ };
  }
  const argv = process.argv;
  process.argv = argv.slice(0, 2);
  try {
    const mmap = require('mmap-io') as MmapIo & Record<string, Msync | undefined>; // eslint-disable-line @typescript-eslint/no-require-imports
    mmap.__pmehash_msync__ ??= (b, o, s, bl, inv) => mmap.sync(b, o, s, bl, inv);
    return { mmap, msync: mmap.__pmehash_msync__ };
  } finally {
    process.argv = argv;
  }
}

const { mmap, msync } = loadMmapIo();
const PAGE = mmap.PAGESIZE;

/** The real files: mmap-io mappings of the folder's files. */
export class MappedFiles implements StoreFiles {
  /** Persist calls made through this object (for tests and diagnostics). */
  persists = 0;
  /** msync calls made (durability 'sync' only). */
  msyncs = 0;

  constructor(readonly sync: boolean) {}

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

  /** The descriptor is closed at once; the mapping stays valid. */
  map(file: string): Buffer {
    const fd = fs.openSync(file, 'r+');
    try {
      return mapFd(fd, fs.fstatSync(fd).size);
    } finally {
      fs.closeSync(fd);
    }
  }

  create(file: string, size: number): Buffer {
    return this.resizeAndMap(file, 'w+', size);
  }

  resize(file: string, size: number): Buffer {
    return this.resizeAndMap(file, 'r+', size);
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

  persist(buffer: Buffer, offset: number, length: number): void {
    if (this.sync) {
      const start = offset - (offset % PAGE);
      msync(buffer, start, offset + length - start, true, false);
      this.msyncs++;
    }
    this.persists++;
  }

  persistAll(buffer: Buffer): void {
    if (this.sync) {
      msync(buffer, 0, buffer.length, true, false);
      this.msyncs++;
    }
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
      for (let at = 0; at < data.length;) at += fs.writeSync(fd, data, at, data.length - at, offset + at);
    } finally {
      fs.closeSync(fd);
    }
  }

  shrinkFile(file: string, size: number): void {
    fs.truncateSync(file, size);
  }

  syncFile(file: string): void {
    const fd = fs.openSync(file, 'r+');
    try {
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Mappings are unmapped only when garbage-collected; until then the pages of a closed store
   * (or of a catalog mapped anew after resizing) would still count in this process's memory.
   * For a shared file mapping, MADV_DONTNEED only drops the page-table entries: the data stays
   * in the file (dirty pages included), and the mapping would read it back.
   */
  release(buffer: Buffer): void {
    mmap.advise(buffer, mmap.MADV_DONTNEED);
  }

  /**
   * Sets the size of `file` (opened with `flags`; new bytes read as zero, with their space
   * allocated) and maps all of it; fsynced in 'sync' mode. The size changes in one step
   * (ftruncate) before the new part is allocated, so a crash leaves the old size or the new
   * one; when the allocation fails the file goes back to its old size (all that any existing
   * mapping of it covers) and the error is thrown.
   */
  private resizeAndMap(file: string, flags: 'w+' | 'r+', size: number): Buffer {
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
      return mapFd(fd, size);
    } finally {
      fs.closeSync(fd);
    }
  }
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

/**
 * Maps a whole file. MAP_POPULATE sets up every page of the mapping now, in one system call,
 * instead of one page fault at the first touch of each 4 KiB page (about 1.7 us each here):
 * a split then writes into a new page file without faulting (220w load: 1-5% faster, near the
 * noise of this machine).
 */
function mapFd(fd: number, size: number): Buffer {
  const readWrite = (mmap.PROT_READ | mmap.PROT_WRITE) as 3;
  return mmap.map(size, readWrite, mmap.MAP_SHARED | mmap.MAP_POPULATE, fd, 0);
}
