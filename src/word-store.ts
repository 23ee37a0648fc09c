// The store's operations on keys and values given as two uint32 halves, with no validation and
// no allocation: what PmEHash calls after checking its arguments, and what the YCSB runner drives
// directly (through the internal `PmEHash#words`). One implementation for one thread and for
// many. Each follows the persist order of its FORMAT.md section; splits, merges and catalog
// resizing live in structure.ts.
//
// Once the store is shared (FORMAT.md, "Threads"), Dash's discipline applies. A lookup takes no
// lock and writes nothing shared: it reads its catalog section's word and its bucket's version
// before probing, checks them after, and starts over when either moved. A write locks its
// bucket's stripe, checks that the key's catalog entry still leads there, and bumps the version
// as it unlocks. A full bucket splits under its lock; an emptied one is merged after its lock is
// released, if it can be. Before share(), `threaded` is false and the same code skips all that.
//
// A half is a 32-bit pattern, given as a uint32 or as the same bits in an int32 (x | 0): both are
// stored alike. Callers on a hot path pass int32, which V8 keeps in a register (a uint32 above
// 2^31 is a double). Halves read back (searchWords, forEachWords) are uint32.
//
// The operations open alike, with short names for what every line uses:
//   h  the key's hash            e  index of its catalog entry's first word in `cat`
//   w  the bucket's page, as words    b  index of the bucket's first word in w
//   j  a kv slot of the bucket
//
// Shape: V8 inlines a limited amount of bytecode into each optimized function. The common path
// of each operation (one attempt, the persistent steps, the unlock) is kept small enough to be
// inlined whole into the YCSB runner's batch; whatever is rare (waiting, retrying, catching up
// with other threads, mapping their page files, splitting) is a call of its own.

import * as layout from '../include-types/layout';
import { BatchOp, LogOp } from '../include-types/layout';
import { firstFree, pow2 } from './bits';
import * as bucket from './bucket';
import { findKey, slotCheck, touchBucket, writeSlot } from './bucket';
import { PmEHashError } from './errors';
import { hashKey } from './hash';
import * as sharedControl from './shared-control';
import { lockIdOf, sectionWordAt, SharedControl, stripeWordAt } from './shared-control';
import { syncWithControl, type StoreState } from './store-state';
import { makeNextPage } from './bucket-slots';
import { mergeEmpty, split } from './structure';
import type { OpLog } from './op-log';

// The hot path's constants as this module's own (see "Constants on the hot path" in bucket.ts).
const { BUCKET_FULL_BITMAP, BUCKET_KV_SLOTS, BUCKET_SIZE, WORD } = layout;
const { BITMAP, DEPTH, KEY_HI, KEY_LO, USED, VALUE } = bucket;
const { CATALOG, CATALOG_BUSY } = sharedControl;

/** Most keys one prefetchWords call touches (the YCSB runner's batches are 8). */
const PREFETCH_MAX = 16;

/**
 * prefetchWords' scratch: the catalog entry (file id, offset) of each key of its batch. One per
 * thread (a module's constants are per thread), shared by every store of the thread: a call
 * fills it and reads it back before it returns, calling nothing that could reach another store
 * in between. A module constant rather than a field of each store, like the hot path's other
 * constants (bucket.ts): V8 compiles the passes with the array itself.
 */
const batchAddresses = new Int32Array(2 * PREFETCH_MAX);
export { PREFETCH_MAX };

/** An attempt's answer when it cannot be trusted or did not get its lock: go the slow way. */
const RETRY = -2;

export class WordStore {
  private mask: number;
  /** Hot-path copies of s.catalog.words and s.pages.words (refreshed when either is remapped). */
  private cat: Uint32Array;
  private pageWords: Uint32Array[];
  private closed = false;
  /** Whether other threads may use the store (SharedControl.threaded): then locks are taken. */
  private threaded: boolean;
  /** SharedControl.inOrder: lookups go without a lock, and releases are plain stores. */
  private readonly inOrder: boolean;
  /** The control block's words: the hot paths read and lock through them without calls. */
  private readonly control: Int32Array;
  /** The catalog word when this thread's view was last brought up to date. */
  private seen = -1;
  /** This thread's key count in the control block (only this thread writes it). */
  private readonly keyCount: Int32Array;
  /** Durability 'log': where each change's effect is appended, while its bucket is still locked. */
  log: OpLog | null = null;

