// pm_ehash_catalog: the directory of 2^globalDepth pm_address entries. Entry i is the bucket of
// every key whose hash has low globalDepth bits equal to i. The file may hold 2^(globalDepth+1)
// entries while a doubling is under way (the upper half is not live until metadata says so).

import { CATALOG_ENTRY_SIZE, PM_ADDRESS_FILE_ID_OFFSET, PM_ADDRESS_OFFSET_OFFSET, WORD } from '../include-types/layout';
import { pow2 } from './bits';
import { CATALOG_FILE, filePath } from './files';
import type { StoreFiles } from './store-files';

const ENTRY_WORDS = CATALOG_ENTRY_SIZE / WORD;
const FILE_ID_WORD = PM_ADDRESS_FILE_ID_OFFSET / WORD;
const OFFSET_WORD = PM_ADDRESS_OFFSET_OFFSET / WORD;

/** At most this many redirected entries are persisted one by one rather than as one range. */
const REDIRECT_ENTRY_PERSISTS = 16;

export class Catalog {
  private buffer: Buffer;
  /** entry i: words[2i] = fileId, words[2i+1] = offset. Replaced when the file is remapped. */
  words: Uint32Array;
  private readonly path: string;

  private constructor(
    dir: string,
    buffer: Buffer,
    private readonly files: StoreFiles,
  ) {
    this.path = filePath(dir, CATALOG_FILE);
    this.buffer = buffer;
    this.words = Catalog.view(buffer);
  }

  static create(dir: string, files: StoreFiles): Catalog {
    return new Catalog(dir, files.create(filePath(dir, CATALOG_FILE), CATALOG_ENTRY_SIZE), files);
  }

  static open(dir: string, files: StoreFiles): Catalog {
    return new Catalog(dir, files.map(filePath(dir, CATALOG_FILE)), files);
  }

  private static view(buffer: Buffer): Uint32Array {
    return new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length / WORD);
  }

  /** Entries the file can hold. */
  get capacity(): number {
    return this.buffer.length / CATALOG_ENTRY_SIZE;
  }

  /**
   * Entries are written and read with Atomics: set by a store shared between threads on a CPU
   * that may reorder plain accesses (SharedControl.inOrder false). A thread that reads an entry
   * a split has just pointed at the new bucket must then also see that bucket's contents, which
   * the split wrote before the entry; only an Atomics.store read by an Atomics.load says so.
   */
  atomicEntries = false;

  fileId(i: number): number {
    const at = i * ENTRY_WORDS + FILE_ID_WORD;
    return this.atomicEntries ? Atomics.load(this.words, at) : this.words[at];
  }

  offset(i: number): number {
    const at = i * ENTRY_WORDS + OFFSET_WORD;
    return this.atomicEntries ? Atomics.load(this.words, at) : this.words[at];
  }

  /** Sets entry i without persisting; callers persist the range they changed. */
  set(i: number, fileId: number, offset: number): void {
    if (this.atomicEntries) {
      Atomics.store(this.words, i * ENTRY_WORDS + FILE_ID_WORD, fileId);
      Atomics.store(this.words, i * ENTRY_WORDS + OFFSET_WORD, offset);
      return;
    }
    this.words[i * ENTRY_WORDS + FILE_ID_WORD] = fileId;
    this.words[i * ENTRY_WORDS + OFFSET_WORD] = offset;
  }

  persistEntries(first: number, count: number): void {
    this.files.persist(this.buffer, first * CATALOG_ENTRY_SIZE, count * CATALOG_ENTRY_SIZE);
  }

  /**
   * Recovery's redo of a split or merge: points at (fileId, offset) the live entries whose low
   * `depth` bits equal `pattern` and that still lead to (fromFile, fromOffset), and persists
   * them. Entries already moved on are left alone: in a shared store another thread may have
   * split the new bucket further while this record was still live. Idempotent.
   */
  redirectFrom(
    size: number,
    depth: number,
    pattern: number,
    fromFile: number,
    fromOffset: number,
    fileId: number,
    offset: number,
  ): void {
    const step = pow2(depth);
    for (let i = pattern; i < size; i += step) {
      if (this.fileId(i) === fromFile && this.offset(i) === fromOffset) this.set(i, fileId, offset);
    }
    this.files.persist(this.buffer, pattern * CATALOG_ENTRY_SIZE, (size - pattern) * CATALOG_ENTRY_SIZE);
  }

  /**
   * Points every live entry whose low `depth` bits equal `pattern` at (fileId, offset), and
   * persists them. Idempotent.
   */
  redirect(size: number, depth: number, pattern: number, fileId: number, offset: number): void {
    const step = pow2(depth);
    for (let i = pattern; i < size; i += step) this.set(i, fileId, offset);
    // The entries lie `step` apart over the whole catalog (8 MiB at depth 20). A few are persisted
    // one by one: the written backend (src/written-files.ts) writes what a persist covers.
    if ((size - pattern) / step <= REDIRECT_ENTRY_PERSISTS) {
      for (let i = pattern; i < size; i += step) this.persistEntries(i, 1);
    } else {
      this.files.persist(this.buffer, pattern * CATALOG_ENTRY_SIZE, (size - pattern) * CATALOG_ENTRY_SIZE);
    }
  }

  /**
   * Makes room for a doubling from `size` to 2*size live entries, before it (in a shared store,
   * before the other threads are stopped for the copy: growing the file takes milliseconds at
   * large depths). The file may already be larger than this mapping (another thread of a shared
   * store grew it, and halvings keep it): it is mapped as it is first, and grown only when it is
   * too small, so that a doubling never shrinks a file other threads map.
   */
  growForDoubling(size: number): void {
    this.ensureCapacity(2 * size);
    if (this.capacity < 2 * size) this.remap(2 * size);
  }

  /**
   * First half of a doubling from `size` to 2*size live entries, after growForDoubling: copies
   * entries [0, size) to [size, 2*size). The new half is not live until the metadata commit that
   * follows.
   */
  copyForDoubling(size: number): void {
    const w = this.words;
    w.copyWithin(size * ENTRY_WORDS, 0, size * ENTRY_WORDS);
    this.persistEntries(size, size);
  }

  /**
   * Maps the file anew when this mapping holds fewer than `entries` entries: another thread of a
   * shared store grew the file. The old mapping is given back.
   */
  ensureCapacity(entries: number): void {
    if (this.capacity >= entries) return;
    const old = this.buffer;
    this.buffer = this.files.map(this.path);
    this.words = Catalog.view(this.buffer);
    this.files.release(old);
  }

  /** After a halving is committed: gives the file back its upper half. */
  shrinkTo(size: number): void {
    if (this.capacity > size) this.remap(size);
  }

  /** Resizes the file to `entries` entries and maps it anew; the old mapping is released. */
  private remap(entries: number): void {
    const old = this.buffer;
    this.buffer = this.files.resize(this.path, entries * CATALOG_ENTRY_SIZE);
    this.words = Catalog.view(this.buffer);
    this.files.release(old);
  }

  flush(): void {
    this.files.persistAll(this.buffer);
  }

  /** After close: gives back the mapping's resident pages. */
  release(): void {
    this.files.release(this.buffer);
  }
}
