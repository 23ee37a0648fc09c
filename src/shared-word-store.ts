// The word-level operations of a store shared by threads (FORMAT.md, "Threads"): the same steps
// and persist order as word-store.ts, with Dash's discipline. A lookup takes no lock and writes
// nothing shared: it reads the redirect counter and its bucket's version before probing and
// again after, and starts over when either moved. A write locks its bucket's stripe, checks that
// the key's catalog entry still leads there, and bumps the version as it unlocks. A full bucket
// splits under its lock; an emptied one is merged after its lock is released, if it can be.
// Each thread counts its inserts and removes in its own slot of the control block.

import { BUCKET_FULL_BITMAP, BUCKET_SIZE, LogOp, WORD } from '../include-types/layout';
import { firstFree } from './bits';
import { BITMAP, DEPTH, findKey, slotCheck, USED, VALUE, writeSlot } from './bucket';
import { hashKey } from './hash';
import type { SharedControl } from './shared-control';
import { lockIdOf, sharedMergeEmpty, sharedSplit, syncWithControl } from './shared-structure';
import type { StoreState } from './store-state';
import { WordStore } from './word-store';

export class SharedWordStore extends WordStore {
  /** redirectsStarted when this thread's view was last brought up to date. */
  private seen = -1;

  constructor(
    s: StoreState,
    dir: string,
    private readonly ctl: SharedControl,
    /** This thread's key count in the control block. */
    private readonly keyCount: Int32Array,
  ) {
    super(s, dir);
  }

  /**
   * Waits until no redirect is under way, brings this thread's view up to date if any happened
   * since it last looked, and returns the redirect counter to check against after the probe.
   */
  private settle(): number {
    for (let spins = 0; ; spins++) {
      const started = this.ctl.redirectsStarted();
      if (this.ctl.redirectsFinished() === started) {
        if (started !== this.seen) {
          syncWithControl(this.s, this.ctl);
          this.refresh();
          this.pageWords = this.s.pages.words;
          this.seen = started;
        }
        return started;
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
    for (;;) {
      const started = this.settle();
      const e = (h & this.mask) * 2;
      const fileId = this.cat[e];
      const offset = this.cat[e + 1];
      const w = this.pageWords[fileId];
      if (w === undefined) {
        this.mapNewPages();
        continue;
      }
      const id = lockIdOf(fileId, offset);
      const version = this.ctl.version(id);
      if ((version & 1) !== 0) continue; // a writer holds the bucket
      const b = offset >>> 2;
      const j = findKey(w, b, kLo, kHi);
      const vLo = j < 0 ? 0 : w[b + VALUE + 2 * j];
      const vHi = j < 0 ? 0 : w[b + VALUE + 2 * j + 1];
      if (this.ctl.version(id) !== version || this.ctl.redirectsStarted() !== started) continue;
      if (j < 0) return -1;
      out[0] = vLo;
      out[1] = vHi;
      return 0;
    }
  }

  override prefetchWords(lo: Uint32Array, hi: Uint32Array, from: number, to: number): number {
    this.settle();
    let sink = 0;
    for (let i = from; i < to; i++) {
      const e = (hashKey(lo[i], hi[i]) & this.mask) * 2;
      const w = this.pageWords[this.cat[e]];
      if (w !== undefined) sink ^= w[this.cat[e + 1] >>> 2];
    }
    return sink;
  }

  /**
   * Locks the bucket of hash h and returns the lock's held value, with the bucket's address in
   * `at` (fileId, offset, lock id); the catalog entry is checked to still lead there.
   */
  private lockKeyBucket(h: number): number {
    for (;;) {
      this.settle();
      const e = (h & this.mask) * 2;
      const fileId = this.cat[e];
      const offset = this.cat[e + 1];
      if (this.pageWords[fileId] === undefined) {
        this.mapNewPages();
        continue;
      }
      const id = lockIdOf(fileId, offset);
      const held = this.ctl.lockBucket(id);
      // Nothing can redirect entries to or from a locked bucket; with no redirect of other
      // entries under way, an entry read now is whole, and still this bucket's, or not.
      if (
        this.ctl.redirectsStarted() === this.ctl.redirectsFinished() &&
        this.cat[e] === fileId &&
        this.cat[e + 1] === offset
      ) {
        this.at[0] = fileId;
        this.at[1] = offset;
        this.at[2] = id;
        return held;
      }
      this.ctl.unlockBucket(id, held);
    }
  }

  private readonly at = new Int32Array(3);

  override insertWords(kLo: number, kHi: number, vLo: number, vHi: number): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    for (;;) {
      const held = this.lockKeyBucket(h);
      const fileId = this.at[0];
      const offset = this.at[1];
      const id = this.at[2];
      try {
        const w = this.pageWords[fileId];
        const b = offset >>> 2;
        if (findKey(w, b, kLo, kHi) >= 0) return -1;
        const word = w[b + BITMAP];
        if ((word & USED) === BUCKET_FULL_BITMAP) {
          sharedSplit(this.s, this.ctl, h & this.mask, fileId, offset);
          continue; // the key's bucket is B or the new one: look again
        }
        const j = firstFree(word & USED);
        writeSlot(w, b, j, kLo, kHi, vLo, vHi);
        this.s.pages.persistRange(fileId, offset, BUCKET_SIZE);
        w[b + BITMAP] = (word | (1 << j)) ^ slotCheck(h, j, vLo, vHi);
        this.s.pages.persistRange(fileId, offset, WORD);
        this.keyCount[0]++;
        return 0;
      } finally {
        this.ctl.unlockBucket(id, held);
      }
    }
  }

  override updateWords(kLo: number, kHi: number, vLo: number, vHi: number): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    const held = this.lockKeyBucket(h);
    const fileId = this.at[0];
    const offset = this.at[1];
    const id = this.at[2];
    try {
      const w = this.pageWords[fileId];
      const b = offset >>> 2;
      const j = findKey(w, b, kLo, kHi);
      if (j < 0) return -1;
      const v = b + VALUE + 2 * j;
      const word = w[b + BITMAP] ^ slotCheck(h, j, w[v], w[v + 1]) ^ slotCheck(h, j, vLo, vHi);
      this.s.meta.beginLog(LogOp.Update, fileId, offset, j, vLo, vHi, 0);
      w[v] = vLo;
      w[v + 1] = vHi;
      w[b + BITMAP] = word;
      this.s.pages.persistRange(fileId, offset, BUCKET_SIZE);
      this.s.meta.endLog();
      return 0;
    } finally {
      this.ctl.unlockBucket(id, held);
    }
  }

  override removeWords(kLo: number, kHi: number): number {
    if (this.closed) throw this.closedError();
    const h = hashKey(kLo, kHi);
    const held = this.lockKeyBucket(h);
    const fileId = this.at[0];
    const offset = this.at[1];
    const id = this.at[2];
    let emptied: boolean;
    try {
      const w = this.pageWords[fileId];
      const b = offset >>> 2;
      const j = findKey(w, b, kLo, kHi);
      if (j < 0) return -1;
      const v = b + VALUE + 2 * j;
      const word = (w[b + BITMAP] & ~(1 << j)) ^ slotCheck(h, j, w[v], w[v + 1]);
      w[b + BITMAP] = word;
      this.s.pages.persistRange(fileId, offset, WORD);
      this.keyCount[0]--;
      emptied = (word & USED) === 0 && w[b + DEPTH] > 0;
    } finally {
      this.ctl.unlockBucket(id, held);
    }
    if (emptied) sharedMergeEmpty(this.s, this.ctl, h);
    return 0;
  }
}
