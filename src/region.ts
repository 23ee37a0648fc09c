// The only importer of mmap-io. Maps store files (MAP_SHARED, read-write) and owns `persist`,
// the analogue of pmem_persist: every store to mapped memory that must survive ends in a call
// to `persist(buffer, offset, length)` before the next dependent store is made.
//
// Ordering: JavaScript runs single-threaded and x86-64 keeps stores in program order, so a
// store made before `persist` returns reaches the page cache before any store made after it.
// With durability 'process' that is all that is needed (the page cache outlives the process).
// With 'sync', persist also msyncs the touched pages before returning.
//
// Test hooks: PMEHASH_CRASH_AFTER_PERSIST=N kills the process with SIGKILL right after the
// N-th persist call of the process; `setFaultHook` makes file creation or growth fail.

import * as fs from 'node:fs';

type MmapIo = typeof import('mmap-io').default;

/**
 * mmap-io's binding loader (node-pre-gyp) parses process.argv when it is loaded and misreads
 * options of ours such as `--dir`; it is loaded with a neutral argv, once.
 */
function loadMmapIo(): MmapIo {
  const argv = process.argv;
  process.argv = argv.slice(0, 2);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('mmap-io') as MmapIo;
  } finally {
    process.argv = argv;
  }
}

const mmap = loadMmapIo();

/**
 * mmap-io's `sync` wrapper takes the native msync function off the shared native module object
 * when its JavaScript is evaluated; a second evaluation in the same process (Jest re-evaluates
 * modules for every test file) finds it gone and installs a broken `sync`. The first, working
 * wrapper is therefore kept on the native object itself and used from there.
 */
type SyncFn = MmapIo['sync'];
const SYNC_KEY = '__pmehash_msync__';
const native = mmap as unknown as Record<string, SyncFn | undefined>;
native[SYNC_KEY] ??= mmap.sync;
const msync = native[SYNC_KEY] as (buffer: Buffer, offset: number, size: number, blocking: boolean, invalidate: boolean) => void;

const PAGE = mmap.PAGESIZE;
const crashAfter = Number(process.env.PMEHASH_CRASH_AFTER_PERSIST ?? 0) | 0;
let persistCount = 0;
let msyncCount = 0;

/** Number of persist calls made by this process (for tests). */
export function persistCalls(): number {
  return persistCount;
}

/** Number of msync calls made by this process (for tests of durability 'sync'). */
export function msyncCalls(): number {
  return msyncCount;
}

export class Persistence {
  constructor(readonly sync: boolean) {}

  persist(buffer: Buffer, offset: number, length: number): void {
    if (this.sync) {
      const start = offset - (offset % PAGE);
      msync(buffer, start, offset + length - start, true, false);
      msyncCount++;
    }
    persistCount++;
    if (persistCount === crashAfter) process.kill(process.pid, 'SIGKILL');
  }

  /** Writes back a whole mapping (used on close in 'sync' mode and after file growth). */
  persistAll(buffer: Buffer): void {
    if (this.sync) {
      msync(buffer, 0, buffer.length, true, false);
      msyncCount++;
    }
  }
}

/**
 * Gives back a mapping's resident pages at once: mappings are unmapped only when garbage
 * collected, and until then the pages of a closed store (or of a catalog file mapped anew
 * after growing) still count in this process's memory. For a shared file mapping,
 * MADV_DONTNEED only drops the page-table entries: the data stays in the file (dirty pages
 * included), and the mapping would read it back. Callers never touch the buffer again.
 */
export function releaseMapping(buffer: Buffer): void {
  mmap.advise(buffer, mmap.MADV_DONTNEED);
}

export type FileOperation = 'create' | 'grow';
type FaultHook = (op: FileOperation, file: string) => void;
let faultHook: FaultHook | undefined;

/** Test hook: `hook` runs before every file creation or growth and may throw to simulate ENOSPC/EIO. */
export function setFaultHook(hook: FaultHook | undefined): void {
  faultHook = hook;
}

function mapFd(fd: number, size: number): Buffer {
  const readWrite = (mmap.PROT_READ | mmap.PROT_WRITE) as 3;
  return mmap.map(size, readWrite, mmap.MAP_SHARED, fd, 0);
}

/** Maps all of an existing file. The descriptor is closed at once; the mapping stays valid. */
export function mapFile(file: string): Buffer {
  const fd = fs.openSync(file, 'r+');
  try {
    return mapFd(fd, fs.fstatSync(fd).size);
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
  for (let at = from; at < to; ) at += fs.writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, to - at), at);
}

/**
 * Sets the size of `file` (new bytes read as zero, with their space allocated) and maps all of
 * it. The size changes in one step (ftruncate) before the new part is allocated, so a crash
 * leaves the old size or the new one; when the allocation fails the file goes back to its old
 * size (which is all any existing mapping of it covers) and the error is thrown.
 */
function resizeAndMap(file: string, flags: 'w+' | 'r+', size: number, sync: boolean): Buffer {
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
    if (sync) fs.fsyncSync(fd);
    return mapFd(fd, size);
  } finally {
    fs.closeSync(fd);
  }
}

/** Creates (or truncates) `file` as `size` zero bytes, their space allocated, and maps it. */
export function createFile(file: string, size: number, sync: boolean): Buffer {
  faultHook?.('create', file);
  return resizeAndMap(file, 'w+', size, sync);
}

/**
 * Extends (allocating the new bytes) or shrinks `file` to `size` bytes and returns a new mapping
 * of all of it. On failure the file keeps its size.
 */
export function growFile(file: string, size: number, sync: boolean): Buffer {
  faultHook?.('grow', file);
  return resizeAndMap(file, 'r+', size, sync);
}

/** fsync of a folder, so that a created or removed name survives an OS crash. */
export function syncFolder(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
