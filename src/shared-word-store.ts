// The word-level operations of a store shared by threads (FORMAT.md, "Threads"): the same steps
// and persist order as word-store.ts, with Dash's discipline. A lookup takes no lock and writes
// nothing shared: it reads its catalog section's word and its bucket's version before probing
// and again after, and starts over when either moved. A write locks its bucket's stripe, checks
// that the key's catalog entry still leads there, and bumps the version as it unlocks. A full
// bucket splits under its lock; an emptied one is merged after its lock is released, if it can be.
// Each thread counts its inserts and removes in its own slot of the control block.

import * as layout from '../include-types/layout';
import * as bucket from './bucket';
import { findKey, touchBucket } from './bucket';
import { hashKey } from './hash';
import * as sharedControl from './shared-control';
import { sectionWordAt, SharedControl } from './shared-control';
import { lockIdOf, sharedMergeEmpty, sharedSplit, syncWithControl } from './shared-structure';
import type { StoreState } from './store-state';
import { batchAddresses, insertIntoSlot, removeSlot, updateSlot, WordStore } from './word-store';

// The hot path's constants as this module's own (see "Constants on the hot path" in bucket.ts).
const { BUCKET_FULL_BITMAP } = layout;
const { BITMAP, DEPTH, USED, VALUE } = bucket;
const { CATALOG, CATALOG_BUSY, LOCK_STRIPES, LOCKS } = sharedControl;

/** WordStore's batch scratch under a name of this module's own, a plain const here too. */
const threadBatchAddresses = batchAddresses;

/** searchOnce's answer when its probe cannot be trusted: a writer, a redirect or an unmapped page file was in the way. */
const RETRY = -2;

export class SharedWordStore extends WordStore {
  /** The catalog word when this thread's view was last brought up to date. */
  private seen = -1;
  /** The control block's words: the hot paths read and lock through them without calls. */
  private readonly control: Int32Array;
  /** SharedControl.inOrder: lookups go without a lock, and releases are plain stores. */
  private readonly inOrder: boolean;
  /** The bucket lockKeyBucket locked: its address and its lock stripe's word index. */
  private lockedFile = 0;
  private lockedOffset = 0;
  private lockedStripe = 0;

  constructor(
    s: StoreState,
    dir: string,
    private readonly ctl: SharedControl,
    /** This thread's key count in the control block. */
    private readonly keyCount: Int32Array,
  ) {
    super(s, dir);
    this.control = ctl.words;
    this.inOrder = ctl.inOrder;
    s.catalog.atomicEntries = !ctl.inOrder;
  }

