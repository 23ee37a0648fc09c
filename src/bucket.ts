// A bucket inside a mapped page (layout in include-types/layout.ts): a bitmap word (used slots
// and a checksum of their contents), the local depth, and 15 kv slots stored as three arrays
// (key low halves, key high halves, values).
// A bucket is addressed by its page's Uint32Array view `w` and the word index `b` of its start.
// Whether a slot is used lives only in the bitmap, so every uint64 (0 included) is a legal key.

import * as layout from '../include-types/layout';
import { fmix32, hashKey } from './hash';

// Constants on the hot path. TypeScript compiles an imported constant, and a module's use of its
// own `export const`, to a read of the exporting module's `exports` object, whose property was
// first set to undefined; V8 then treats it as a variable and reads it at every use. A module's
// own plain `const` V8 compiles as its value. So the modules of the hot path (this one,
// word-store.ts, structure.ts, the control block, and the YCSB runner) copy the constants they use into consts of their own when they load, and export their
// own through an export list, which leaves their uses inside the module plain consts (220w, one
// thread, 9 interleaved rounds: load 1.14x (1.02-1.25), run 1.18x (1.01-1.25)).
const { BUCKET_CHECKSUM_SHIFT, BUCKET_FULL_BITMAP, BUCKET_KV_SLOTS, CACHE_LINE, WORD } = layout;

/** Word offsets inside a bucket: w[b + BITMAP], w[b + KEY_LO + j], w[b + VALUE + 2j] ... */
const BITMAP = layout.BUCKET_BITMAP_OFFSET / WORD;
const KEY_LO = layout.BUCKET_KEY_LO_OFFSET / WORD;
const DEPTH = layout.BUCKET_LOCAL_DEPTH_OFFSET / WORD;
const KEY_HI = layout.BUCKET_KEY_HI_OFFSET / WORD;
const VALUE = layout.BUCKET_VALUE_OFFSET / WORD;

/** Mask of the used-slot bits of the bitmap word. */
const USED = BUCKET_FULL_BITMAP;

export { BITMAP, DEPTH, KEY_HI, KEY_LO, USED, VALUE };

/**
 * The checksum contribution of kv slot j, already shifted into the checksum bits of the bitmap
 * word. `h` is the key's hash (hashKey). The word's checksum is the XOR of the contributions of
 * its used slots, so an insert or a remove changes used bit and checksum in one 4-byte store.
 */
export function slotCheck(h: number, j: number, vLo: number, vHi: number): number {
  return fmix32(h ^ Math.imul(vLo, 0x9e3779b1) ^ Math.imul(vHi + j, 0x85ebca77)) << BUCKET_CHECKSUM_SHIFT;
}

/**
 * The checksum bits of an empty bucket at (fileId, offset) of local depth d, which every bucket's
 * checksum includes (format version 5). Bit 15 is always set, so an all-zero bitmap word (a
 * zeroed line) is never a valid bucket; and it depends on the bucket's place and depth, so a line
 * or page copied, swapped or left from another depth does not pass either.
 */
export function bucketSeed(fileId: number, offset: number, depth: number): number {
  const mix = fmix32(
    Math.imul(fileId, 0x27d4eb2f) ^ Math.imul(offset + 1, 0x165667b1) ^ Math.imul(depth + 1, 0x9e3779b1),
  );
  return (mix << BUCKET_CHECKSUM_SHIFT) | (1 << BUCKET_CHECKSUM_SHIFT);
}

/**
 * The checksum bits the bitmap word of bucket (w, b), at (fileId, offset), should hold for its
 * used slots and its local depth.
 */
export function bucketCheck(w: Uint32Array, b: number, fileId: number, offset: number): number {
  return (slotsCheck(w, b) ^ bucketSeed(fileId, offset, w[b + DEPTH])) >>> 0;
}

/** The XOR of the used slots' checksum parts: a bucket's checksum bits before version 5. */
function slotsCheck(w: Uint32Array, b: number): number {
  const used = w[b + BITMAP] & USED;
  let check = 0;
  for (let j = 0; j < BUCKET_KV_SLOTS; j++) {
    if ((used & (1 << j)) !== 0) {
      check ^= slotCheck(
        hashKey(w[b + KEY_LO + j], w[b + KEY_HI + j]),
        j,
        w[b + VALUE + 2 * j],
        w[b + VALUE + 2 * j + 1],
      );
    }
  }
  return check >>> 0;
}

/** Whether the checksum bits of bucket (w, b), at (fileId, offset), match its used slots and depth. */
export function checksumHolds(w: Uint32Array, b: number, fileId: number, offset: number): boolean {
  return (w[b + BITMAP] & ~USED) >>> 0 === bucketCheck(w, b, fileId, offset);
}