  constructor(
    private s: StoreState,
    private readonly dir: string,
    /** This thread's slot in the control block (0: the thread that opened the store). */
    slot: number,
  ) {
    this.mask = pow2(s.globalDepth) - 1;
    this.cat = s.catalog.words;
    this.pageWords = s.pages.words;
    this.threaded = s.ctl.threaded;
    this.inOrder = s.ctl.inOrder;
    this.control = s.ctl.words;
    this.keyCount = s.ctl.keyCounter(slot);
    s.catalog.atomicEntries = this.threaded && !this.inOrder;
  }

  /** The open store's state; throws PMEHASH_CLOSED after detach(). */
  get state(): StoreState {
    if (this.closed) throw this.closedError();
    return this.s;
  }

  /** The state, with this thread's view of a shared store brought up to date first. */
  current(): StoreState {
    const s = this.state;
    this.catchUp();
    return s;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Keys in the store. */
  keys(): number {
    return this.threaded ? this.s.ctl.keys() : this.keyCount[0];
  }

  /**
   * The owner's share(): from now on other threads may use the store. The control block takes
   * this thread's numbers, which it holds from then on.
   */
  share(): void {
    const s = this.state;
    const ctl = s.ctl;
    ctl.globalDepth = s.globalDepth;
    ctl.maxFileId = s.maxFileId;
    ctl.takeSlot(); // slot 0, whose log record and key count this thread already uses
    ctl.threaded = true;
    this.threaded = true;
    s.catalog.atomicEntries = !this.inOrder;
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

  /** Brings this thread's view up to date with the control block, and what the hot path caches. */
  private catchUp(): void {
    syncWithControl(this.s);
    this.refresh();
  }

  /**
   * Re-reads what the hot path caches of this thread's view, after a split or merge of its own
   * (a doubling or halving, a remapped catalog, a new page file). In a shared store the view may
   * still be behind the other threads': settle catches up when the catalog word says so.
   */
  private refresh(): void {
    this.mask = pow2(this.s.globalDepth) - 1;
    this.cat = this.s.catalog.words;
    this.pageWords = this.s.pages.words;
  }

  // ---- the operations ------------------------------------------------------------------------

  /** FORMAT.md, insert: steps 1 and 2 (the bitmap word is the commit point); a full bucket splits first. */
  insertWords(kLo: number, kHi: number, vLo: number, vHi: number): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    for (;;) {
      const e = this.lockEntry(h);
      const fileId = this.cat[e];
      const offset = this.cat[e + 1];
      const w = this.pageWords[fileId];
      const b = offset >>> 2;
      if (findKey(w, b, kLo, kHi) >= 0) {
        this.unlock(fileId, offset);
        return -1;
      }
      const word = w[b + BITMAP];
      if ((word & USED) === BUCKET_FULL_BITMAP) {
        this.splitLocked(h, fileId, offset);
        continue; // the key's bucket is B or the new one: look again
      }
      const j = firstFree(word & USED);
      writeSlot(w, b, j, kLo, kHi, vLo, vHi);
      this.s.pages.persistRange(fileId, offset, BUCKET_SIZE);
      w[b + BITMAP] = (word | (1 << j)) ^ slotCheck(h, j, vLo, vHi);
      this.s.pages.persistRange(fileId, offset, WORD);
      this.keyCount[0]++;
      if (this.log !== null) this.log.append(kLo, kHi, vLo, vHi, BatchOp.Put);
      this.unlock(fileId, offset);
      return 0;
    }
  }

  /** FORMAT.md, update: steps 1-3. */
  updateWords(kLo: number, kHi: number, vLo: number, vHi: number): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    const e = this.lockEntry(h);
    const fileId = this.cat[e];
    const offset = this.cat[e + 1];
    const w = this.pageWords[fileId];
    const b = offset >>> 2;
    const j = findKey(w, b, kLo, kHi);
    if (j >= 0) {
      const v = b + VALUE + 2 * j;
      const word = w[b + BITMAP] ^ slotCheck(h, j, w[v], w[v + 1]) ^ slotCheck(h, j, vLo, vHi);
      this.s.meta.beginLog(LogOp.Update, fileId, offset, j, vLo, vHi, 0);
      w[v] = vLo;
      w[v + 1] = vHi;
      w[b + BITMAP] = word;
      this.s.pages.persistRange(fileId, offset, BUCKET_SIZE);
      this.s.meta.endLog();
      if (this.log !== null) this.log.append(kLo, kHi, vLo, vHi, BatchOp.Put);
    }
    this.unlock(fileId, offset);
    return j >= 0 ? 0 : -1;
  }