  // The hot paths below are split in two: one short attempt (searchOnce, tryLockKeyBucket), and
  // a "slow" method with the loop that waits, catches up and tries again. V8 inlines a limited amount of bytecode into each
  // optimized function; with the loops inline, the persistent steps of an insert (insertIntoSlot
  // and its persists) no longer fitted and became calls (a shared insert ran about 30% slower
  // than an unshared one).

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
          syncWithControl(this.s, this.ctl);
          this.refresh();
          this.pageWords = this.s.pages.words;
          this.seen = word;
        }
        return;
      }
      if (spins > 1000) this.ctl.backOff(spins, 'a catalog change');
    }
  }

  override current(): StoreState {
    const s = this.state;
    syncWithControl(s, this.ctl);
    this.refresh();
    this.pageWords = s.pages.words;
    return s;
  }

  /** Maps page files other threads created since this one last looked. */
  private mapNewPages(): void {
    syncWithControl(this.s, this.ctl);
    this.pageWords = this.s.pages.words;
  }

  override searchWords(kLo: number, kHi: number, out: Uint32Array): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    if (!this.inOrder) return this.searchLocked(h, kLo, kHi, out);
    const found = this.searchOnce(h, kLo, kHi, out);
    return found !== RETRY ? found : this.searchSlow(h, kLo, kHi, out);
  }

  /**
   * A lookup where plain loads may be reordered (SharedControl.inOrder false): a probe checked
   * by the version after it could have read words written after that version. So the lookup
   * locks the bucket, as a writer does.
   */
  private searchLocked(h: number, kLo: number, kHi: number, out: Uint32Array): number {
    const held = this.lockKeyBucket(h);
    const stripe = this.lockedStripe;
    try {
      const w = this.pageWords[this.lockedFile];
      const b = this.lockedOffset >>> 2;
      const j = findKey(w, b, kLo, kHi);
      if (j < 0) return -1;
      out[0] = w[b + VALUE + 2 * j];
      out[1] = w[b + VALUE + 2 * j + 1];
      return 0;
    } finally {
      SharedControl.release(this.control, stripe, held, this.inOrder);
    }
  }

  /** One lock-free probe: 0 (value in out) or -1, or RETRY when the probe cannot be trusted. */
  private searchOnce(h: number, kLo: number, kHi: number, out: Uint32Array): number {
    const at = sectionWordAt(h);
    const started = this.settle(at);
    const e = (h & this.mask) * 2;
    const fileId = this.cat[e];
    const offset = this.cat[e + 1];
    const w = this.pageWords[fileId];
    if (w === undefined) return RETRY; // a page file another thread made: map it first
    const stripe = LOCKS + (lockIdOf(fileId, offset) & (LOCK_STRIPES - 1));
    const version = this.control[stripe]; // plain, as in settle; checked atomically below
    const b = offset >>> 2;
    const j = findKey(w, b, kLo, kHi);
    const vLo = j < 0 ? 0 : w[b + VALUE + 2 * j];
    const vHi = j < 0 ? 0 : w[b + VALUE + 2 * j + 1];
    // Even: no writer held the bucket; unchanged: none took it meanwhile, nor redirected.
    if (
      (version & 1) !== 0 ||
      (started & CATALOG_BUSY) !== 0 ||
      Atomics.load(this.control, stripe) !== version ||
      Atomics.load(this.control, at) !== started
    )
      return RETRY;
    if (j < 0) return -1;
    out[0] = vLo;
    out[1] = vHi;
    return 0;
  }

  /** searchWords' rare path: maps page files other threads made, and probes until a probe holds. */
  private searchSlow(h: number, kLo: number, kHi: number, out: Uint32Array): number {
    for (let spins = 0; ; spins++) {
      this.mapNewPages();
      const found = this.searchOnce(h, kLo, kHi, out);
      if (found !== RETRY) return found;
      if (spins > 1000) this.ctl.backOff(spins, 'a bucket being written');
    }
  }

  /**
   * As WordStore's, with this thread's view as it is, and a third pass over the buckets' lock
   * stripes. The stripes get a pass of their own so that the bucket pass stays as short as the
   * unshared one: with the stripe in the same loop, fewer keys' bucket loads fit in flight
   * (220w, 7 interleaved rounds: 1 worker thread load 1.07x, run 1.15x; 2 threads load 1.19x,
   * run 1.13x; leaving the stripes out instead: 1 thread 1.12x and 1.13x, 2 threads 0.91x, 0.90x).
   */
  override prefetchWords(lo: Uint32Array, hi: Uint32Array, from: number, to: number): number {
    const n = this.catalogAddresses(lo, hi, from, to);
    const at = threadBatchAddresses;
    const pages = this.pageWords;
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const w = pages[at[2 * i]];
      if (w !== undefined) sink ^= touchBucket(w, at[2 * i + 1] >>> 2);
    }
    for (let i = 0; i < n; i++) sink ^= this.ctl.stripeWord(lockIdOf(at[2 * i], at[2 * i + 1]));
    return sink;
  }

  /**
   * Locks the bucket of hash h and returns the lock's held value, with the bucket's address and
   * stripe in the locked* fields; the catalog entry is checked to still lead there.
   */
  private lockKeyBucket(h: number): number {
    const held = this.tryLockKeyBucket(h);
    return held !== 0 ? held : this.lockKeyBucketSlow(h);
  }

  /** One try of lockKeyBucket: the held value (odd, so never 0), or 0 when it did not get it. */
  private tryLockKeyBucket(h: number): number {
    const control = this.control;
    const at = sectionWordAt(h);
    const started = this.settle(at);
    const e = (h & this.mask) * 2;
    // Off x86, atomic loads: the bucket a split just published is then seen filled (Catalog.atomicEntries).
    const fileId = this.inOrder ? this.cat[e] : Atomics.load(this.cat, e);
    const offset = this.inOrder ? this.cat[e + 1] : Atomics.load(this.cat, e + 1);
    const stripe = LOCKS + (lockIdOf(fileId, offset) & (LOCK_STRIPES - 1));
    const v = control[stripe];
    if (
      this.pageWords[fileId] === undefined || // a page file another thread made: map it first
      (v & 1) !== 0 ||
      (started & CATALOG_BUSY) !== 0 ||
      Atomics.compareExchange(control, stripe, v, v + 1) !== v
    )
      return 0;
    // Nothing can redirect entries to or from a locked bucket. If no redirect in the key's
    // section started since this thread's view was made (settle), the entry read with its depth
    // still leads to the key's bucket; otherwise (a doubling, or a split of this bucket before
    // the lock was had) look again.
    if (Atomics.load(control, at) !== started) {
      SharedControl.release(control, stripe, v + 1, this.inOrder);
      return 0;
    }
    this.lockedFile = fileId;
    this.lockedOffset = offset;
    this.lockedStripe = stripe;
    return v + 1;
  }

  /** lockKeyBucket's rare path: maps page files other threads made, and tries until it locks. */
  private lockKeyBucketSlow(h: number): number {
    for (let spins = 0; ; spins++) {
      this.mapNewPages();
      const held = this.tryLockKeyBucket(h);
      if (held !== 0) return held;
      if (spins > 1000) this.ctl.backOff(spins, 'a bucket lock');
    }
  }

  override insertWords(kLo: number, kHi: number, vLo: number, vHi: number): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    for (;;) {
      const held = this.lockKeyBucket(h);
      const fileId = this.lockedFile;
      const offset = this.lockedOffset;
      const stripe = this.lockedStripe;
      try {
        const w = this.pageWords[fileId];
        const b = offset >>> 2;
        if (findKey(w, b, kLo, kHi) >= 0) return -1;
        const word = w[b + BITMAP];
        if ((word & USED) === BUCKET_FULL_BITMAP) {
          sharedSplit(this.s, this.ctl, h & this.mask, fileId, offset);
          continue; // the key's bucket is B or the new one: look again
        }
        insertIntoSlot(this.s, fileId, offset, w, b, word, h, kLo, kHi, vLo, vHi);
        this.keyCount[0]++;
        return 0;
      } finally {
        SharedControl.release(this.control, stripe, held, this.inOrder);
      }
    }
  }

  override updateWords(kLo: number, kHi: number, vLo: number, vHi: number): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    const held = this.lockKeyBucket(h);
    const fileId = this.lockedFile;
    const offset = this.lockedOffset;
    const stripe = this.lockedStripe;
    try {
      const w = this.pageWords[fileId];
      const b = offset >>> 2;
      const j = findKey(w, b, kLo, kHi);
      if (j < 0) return -1;
      updateSlot(this.s, fileId, offset, w, b, h, j, vLo, vHi);
      return 0;
    } finally {
      SharedControl.release(this.control, stripe, held, this.inOrder);
    }
  }

  override removeWords(kLo: number, kHi: number): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    const held = this.lockKeyBucket(h);
    const fileId = this.lockedFile;
    const offset = this.lockedOffset;
    const stripe = this.lockedStripe;
    let emptied: boolean;
    try {
      const w = this.pageWords[fileId];
      const b = offset >>> 2;
      const j = findKey(w, b, kLo, kHi);
      if (j < 0) return -1;
      const word = removeSlot(this.s, fileId, offset, w, b, h, j);
      this.keyCount[0]--;
      emptied = (word & USED) === 0 && w[b + DEPTH] > 0;
    } finally {
      SharedControl.release(this.control, stripe, held, this.inOrder);
    }
    if (emptied) sharedMergeEmpty(this.s, this.ctl, h);
    return 0;
  }
}
