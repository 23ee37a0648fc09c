// A bucket inside a mapped page: header (kv bitmap, local depth) and BUCKET_KV_SLOTS kv slots.
// A bucket is addressed by its page's Uint32Array view `w` and the word index `b` of its start.
// Whether a slot is used lives only in the bitmap, so every uint64 (0 included) is a legal key.

import {
  BUCKET_BITMAP_OFFSET, BUCKET_KV_OFFSET, BUCKET_LOCAL_DEPTH_OFFSET, KV_WORDS, WORD,
} from '../include-types/layout';

export const BITMAP = BUCKET_BITMAP_OFFSET / WORD;
export const DEPTH = BUCKET_LOCAL_DEPTH_OFFSET / WORD;
export const KV_BASE = BUCKET_KV_OFFSET / WORD;

/** Word index of kv slot j of the bucket starting at word b. */
export function slotWord(b: number, j: number): number {
  return b + KV_BASE + j * KV_WORDS;
}

/** Index of the used slot holding key (lo, hi), or -1. */
export function findKey(w: Uint32Array, b: number, lo: number, hi: number): number {
  let m = w[b + BITMAP];
  while (m !== 0) {
    const low = m & -m;
    const j = 31 - Math.clz32(low);
    const s = b + KV_BASE + j * KV_WORDS;
    if (w[s] === lo && w[s + 1] === hi) return j;
    m ^= low;
  }
  return -1;
}

/** Index of the lowest clear bit of a bitmap (the first free slot). */
export function firstFree(bitmap: number): number {
  const free = ~bitmap & (bitmap + 1);
  return 31 - Math.clz32(free);
}

export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
