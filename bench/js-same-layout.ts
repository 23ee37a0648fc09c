// The same layout in JavaScript, a benchmark contender: bench/same-layout.c's store written in
// TypeScript, on the same files mapped the same way (src/mapped-files.ts). It calls PmEHash's own
// hash, probe and checksum functions and repeats its two-pass batch prefetch (WordStore's is a
// method of a store, and there is no WordStore here). It leaves out what makes PmEHash
// persistent: no persist points, no log records, no free list (slots are taken in file order, as
// PmEHash takes them on a store that never merges), no validation, no lock. So `make bench` can
// tell apart what the language costs (the C program against this) from what persistence and the
// store's structure cost (this against PmEHash). It writes the page files and catalog PmEHash
// writes for the same operations (test/js-same-layout.test.ts), but no metadata: its folder is
// not a store. DELETE is not supported (the 220w workloads have none), as in the typed-array
// contender.

import * as fs from 'node:fs';
import * as layout from '../include-types/layout';
import * as bucket from '../src/bucket';
import { firstFree } from '../src/bits';
import { bucketSeed, findKey, slotCheck, touchBucket, writeSlot } from '../src/bucket';
import { pageFileSize, pageHeaderSize } from '../src/data-page';
import { CATALOG_FILE, filePath, pageFileName } from '../src/files';
import { hashKey } from '../src/hash';
import { MappedFiles } from '../src/mapped-files';

// Constants as this module's own, as in src/bucket.ts ("Constants on the hot path").
const { BUCKET_FULL_BITMAP, BUCKET_KV_SLOTS, BUCKET_SIZE, CATALOG_ENTRY_SIZE, DEFAULT_BUCKETS_PER_PAGE, WORD } = layout;
const { BITMAP, DEPTH, KEY_HI, KEY_LO, VALUE } = bucket;
const BUCKETS_PER_PAGE = DEFAULT_BUCKETS_PER_PAGE;
const HEADER = pageHeaderSize(BUCKETS_PER_PAGE);
const PAGE_SIZE = pageFileSize(BUCKETS_PER_PAGE);

/** Most keys one prefetch call touches, and its scratch: each key's catalog entry (file id, offset). */
const PREFETCH_MAX = 16;
const batchAddresses = new Int32Array(2 * PREFETCH_MAX);

export class JsSameLayoutStore {
  private readonly files = new MappedFiles(false);
  private readonly pages: Uint32Array[] = [new Uint32Array(0)];
  private cat: Uint32Array;
  private catEntries = 1;
  private globalDepth = 0;
  private mask = 0;
  /** Id the next page file gets, and the next free slot of the newest page. */
  private maxFileId = 1;
  private nextSlot = BUCKETS_PER_PAGE;
  keys = 0;
  /** XOR of the prefetch loads: kept in the store so that they are not optimized away. */
  sink = 0;

