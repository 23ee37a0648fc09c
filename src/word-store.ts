// The store's operations on keys and values given as two uint32 halves, with no validation and
// no allocation: what PmEHash calls after checking its arguments, and what the YCSB runner drives
// directly (through the internal `PmEHash#words`). Each follows the persist order of its FORMAT.md
// section; splits, merges and catalog resizing live in structure.ts.
//
// A half is a 32-bit pattern, given as a uint32 or as the same bits in an int32 (x | 0): both are
// stored alike. Callers on a hot path pass int32, which V8 keeps in a register (a uint32 above
// 2^31 is a double). Halves read back (searchWords, forEachWords) are uint32.
//
// The four operations open alike, with short names for what every line uses:
//   h  the key's hash            e  index of its catalog entry's first word in `cat`
//   w  the bucket's page, as words    b  index of the bucket's first word in w
//   j  a kv slot of the bucket

import * as layout from '../include-types/layout';
import { LogOp } from '../include-types/layout';
import { firstFree, pow2 } from './bits';
import * as bucket from './bucket';
import { findKey, slotCheck, touchBucket, writeSlot } from './bucket';
import { PmEHashError } from './errors';
import { hashKey } from './hash';
import type { StoreState } from './store-state';
import { mergeEmpty, split } from './structure';

// The hot path's constants as this module's own (see "Constants on the hot path" in bucket.ts).
const { BUCKET_FULL_BITMAP, BUCKET_KV_SLOTS, BUCKET_SIZE, WORD } = layout;
const { BITMAP, DEPTH, KEY_HI, KEY_LO, USED, VALUE } = bucket;

/** Most keys one prefetchWords call touches (the YCSB runner's batches are 8). */
const PREFETCH_MAX = 16;

/**
 * prefetchWords' scratch: the catalog entry (file id, offset) of each key of its batch. One per
 * thread (a module's constants are per thread), shared by every store of the thread: a call
 * fills it and reads it back before it returns, calling nothing that could reach another store
 * in between (an override of catalogAddresses must keep it so). A module constant rather than a
 * field of each store, like the hot path's other constants (bucket.ts): V8 compiles the passes
 * with the array itself. Measured alone, in the YCSB runner, it made no difference (220w, one
 * thread, 9 interleaved rounds: load 1.00x, run 0.99x); in a plainer driver loop, 1.00-1.19x.
 */
const batchAddresses = new Int32Array(2 * PREFETCH_MAX);
export { batchAddresses, PREFETCH_MAX };

export class WordStore {
  protected mask: number;
  /** Hot-path copies of s.catalog.words and s.pages.words (refreshed when the catalog is remapped). */
  protected cat: Uint32Array;
  protected pageWords: Uint32Array[];
  protected closed = false;

  constructor(
    protected s: StoreState,
    protected readonly dir: string,
  ) {
    this.mask = pow2(s.globalDepth) - 1;
    this.cat = s.catalog.words;
    this.pageWords = s.pages.words;
  }

  /** The open store's state; throws PMEHASH_CLOSED after detach(). */
  get state(): StoreState {
    if (this.closed) throw this.closedError();
    return this.s;
  }

  /** The state, with this thread's view of a shared store brought up to date first. */
  current(): StoreState {
    return this.state;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Drops every reference to the mappings (they are unmapped when garbage-collected). */
  detach(): void {
    this.closed = true;
    this.s = undefined as unknown as StoreState;
    this.cat = new Uint32Array(0);
    this.pageWords = [];
  }

  closedError(): PmEHashError {
    return new PmEHashError('PMEHASH_CLOSED', `store ${this.dir} is closed`);
  }

  /** Re-reads what the hot path caches after the catalog may have doubled, halved or moved. */
  protected refresh(): void {
    this.mask = pow2(this.s.globalDepth) - 1;
    this.cat = this.s.catalog.words;
  }

  /** FORMAT.md, insert: steps 1 and 2 (the bitmap word is the commit point); a full bucket splits first. */
  insertWords(kLo: number, kHi: number, vLo: number, vHi: number): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    const e = (h & this.mask) * 2;
    const fileId = this.cat[e];
    const offset = this.cat[e + 1];
    const w = this.pageWords[fileId];
    const b = offset >>> 2;
    if (findKey(w, b, kLo, kHi) >= 0) return -1;
    const word = w[b + BITMAP];
    if ((word & USED) === BUCKET_FULL_BITMAP) return this.splitAndInsert(h, kLo, kHi, vLo, vHi);
    // FORMAT.md, insert: steps 1-2, written out here: the load phase's hottest lines.
    const j = firstFree(word & USED);
    writeSlot(w, b, j, kLo, kHi, vLo, vHi);
    this.s.pages.persistRange(fileId, offset, BUCKET_SIZE);
    w[b + BITMAP] = (word | (1 << j)) ^ slotCheck(h, j, vLo, vHi);
    this.s.pages.persistRange(fileId, offset, WORD);
    this.s.keys++;
    return 0;
  }