  /** FORMAT.md, remove: step 1, then merge (step 2) when the bucket is empty. */
  removeWords(kLo: number, kHi: number): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    const e = this.lockEntry(h);
    const fileId = this.cat[e];
    const offset = this.cat[e + 1];
    const w = this.pageWords[fileId];
    const b = offset >>> 2;
    const j = findKey(w, b, kLo, kHi);
    let emptied = false;
    if (j >= 0) {
      const v = b + VALUE + 2 * j;
      const word = (w[b + BITMAP] & ~(1 << j)) ^ slotCheck(h, j, w[v], w[v + 1]);
      w[b + BITMAP] = word;
      this.s.pages.persistRange(fileId, offset, WORD);
      this.keyCount[0]--;
      emptied = (word & USED) === 0 && w[b + DEPTH] > 0;
      if (this.log !== null) this.log.append(kLo, kHi, 0, 0, BatchOp.Del);
    }
    this.unlock(fileId, offset);
    if (emptied) this.merge(h);
    return j >= 0 ? 0 : -1;
  }

  /** Writes the value into out[0] (low half) and out[1] (high half). Returns 0 or -1. */
  searchWords(kLo: number, kHi: number, out: Uint32Array): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    const found = this.searchOnce(h, kLo, kHi, out);
    return found !== RETRY ? found : this.searchSlow(h, kLo, kHi, out);
  }

  /**
   * One probe: 0 (value in out) or -1, or RETRY when the probe cannot be trusted (a writer, a
   * redirect or an unmapped page file was in the way). In a shared store, the section word and
   * the bucket's version are read before the probe (plain loads) and checked after it: the
   * version with one Atomics.load, which V8 compiles as a call that no load is moved across, and
   * then the section word with a plain load, which x86 keeps after it (SharedControl.inOrder;
   * elsewhere the lookup locks its bucket, searchLocked).
   */
  private searchOnce(h: number, kLo: number, kHi: number, out: Uint32Array): number {
    const threaded = this.threaded;
    if (threaded && !this.inOrder) return RETRY; // searchSlow locks the bucket instead
    const control = this.control;
    const at = sectionWordAt(h);
    const started = threaded ? this.settle(at) : 0;
    const e = (h & this.mask) * 2;
    const fileId = this.cat[e];
    const offset = this.cat[e + 1];
    const w = this.pageWords[fileId];
    if (w === undefined) return RETRY; // a page file another thread made: map it first
    const stripe = stripeWordAt(lockIdOf(fileId, offset));
    const version = threaded ? control[stripe] : 0;
    const b = offset >>> 2;
    const j = findKey(w, b, kLo, kHi);
    const vLo = j < 0 ? 0 : w[b + VALUE + 2 * j];
    const vHi = j < 0 ? 0 : w[b + VALUE + 2 * j + 1];
    // Even: no writer held the bucket; unchanged: none took it meanwhile, nor redirected.
    if (
      threaded &&
      ((version & 1) !== 0 ||
        (started & CATALOG_BUSY) !== 0 ||
        Atomics.load(control, stripe) !== version ||
        control[at] !== started)
    )
      return RETRY;
    if (j < 0) return -1;
    out[0] = vLo;
    out[1] = vHi;
    return 0;
  }

  /** searchWords' rare path: maps page files other threads made, and probes until a probe holds. */
  private searchSlow(h: number, kLo: number, kHi: number, out: Uint32Array): number {
    if (!this.inOrder) return this.searchLocked(h, kLo, kHi, out);
    for (let spins = 0; ; spins++) {
      this.catchUp();
      const found = this.searchOnce(h, kLo, kHi, out);
      if (found !== RETRY) return found;
      if (spins > 1000) this.s.ctl.backOff(spins, 'a bucket being written');
    }
  }

  /**
   * A lookup where plain loads may be reordered (SharedControl.inOrder false): a probe checked
   * by the version after it could have read words written after that version. So the lookup
   * locks the bucket, as a writer does.
   */
  private searchLocked(h: number, kLo: number, kHi: number, out: Uint32Array): number {
    const e = this.lockEntry(h);
    const fileId = this.cat[e];
    const offset = this.cat[e + 1];
    const w = this.pageWords[fileId];
    const b = offset >>> 2;
    const j = findKey(w, b, kLo, kHi);
    if (j >= 0) {
      out[0] = w[b + VALUE + 2 * j];
      out[1] = w[b + VALUE + 2 * j + 1];
    }
    this.unlock(fileId, offset);
    return j >= 0 ? 0 : -1;
  }

  // ---- locks ---------------------------------------------------------------------------------

  /**
   * The index in `cat` of the catalog entry of hash h, with the bucket it leads to locked when
   * the store is shared. Nothing can redirect entries to or from a locked bucket, so the entry
   * read again after this still leads there.
   */
  private lockEntry(h: number): number {
    if (!this.threaded) return (h & this.mask) * 2;
    const e = this.tryLockEntry(h);
    return e !== RETRY ? e : this.lockEntrySlow(h);
  }

  /** Unlocks the bucket at (fileId, offset), locked by lockEntry; its version moves on. */
  private unlock(fileId: number, offset: number): void {
    if (!this.threaded) return;
    const stripe = stripeWordAt(lockIdOf(fileId, offset));
    // The held value is this thread's own: nobody else writes a held lock.
    SharedControl.release(this.control, stripe, this.control[stripe], this.inOrder);
  }

  /** One try of lockEntry: the entry's index, or RETRY when it did not get the lock. */
  private tryLockEntry(h: number): number {
    const control = this.control;
    const at = sectionWordAt(h);
    const started = this.settle(at);
    const e = (h & this.mask) * 2;
    // Off x86, atomic loads: the bucket a split just published is then seen filled (Catalog.atomicEntries).
    const fileId = this.inOrder ? this.cat[e] : Atomics.load(this.cat, e);
    const offset = this.inOrder ? this.cat[e + 1] : Atomics.load(this.cat, e + 1);
    const stripe = stripeWordAt(lockIdOf(fileId, offset));
    const v = control[stripe];
    if (
      this.pageWords[fileId] === undefined || // a page file another thread made: map it first
      (v & 1) !== 0 ||
      (started & CATALOG_BUSY) !== 0 ||
      Atomics.compareExchange(control, stripe, v, v + 1) !== v
    )
      return RETRY;
    // If no redirect in the key's section started since this thread's view was made (settle),
    // the entry read with its depth still leads to the key's bucket; otherwise (a doubling, or a
    // split of this bucket before the lock was had) look again. A plain load after the
    // compareExchange (a full barrier, and a call no load is moved across) where loads stay in
    // order.
    if ((this.inOrder ? control[at] : Atomics.load(control, at)) !== started) {
      this.unlock(fileId, offset);
      return RETRY;
    }
    return e;
  }

  /** lockEntry's rare path: maps page files other threads made, and tries until it locks. */
  private lockEntrySlow(h: number): number {
    for (let spins = 0; ; spins++) {
      this.catchUp();
      const e = this.tryLockEntry(h);
      if (e !== RETRY) return e;
      if (spins > 1000) this.s.ctl.backOff(spins, 'a bucket lock');
    }
  }

  /**
   * Reads the section word at `at` (sectionWordAt of the key's hash), to check against after the
   * probe, and brings this thread's view up to date with the catalog word: its depth is then
   * current, unless the section word changes meanwhile (a doubling or halving holds every
   * section). The caller starts over when the word it returns shows a holder.
   */
  private settle(at: number): number {
    // Plain loads (Atomics.load is a call): the check after the probe is the atomic one. Where
    // plain loads may be reordered, the entries read next could be older than a plain load of
    // the words: then atomic ones, which keep them after.
    if (this.inOrder) {
      const section = this.control[at];
      if (this.control[CATALOG] !== this.seen) this.settleSlow();
      return section;
    }
    const section = Atomics.load(this.control, at);
    if (Atomics.load(this.control, CATALOG) !== this.seen) this.settleSlow();
    return section;
  }

  /** settle's rare path: waits until no doubling or halving is under way, then catches up with the changes. */
  private settleSlow(): void {
    for (let spins = 0; ; spins++) {
      const word = Atomics.load(this.control, CATALOG);
      if ((word & CATALOG_BUSY) === 0) {
        if (word !== this.seen) {
          this.catchUp();
          this.seen = word;
        }
        return;
      }
      if (spins > 1000) this.s.ctl.backOff(spins, 'a catalog change');
    }
  }

  // ---- rare paths ----------------------------------------------------------------------------

  /**
   * insertWords' rare path (about one insert in ten): splits the key's full bucket B, which the
   * caller locked, and unlocks it, also when the split fails.
   */
  private splitLocked(h: number, fileId: number, offset: number): void {
    try {
      split(this.s, h & this.mask, fileId, offset);
    } finally {
      this.unlock(fileId, offset);
      this.refresh();
    }
    // A page file the split claimed to make ahead of need: made with no lock held, so that no
    // thread waits on B while the file's zeros are written.
    if (this.s.nextPage !== 0) makeNextPage(this.s);
  }

  /** removeWords' rare path: merges the key's emptied bucket (no lock held). */
  private merge(h: number): void {
    mergeEmpty(this.s, h & this.mask);
    this.refresh();
  }

  // ---- batches and walks ---------------------------------------------------------------------

  /**
   * Touches the catalog entry and the bucket (touchBucket) of each key lo[i], hi[i] for i in
   * [from, to), at most PREFETCH_MAX keys from `from`, so that operations on those keys that
   * follow find them in the CPU cache; in a shared store, their lock stripes too. Changes
   * nothing; the return value only keeps the loads alive. The catalog entries of all the keys
   * first (into batchAddresses), then their buckets, then the stripes: in one pass, each key's
   * later loads wait for its catalog load, and the CPU can hold only so many keys' instructions
   * in flight; apart, the misses of all the keys overlap (docs/performance.md).
   */
  prefetchWords(lo: Uint32Array, hi: Uint32Array, from: number, to: number): number {
    if (this.closed) throw this.closedError();
    const n = Math.min(to - from, PREFETCH_MAX);
    const cat = this.cat;
    const mask = this.mask;
    const at = batchAddresses;
    for (let i = 0; i < n; i++) {
      const e = (hashKey(lo[from + i], hi[from + i]) & mask) * 2;
      at[2 * i] = cat[e];
      at[2 * i + 1] = cat[e + 1];
    }
    const pages = this.pageWords;
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const w = pages[at[2 * i]];
      if (w !== undefined) sink ^= touchBucket(w, at[2 * i + 1] >>> 2);
    }
    if (this.threaded) {
      const control = this.control;
      for (let i = 0; i < n; i++) sink ^= control[stripeWordAt(lockIdOf(at[2 * i], at[2 * i + 1]))];
    }
    return sink;
  }

  /**
   * Calls fn(keyLo, keyHi, valueLo, valueHi) for every pair, bucket by bucket, in catalog order:
   * the fastest walk, for a store that does not change while it runs (the CLI's dump).
   */
  forEachWords(fn: (kLo: number, kHi: number, vLo: number, vHi: number) => void): void {
    const s = this.current();
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
