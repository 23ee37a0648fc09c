// Bit arithmetic on 32-bit integers, shared by the catalog, buckets, splits and recovery.

/**
 * 2^d for a depth d in [0, 30]. Global and local depths never exceed MAX_GLOBAL_DEPTH (26), so a
 * shift is exact; `2 ** d` with a variable d compiles to a call of Math.pow, which showed up in
 * the split path's profile.
 */
export function pow2(d: number): number {
  return 1 << d;
}

/** Index of the lowest clear bit of a bitmap (the first free slot). */
export function firstFree(bitmap: number): number {
  const free = ~bitmap & (bitmap + 1);
  return 31 - Math.clz32(free);
}

/** Number of set bits of a 32-bit integer. */
export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