  /** A fresh store in `dir` (its earlier contents removed). */
  constructor(private readonly dir: string) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const first = this.allocate();
    this.cat = this.view(this.files.create(filePath(dir, CATALOG_FILE), CATALOG_ENTRY_SIZE));
    this.cat[0] = first >>> 16;
    this.cat[1] = this.offsetOf(first);
    this.pages[this.cat[0]][(this.cat[1] >>> 2) + BITMAP] = bucketSeed(this.cat[0], this.cat[1], 0);
  }

  private view(buffer: Buffer): Uint32Array {
    return new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length / WORD);
  }

  private offsetOf(slotRef: number): number {
    return HEADER + (slotRef & 0xffff) * BUCKET_SIZE;
  }

  /** Takes the next bucket slot (a new page file when the newest is full): fileId << 16 | slot. */
  private allocate(): number {
    if (this.nextSlot === BUCKETS_PER_PAGE) {
      this.pages.push(this.view(this.files.create(filePath(this.dir, pageFileName(this.maxFileId)), PAGE_SIZE)));
      this.maxFileId++;
      this.nextSlot = 0;
    }
    const fileId = this.maxFileId - 1;
    const slot = this.nextSlot++;
    this.pages[fileId][slot >>> 5] |= 1 << (slot & 31);
    return (fileId << 16) | slot;
  }

  private doubleCatalog(): void {
    const size = 1 << this.globalDepth;
    if (this.catEntries < 2 * size) {
      this.cat = this.view(this.files.resize(filePath(this.dir, CATALOG_FILE), 2 * size * CATALOG_ENTRY_SIZE));
      this.catEntries = 2 * size;
    }
    this.cat.copyWithin(2 * size, 0, 2 * size);
    this.globalDepth++;
    this.mask = (1 << this.globalDepth) - 1;
  }

  /** Splits the full bucket (fileId, offset) reached from catalog index i, as src/structure.ts does. */
  private split(i: number, fileId: number, offset: number): void {
    const w = this.pages[fileId];
    const b = offset >>> 2;
    const d = w[b + DEPTH];
    const pattern = i & ((1 << d) - 1);
    const ref = this.allocate();
    if (d === this.globalDepth) this.doubleCatalog();
    const nFileId = ref >>> 16;
    const nOffset = this.offsetOf(ref);
    const nw = this.pages[nFileId];
    const nb = nOffset >>> 2;
    let moved = 0;
    let movedCheck = 0;
    for (let j = 0; j < BUCKET_KV_SLOTS; j++) {
      const kLo = w[b + KEY_LO + j];
      const kHi = w[b + KEY_HI + j];
      const vLo = w[b + VALUE + 2 * j];
      const vHi = w[b + VALUE + 2 * j + 1];
      const h = hashKey(kLo, kHi);
      const move = (h >>> d) & 1;
      writeSlot(nw, nb, j, kLo, kHi, vLo, vHi);
      moved |= move << j;
      movedCheck ^= slotCheck(h, j, vLo, vHi) & -move;
    }
    nw[nb + BITMAP] = moved ^ movedCheck ^ bucketSeed(nFileId, nOffset, d + 1);
    nw[nb + DEPTH] = d + 1;
    const size = 1 << this.globalDepth;
    const cat = this.cat;
    for (let e = pattern | (1 << d); e < size; e += 1 << (d + 1)) {
      cat[2 * e] = nFileId;
      cat[2 * e + 1] = nOffset;
    }
    w[b + BITMAP] =
      (w[b + BITMAP] & ~moved) ^ movedCheck ^ bucketSeed(fileId, offset, d) ^ bucketSeed(fileId, offset, d + 1);
    w[b + DEPTH] = d + 1;
  }

  insert(kLo: number, kHi: number, vLo: number, vHi: number): number {
    const h = hashKey(kLo, kHi);
    for (;;) {
      const e = (h & this.mask) * 2;
      const fileId = this.cat[e];
      const offset = this.cat[e + 1];
      const w = this.pages[fileId];
      const b = offset >>> 2;
      if (findKey(w, b, kLo, kHi) >= 0) return -1;
      const word = w[b + BITMAP];
      if ((word & BUCKET_FULL_BITMAP) !== BUCKET_FULL_BITMAP) {
        const j = firstFree(word & BUCKET_FULL_BITMAP);
        writeSlot(w, b, j, kLo, kHi, vLo, vHi);
        w[b + BITMAP] = (word | (1 << j)) ^ slotCheck(h, j, vLo, vHi);
        this.keys++;
        return 0;
      }
      this.split(h & this.mask, fileId, offset); // then look again: all keys may have stayed
    }
  }

  /** Writes the value's halves into out[0] and out[1] (as int32 bits). */
  search(kLo: number, kHi: number, out: Int32Array): number {
    const e = (hashKey(kLo, kHi) & this.mask) * 2;
    const w = this.pages[this.cat[e]];
    const b = this.cat[e + 1] >>> 2;
    const j = findKey(w, b, kLo, kHi);
    if (j < 0) return -1;
    out[0] = w[b + VALUE + 2 * j];
    out[1] = w[b + VALUE + 2 * j + 1];
    return 0;
  }

  update(kLo: number, kHi: number, vLo: number, vHi: number): number {
    const h = hashKey(kLo, kHi);
    const e = (h & this.mask) * 2;
    const w = this.pages[this.cat[e]];
    const b = this.cat[e + 1] >>> 2;
    const j = findKey(w, b, kLo, kHi);
    if (j < 0) return -1;
    const v = b + VALUE + 2 * j;
    w[b + BITMAP] ^= slotCheck(h, j, w[v], w[v + 1]) ^ slotCheck(h, j, vLo, vHi);
    w[v] = vLo;
    w[v + 1] = vHi;
    return 0;
  }

  /** PmEHash.prefetchWords' two passes: the catalog entries of the keys, then their buckets' lines. */
  prefetch(lo: Uint32Array, hi: Uint32Array, from: number, to: number): void {
    const n = Math.min(to - from, PREFETCH_MAX);
    const at = batchAddresses;
    const cat = this.cat;
    const mask = this.mask;
    for (let i = 0; i < n; i++) {
      const e = (hashKey(lo[from + i], hi[from + i]) & mask) * 2;
      at[2 * i] = cat[e];
      at[2 * i + 1] = cat[e + 1];
    }
    const pages = this.pages;
    let sink = 0;
    for (let i = 0; i < n; i++) sink ^= touchBucket(pages[at[2 * i]], at[2 * i + 1] >>> 2);
    this.sink ^= sink;
  }

  /** Bytes of its files. */
  get storeBytes(): number {
    return this.catEntries * CATALOG_ENTRY_SIZE + (this.maxFileId - 1) * PAGE_SIZE;
  }
}
