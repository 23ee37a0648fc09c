// The mapped backend (src/store-files.ts): every store file mapped MAP_SHARED, read-write, with
// mmap-io, the only importer of that native addon. It is loaded at the first MappedFiles made,
// not when this module is; where it cannot be (no compiler when it was installed, install
// scripts held back), `mmapLoadError` says why and src/backend.ts falls back to WrittenFiles.
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
import { FolderFiles } from './store-files';

type MmapIo = typeof import('mmap-io').default;
type Msync = (buffer: Buffer, offset: number, size: number, blocking: boolean, invalidate: boolean) => void;

/**
 * mmap-io's own loader (node-pre-gyp) costs about 40 ms at start-up and parses process.argv,
 * misreading options of ours such as `--dir`. The binding it would find is loaded directly when
 * it is where node-pre-gyp builds it; otherwise through mmap-io, with a neutral argv.
 */
function loadMmapIo(): { mmap: MmapIo; msync: Msync } {
  if (process.env.PMEHASH_TEST_NO_MMAP === '1') throw new Error('mmap-io made unavailable by PMEHASH_TEST_NO_MMAP');
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
  } catch (err) {
    if (binding === undefined) throw new Error('mmap-io is not installed (an optional dependency)', { cause: err });
    if ((err as { code?: unknown }).code === 'MODULE_NOT_FOUND')
      throw new Error('its native binding was never built (its install script did not run, or failed)', { cause: err });
    throw err;
  } finally {
    process.argv = argv;
  }
}

let loaded: { mmap: MmapIo; msync: Msync } | undefined;
let loadError: string | undefined;

/** Why mmap-io cannot be loaded in this process (one line), or undefined when it can. */
export function mmapLoadError(): string | undefined {
  if (loaded === undefined && loadError === undefined) {
    try {
      loaded = loadMmapIo();
    } catch (err) {
      loadError = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    }
  }
  return loadError;
}

function mmapIo(): { mmap: MmapIo; msync: Msync } {
  const error = mmapLoadError();
  if (error !== undefined) throw new Error(`mmap-io cannot be loaded: ${error}`);
  return loaded!;
}

/** The mapped backend: mmap-io mappings of the folder's files. */
export class MappedFiles extends FolderFiles {
  /** Persist calls made through this object (for tests and diagnostics). */
  persists = 0;
  /** msync calls made (durability 'sync' only). */
  msyncs = 0;
  private readonly io = mmapIo();
  private readonly page = this.io.mmap.PAGESIZE;

  /** The descriptor is closed at once; the mapping stays valid. */
  map(file: string): Buffer {
    const fd = fs.openSync(file, 'r+');
    try {
      return this.mapFd(fd, fs.fstatSync(fd).size);
    } finally {
      fs.closeSync(fd);
    }
  }

  create(file: string, size: number): Buffer {
    return this.setSize(file, 'w+', size, (fd) => this.mapFd(fd, size));
  }

  resize(file: string, size: number): Buffer {
    return this.setSize(file, 'r+', size, (fd) => this.mapFd(fd, size));
  }

  persist(buffer: Buffer, offset: number, length: number): void {
    if (this.sync) {
      const start = offset - (offset % this.page);
      this.io.msync(buffer, start, offset + length - start, true, false);
      this.msyncs++;
    }
    this.persists++;
  }

  persistAll(buffer: Buffer): void {
    if (this.sync) {
      this.io.msync(buffer, 0, buffer.length, true, false);
      this.msyncs++;
    }
  }

  /**
   * Mappings are unmapped only when garbage-collected; until then the pages of a closed store
   * (or of a catalog mapped anew after resizing) would still count in this process's memory.
   * For a shared file mapping, MADV_DONTNEED only drops the page-table entries: the data stays
   * in the file (dirty pages included), and the mapping would read it back.
   */
  release(buffer: Buffer): void {
    this.io.mmap.advise(buffer, this.io.mmap.MADV_DONTNEED);
  }

  /**
   * Maps a whole file. MAP_POPULATE sets up every page of the mapping now, in one system call,
   * instead of one page fault at the first touch of each 4 KiB page (about 1.7 us each here):
   * a split then writes into a new page file without faulting (220w load: 1-5% faster, near the
   * noise of this machine).
   */
  private mapFd(fd: number, size: number): Buffer {
    const { mmap } = this.io;
    const readWrite = (mmap.PROT_READ | mmap.PROT_WRITE) as 3;
    return mmap.map(size, readWrite, mmap.MAP_SHARED | mmap.MAP_POPULATE, fd, 0);
  }
}
