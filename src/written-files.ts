// The written backend (src/store-files.ts), for where mmap-io cannot be loaded: each store file
// is read into memory when the store maps it, and `persist` writes the range it is given (widened
// to whole 64-byte lines, as persistent memory would) through to the file with a positioned
// write before it returns; in 'sync' mode an fdatasync follows. The on-disk format, the persist
// order and so the crash guarantees are the mapped backend's: what a persist covers is in the
// page cache (or, in 'sync' mode, on the medium) when it returns. The store persists every byte
// it writes, so the files end up as a mapping would have left them.
// Costs: a system call per persist, and the files' bytes in this process's memory.
//
// Threads: the metadata, the catalog and the page files live in growable SharedArrayBuffers (the
// `FileArenas` a share handle carries), so that every thread of a shared store sees the same
// bytes, also of page files another thread makes later: page file i at (i - 1) * its size in one
// arena, the catalog at 0 of another. An arena never shrinks (a shrunk file's view is shorter,
// and a file grown again reads zeros where it grew). Each is loaded from its file once, when the
// store is opened; after that the memory is what is current, and a thread maps views of it.
// Other files (batch records) are one thread's each, in memory of its own.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CATALOG_FILE, METADATA_FILE, pageFileId } from './files';
import { PmEHashError } from './errors';
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

/** Largest arena: the written backend holds stores of up to 4 GiB of page files. */
const ARENA_MAX_BYTES = 2 ** 32;
/** Words of the arenas' shared state. */
const LOADED_META = 0; // 1 once the metadata is in its arena
const LOADED_CATALOG = 1; // 1 once the catalog is
const LOADED_PAGES = 2; // page files 1 .. this are in the page arena
const PAGE_FILE_BYTES = 3; // the size of every page file (0 before the first)
const STATE_WORDS = 4;

/** The memory of a store's shared files on the written backend, as a share handle carries it. */
export interface FileArenas {
  readonly meta: SharedArrayBuffer;
  readonly catalog: SharedArrayBuffer;
  readonly pages: SharedArrayBuffer;
  /** Int32 words: LOADED_META, LOADED_CATALOG, LOADED_PAGES, PAGE_FILE_BYTES. */
  readonly state: SharedArrayBuffer;
}

/** A growable SharedArrayBuffer (ES2024, in Node 20; not yet in this TypeScript's library). */
type Growable = SharedArrayBuffer & { grow(bytes: number): void };
const GrowableBuffer = SharedArrayBuffer as unknown as new (
  bytes: number,
  options: { maxByteLength: number },
) => Growable;

/** Empty arenas for a store about to be opened. */
export function newFileArenas(): FileArenas {
  const growable = () => new GrowableBuffer(0, { maxByteLength: ARENA_MAX_BYTES });
  return { meta: growable(), catalog: growable(), pages: growable(), state: new SharedArrayBuffer(4 * STATE_WORDS) };
}

export class WrittenFiles extends FolderFiles {
  /** Persist calls made through this object (for tests and diagnostics). */
  persists = 0;
  /** The open file behind each buffer handed out. */
  private readonly opened = new Map<Buffer, Open>();
  /** The buffer last handed out for each file: a resize starts from what it holds. */
  private readonly latest = new Map<string, Buffer>();
  private loaded: Int32Array;

  constructor(
    sync: boolean,
    /** The shared files' memory: new for a store being opened, the owner's for a thread attaching. */
    public arenas: FileArenas = newFileArenas(),
  ) {
    super(sync);
    this.loaded = new Int32Array(arenas.state);
  }

  map(file: string): Buffer {
    const fd = fs.openSync(file, 'r+');
    try {
      const size = fs.fstatSync(fd).size;
      const place = this.placeOf(file, size);
      if (place === undefined) {
        const buffer = Buffer.allocUnsafeSlow(size);
        readFully(fd, buffer, size, file);
        return this.hold(file, fd, buffer);
      }
      const view = this.view(place.arena, place.offset, size);
      if (!this.isLoaded(place)) {
        readFully(fd, view, size, file);
        this.markLoaded(place);
      }
      return this.hold(file, fd, view);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  create(file: string, size: number): Buffer {
    return this.setSize(file, 'w+', size, () => {
      const place = this.placeOf(file, size);
      let buffer: Buffer;
      if (place === undefined) buffer = Buffer.alloc(size);
      else {
        buffer = this.view(place.arena, place.offset, size);
        buffer.fill(0); // a file of that name may have been there before
        this.markLoaded(place);
      }
      return this.hold(file, fs.openSync(file, 'r+'), buffer);
    });
  }

  resize(file: string, size: number): Buffer {
    return this.setSize(file, 'r+', size, (fd, oldSize) => {
      const place = this.placeOf(file, size);
      if (place !== undefined) {
        // In place: what the arena holds up to the old size stays; what the file gained reads zeros.
        const buffer = this.view(place.arena, place.offset, size);
        if (size > oldSize) buffer.fill(0, oldSize);
        return this.hold(file, fs.openSync(file, 'r+'), buffer);
      }
      const buffer = Buffer.alloc(size);
      const before = this.latest.get(file);
      if (before !== undefined) before.copy(buffer, 0, 0, Math.min(size, before.length));
      else readFully(fd, buffer, Math.min(size, oldSize), file);
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

  /**
   * Closes every file this object holds open (an open that failed part-way leaves its buffers
   * behind), and starts from empty arenas: what they held is no store's any more.
   */
  releaseAll(): void {
    for (const buffer of [...this.opened.keys()]) this.release(buffer);
    this.arenas = newFileArenas();
    this.loaded = new Int32Array(this.arenas.state);
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

  /** Where a shared file lives: its arena and offset; undefined for a file of one thread's own. */
  private placeOf(file: string, size: number): { arena: SharedArrayBuffer; offset: number; id: number } | undefined {
    const name = path.basename(file);
    if (name === METADATA_FILE) return { arena: this.arenas.meta, offset: 0, id: -LOADED_META - 1 };
    if (name === CATALOG_FILE) return { arena: this.arenas.catalog, offset: 0, id: -LOADED_CATALOG - 1 };
    const id = pageFileId(name);
    if (id <= 0) return undefined;
    if (this.loaded[PAGE_FILE_BYTES] === 0) this.loaded[PAGE_FILE_BYTES] = size;
    return { arena: this.arenas.pages, offset: (id - 1) * this.loaded[PAGE_FILE_BYTES], id };
  }

  private isLoaded(place: { id: number }): boolean {
    return place.id < 0
      ? Atomics.load(this.loaded, -place.id - 1) === 1
      : place.id <= Atomics.load(this.loaded, LOADED_PAGES);
  }

  private markLoaded(place: { id: number }): void {
    if (place.id < 0) Atomics.store(this.loaded, -place.id - 1, 1);
    else if (place.id > Atomics.load(this.loaded, LOADED_PAGES)) Atomics.store(this.loaded, LOADED_PAGES, place.id);
  }

  /** `size` bytes of `arena` at `offset`, the arena grown first when it is shorter. */
  private view(arena: SharedArrayBuffer, offset: number, size: number): Buffer {
    const end = offset + size;
    if (end > ARENA_MAX_BYTES)
      throw new PmEHashError(
        'PMEHASH_FULL',
        `the written backend holds stores of up to ${ARENA_MAX_BYTES} bytes of page files`,
      );
    try {
      if (arena.byteLength < end) (arena as Growable).grow(end);
    } catch (err) {
      if (arena.byteLength < end) throw err; // another thread grew it meanwhile: fine if far enough
    }
    return Buffer.from(arena, offset, size);
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
