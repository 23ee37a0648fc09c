// The walk behind keys(), values() and entries(): a cursor that moves through the hash space in
// bit-reversed order, one bucket at a time, so that it copies nothing but the bucket in hand.
//
// Why bit-reversed: entry i of the catalog holds the keys whose hash has low bits i, so in the
// order of reverse32(hash) every bucket (local depth d, pattern p) covers one contiguous range,
// of 2^(32-d) positions, whatever splits and merges happen. The cursor is a position in that
// order: at each step it takes the bucket covering it, keeps that bucket's keys at or after it,
// sorted, and moves to the end of the bucket's range. Hence the guarantee README states: a pair
// in the store for the whole walk is met exactly once, however the store changes meanwhile;
// pairs inserted or removed during the walk may be met or not; a value is the one the pair had
// when its bucket was reached.

import { BUCKET_KV_SLOTS } from '../include-types/layout';
import { pow2 } from './bits';
import { BITMAP, DEPTH, KEY_HI, KEY_LO, USED, VALUE } from './bucket';
import { hashKey } from './hash';
import { lockIdOf, SharedControl } from './shared-control';
import { syncWithControl, type StoreState } from './store-state';

const TWO_32 = 4294967296;

/** The 32 bits of x in reverse order, as a uint32. */
export function reverse32(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  return ((x >>> 16) | (x << 16)) >>> 0;
}

/**
 * A walk of a shared store looks again at a bucket a writer had in hand: after a while it
 * pauses between looks, and gives up with PMEHASH_DEADLOCK as lookups do (SharedControl.backOff).
 */
function lookAgain(ctl: SharedControl, spins: number): number {
  if (spins > 1000) ctl.backOff(spins, 'a bucket being written');
  return spins + 1;
}

export class PairCursor {
  /** Position in bit-reversed hash order of the next pair to meet; 2^32 at the end. */
  private position = 0;
  /** The current bucket's pairs at or after the position, as (kLo, kHi, vLo, vHi) quadruples. */
  readonly batch = new Uint32Array(4 * BUCKET_KV_SLOTS);
  batchSize = 0;
  private readonly order = new Float64Array(BUCKET_KV_SLOTS);

  /** Loads the next non-empty bucket's pairs into `batch`; false at the end of the walk. */
  next(s: StoreState): boolean {
    let spins = 0; // looks again in a row, in a shared store (lookAgain)
    while (this.position < TWO_32) {
      const ctl = s.ctl.threaded ? s.ctl : undefined;
      // In a shared store: the catalog word and the entry's section word before reading the
      // entry, compared after the bucket is read (as a lookup does); a change of depth brings
      // this thread's view along. The section is that of the position's keys (`hash`): every
      // redirect that may change entry i holds it, whatever the depth.
      const hash = reverse32(this.position);
      const word = ctl ? ctl.catalogWord() : 0;
      const section = ctl ? ctl.sectionWord(hash) : 0;
      if (ctl && (SharedControl.busy(word) || SharedControl.busy(section))) {
        spins = lookAgain(ctl, spins);
        continue;
      }
      if (ctl && s.globalDepth !== ctl.globalDepth) syncWithControl(s);
      const mask = pow2(s.globalDepth) - 1;
      const i = hash & mask;
      const fileId = s.catalog.fileId(i);
      const w = s.pages.words[fileId];
      const b = s.catalog.offset(i) >>> 2;
      if (w === undefined && ctl) {
        syncWithControl(s); // a page file another thread made since
        continue;
      }
      const lockId = lockIdOf(fileId, s.catalog.offset(i));
      // Where plain loads may be reordered, the bucket is read under its lock (as a lookup is).
      const held = ctl && !ctl.inOrder ? ctl.tryLockBucket(lockId) : 0;
      const version = ctl && ctl.inOrder ? ctl.version(lockId) : 0;
      if (ctl && (ctl.inOrder ? (version & 1) !== 0 : held === 0)) {
        spins = lookAgain(ctl, spins); // a thread is changing the bucket
        continue;
      }
      const depth = w[b + DEPTH];
      const from = this.position;
      this.collect(w, b, from);
      if (held !== 0) ctl!.unlockBucket(lockId, held);
      // In a shared store, a bucket that changed while it was read is read again.
      if (
        ctl &&
        ((held === 0 && ctl.version(lockId) !== version) ||
          ctl.catalogWord() !== word ||
          ctl.sectionWord(hash) !== section)
      ) {
        spins = lookAgain(ctl, spins);
        continue;
      }
      spins = 0;
      // The bucket's range ends where its top `depth` bits (in reversed order) step up by one.
      const span = TWO_32 / pow2(depth);
      this.position = (Math.floor(from / span) + 1) * span;
      if (this.batchSize > 0) return true;
    }
    return false;
  }

  /** The pairs of bucket (w, b) at positions >= from, in position order, into `batch`. */
  private collect(w: Uint32Array, b: number, from: number): void {
    const used = w[b + BITMAP] & USED;
    let n = 0;
    for (let j = 0; j < BUCKET_KV_SLOTS; j++) {
      if ((used & (1 << j)) === 0) continue;
      const at = reverse32(hashKey(w[b + KEY_LO + j], w[b + KEY_HI + j]));
      if (at >= from) this.order[n++] = at * 16 + j; // position, then slot: sorts by position
    }
    this.order.subarray(0, n).sort();
    for (let k = 0; k < n; k++) {
      const j = this.order[k] % 16;
      this.batch[4 * k] = w[b + KEY_LO + j];
      this.batch[4 * k + 1] = w[b + KEY_HI + j];
      this.batch[4 * k + 2] = w[b + VALUE + 2 * j];
      this.batch[4 * k + 3] = w[b + VALUE + 2 * j + 1];
    }
    this.batchSize = n;
  }
}