/** Whether bucket (w, b) holds the checksum of format versions before 5 (no seed). */
export function legacyChecksumHolds(w: Uint32Array, b: number): boolean {
  return (w[b + BITMAP] & ~USED) >>> 0 === slotsCheck(w, b);
}

/** 1 when x is 0, else 0, without a branch: clz32 is 32 only for 0. */
function isZero(x: number): number {
  return Math.clz32(x) >>> 5;
}

if (BUCKET_KV_SLOTS !== 15) throw new Error('findKey compares exactly 15 slots: write it again for the new count');

/**
 * Index of the used slot holding key (lo, hi), or -1. Reads line 0, and line 1 only for a slot
 * whose low half matches. The low halves of all 15 slots are compared without a branch: a loop
 * that stopped after the last used slot would end at a different count in every bucket, and
 * each mispredicted exit throws away the loads the CPU had already started for the operations
 * that follow (measured: +17% load and +30% run ops/s on 220w). The 15 compares are written out
 * rather than looped, because V8 does not unroll loops: the loop's counter and index arithmetic
 * cost about a quarter of an in-cache READ (written out: +7-12% load on 220w, 9 interleaved rounds).
 */
export function findKey(w: Uint32Array, b: number, lo: number, hi: number): number {
  const k = b + KEY_LO;
  let match =
    isZero(w[k] ^ lo) |
    (isZero(w[k + 1] ^ lo) << 1) |
    (isZero(w[k + 2] ^ lo) << 2) |
    (isZero(w[k + 3] ^ lo) << 3) |
    (isZero(w[k + 4] ^ lo) << 4) |
    (isZero(w[k + 5] ^ lo) << 5) |
    (isZero(w[k + 6] ^ lo) << 6) |
    (isZero(w[k + 7] ^ lo) << 7) |
    (isZero(w[k + 8] ^ lo) << 8) |
    (isZero(w[k + 9] ^ lo) << 9) |
    (isZero(w[k + 10] ^ lo) << 10) |
    (isZero(w[k + 11] ^ lo) << 11) |
    (isZero(w[k + 12] ^ lo) << 12) |
    (isZero(w[k + 13] ^ lo) << 13) |
    (isZero(w[k + 14] ^ lo) << 14);
  match &= w[b + BITMAP] & USED;
  // The first match is checked on every probe, also when there is none: then j is -1, hi is
  // compared with the bitmap word (line 0, read already) instead of a high half, and -1 is the
  // answer either way. Were that code run only when a low half matched, the load phase (all
  // its keys new) would never run it, and V8 would throw the optimized findKey away at the run
  // phase's first READ.
  let low = match & -match;
  let j = 31 - Math.clz32(low);
  const hiAt = b + KEY_HI + j;
  if ((w[j < 0 ? b + BITMAP : hiAt] | 0) === (hi | 0)) return j;
  for (match ^= low; match !== 0; match ^= low) {
    low = match & -match; // another slot with the same low half: rare
    j = 31 - Math.clz32(low);
    if ((w[b + KEY_HI + j] | 0) === (hi | 0)) return j;
  }
  return -1;
}

/** Words in a cache line: the bucket's four lines start at b, b + LINE_WORDS, ... */
const LINE_WORDS = CACHE_LINE / WORD;

/**
 * Loads one word of each of the four lines of bucket (w, b), so that the operation on it that
 * follows finds them in the CPU cache (a READ reads three of the lines, an INSERT writes three).
 * Returns their XOR, which the caller keeps so that the loads are not optimized away.
 */
export function touchBucket(w: Uint32Array, b: number): number {
  return w[b] ^ w[b + LINE_WORDS] ^ w[b + 2 * LINE_WORDS] ^ w[b + 3 * LINE_WORDS];
}

/** Writes kv slot j (no persist). */
export function writeSlot(
  w: Uint32Array,
  b: number,
  j: number,
  kLo: number,
  kHi: number,
  vLo: number,
  vHi: number,
): void {
  w[b + KEY_LO + j] = kLo;
  w[b + KEY_HI + j] = kHi;
  w[b + VALUE + 2 * j] = vLo;
  w[b + VALUE + 2 * j + 1] = vHi;
}

/** Copies kv slot j of bucket (w, b) into slot k of bucket (nw, nb). */
export function copySlot(w: Uint32Array, b: number, j: number, nw: Uint32Array, nb: number, k: number): void {
  writeSlot(nw, nb, k, w[b + KEY_LO + j], w[b + KEY_HI + j], w[b + VALUE + 2 * j], w[b + VALUE + 2 * j + 1]);
}