  /**
   * The rare path of insertWords (about one insert in ten), kept out of its common path: splits
   * the key's full bucket until the key's bucket has a free slot (all keys may fall on one side
   * of a split), then inserts it again.
   */
  private splitAndInsert(h: number, kLo: number, kHi: number, vLo: number, vHi: number): number {
    for (;;) {
      const e = (h & this.mask) * 2;
      const fileId = this.cat[e];
      const offset = this.cat[e + 1];
      if ((this.pageWords[fileId][(offset >>> 2) + BITMAP] & USED) !== BUCKET_FULL_BITMAP) break;
      split(this.s, h & this.mask, fileId, offset);
      this.refresh();
    }
    return this.insertWords(kLo, kHi, vLo, vHi);
  }

  /**
   * Touches the catalog entry and the bucket (touchBucket) of each key lo[i], hi[i] for i in
   * [from, to), at most PREFETCH_MAX keys from `from`, so that operations on those keys that
   * follow find them in the CPU cache. Changes nothing; the return value only keeps the loads
   * alive. Two passes: the catalog entries of all the keys first (into batchAddresses), then
   * their buckets. In one pass, each key's bucket loads wait for its catalog load, and the CPU
   * can hold only so many keys' instructions in flight; apart, the catalog misses of all the keys
   * overlap, and then all their bucket misses do (measured on 220w: load +13-16%, run +17-24%).
   */
  prefetchWords(lo: Uint32Array, hi: Uint32Array, from: number, to: number): number {
    if (this.closed) throw this.closedError();
    const n = this.catalogAddresses(lo, hi, from, to);
    const at = batchAddresses;
    const pages = this.pageWords;
    let sink = 0;
    for (let i = 0; i < n; i++) sink ^= touchBucket(pages[at[2 * i]], at[2 * i + 1] >>> 2);
    return sink;
  }

  /**
   * prefetchWords' first pass: the catalog entry (file id, offset) of each key from `from`, into
   * batchAddresses; returns how many (to - from, at most PREFETCH_MAX).
   */
  protected catalogAddresses(lo: Uint32Array, hi: Uint32Array, from: number, to: number): number {
    const n = Math.min(to - from, PREFETCH_MAX);
    const cat = this.cat;
    const mask = this.mask;
    const at = batchAddresses;
    for (let i = 0; i < n; i++) {
      const e = (hashKey(lo[from + i], hi[from + i]) & mask) * 2;
      at[2 * i] = cat[e];
      at[2 * i + 1] = cat[e + 1];
    }
    return n;
  }

  /** Writes the value into out[0] (low half) and out[1] (high half). Returns 0 or -1. */
  searchWords(kLo: number, kHi: number, out: Uint32Array): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    const e = (h & this.mask) * 2;
    const w = this.pageWords[this.cat[e]];
    const b = this.cat[e + 1] >>> 2;
    const j = findKey(w, b, kLo, kHi);
    if (j < 0) return -1;
    out[0] = w[b + VALUE + 2 * j];
    out[1] = w[b + VALUE + 2 * j + 1];
    return 0;
  }

  /** FORMAT.md, update: steps 1-3. */
  updateWords(kLo: number, kHi: number, vLo: number, vHi: number): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    const e = (h & this.mask) * 2;
    const fileId = this.cat[e];
    const offset = this.cat[e + 1];
    const w = this.pageWords[fileId];
    const b = offset >>> 2;
    const j = findKey(w, b, kLo, kHi);
    if (j < 0) return -1;
    updateSlot(this.s, fileId, offset, w, b, h, j, vLo, vHi);
    return 0;
  }

  /** FORMAT.md, remove: step 1, then merge (step 2) when the bucket is empty. */
  removeWords(kLo: number, kHi: number): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    const e = (h & this.mask) * 2;
    const fileId = this.cat[e];
    const offset = this.cat[e + 1];
    const w = this.pageWords[fileId];
    const b = offset >>> 2;
    const j = findKey(w, b, kLo, kHi);
    if (j < 0) return -1;
    const word = removeSlot(this.s, fileId, offset, w, b, h, j);
    this.s.keys--;
    if ((word & USED) === 0 && w[b + DEPTH] > 0) {
      mergeEmpty(this.s, h & this.mask);
      this.refresh();
    }
    return 0;
  }

  /**
   * Calls fn(keyLo, keyHi, valueLo, valueHi) for every pair, bucket by bucket, in catalog order:
   * the fastest walk, for a store that does not change while it runs (the CLI's dump).
   */
  forEachWords(fn: (kLo: number, kHi: number, vLo: number, vHi: number) => void): void {
    const s = this.state;
    const size = pow2(s.globalDepth);
    for (let i = 0; i < size; i++) {
      const w = s.pages.words[s.catalog.fileId(i)];
      const b = s.catalog.offset(i) >>> 2;
      if (i >= pow2(w[b + DEPTH])) continue; // visit each bucket once: from its lowest entry
      const used = w[b + BITMAP] & USED;
      for (let j = 0; j < BUCKET_KV_SLOTS; j++) {
        if ((used & (1 << j)) === 0) continue;
        fn(w[b + KEY_LO + j], w[b + KEY_HI + j], w[b + VALUE + 2 * j], w[b + VALUE + 2 * j + 1]);
      }
    }
  }
}

// The persistent steps of the three writes, shared by WordStore and SharedWordStore (which
// holds the bucket's lock around them). (w, b) is the bucket at (fileId, offset); h its key's hash.

/** FORMAT.md, insert: steps 1-2, into the first free slot of a bucket whose bitmap word is `word`. */
export function insertIntoSlot(
  s: StoreState,
  fileId: number,
  offset: number,
  w: Uint32Array,
  b: number,
  word: number,
  h: number,
  kLo: number,
  kHi: number,
  vLo: number,
  vHi: number,
): void {
  const j = firstFree(word & USED);
  writeSlot(w, b, j, kLo, kHi, vLo, vHi);
  s.pages.persistRange(fileId, offset, BUCKET_SIZE);
  w[b + BITMAP] = (word | (1 << j)) ^ slotCheck(h, j, vLo, vHi);
  s.pages.persistRange(fileId, offset, WORD);
}

/** FORMAT.md, update: steps 1-3, of the value in kv slot j. */
export function updateSlot(
  s: StoreState,
  fileId: number,
  offset: number,
  w: Uint32Array,
  b: number,
  h: number,
  j: number,
  vLo: number,
  vHi: number,
): void {
  const v = b + VALUE + 2 * j;
  const word = w[b + BITMAP] ^ slotCheck(h, j, w[v], w[v + 1]) ^ slotCheck(h, j, vLo, vHi);
  s.meta.beginLog(LogOp.Update, fileId, offset, j, vLo, vHi, 0);
  w[v] = vLo;
  w[v + 1] = vHi;
  w[b + BITMAP] = word;
  s.pages.persistRange(fileId, offset, BUCKET_SIZE);
  s.meta.endLog();
}

/** FORMAT.md, remove: step 1, of kv slot j; returns the bucket's new bitmap word. */
export function removeSlot(
  s: StoreState,
  fileId: number,
  offset: number,
  w: Uint32Array,
  b: number,
  h: number,
  j: number,
): number {
  const v = b + VALUE + 2 * j;
  const word = (w[b + BITMAP] & ~(1 << j)) ^ slotCheck(h, j, w[v], w[v + 1]);
  w[b + BITMAP] = word;
  s.pages.persistRange(fileId, offset, WORD);
  return word;
}
