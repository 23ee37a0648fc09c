// YCSB's record-number hash: 64-bit FNV-1a over the 8 little-endian bytes of i, then the
// absolute value as a signed 64-bit number (Utils.fnvhash64). Computed in 32-bit halves.

const FNV_OFFSET_LO = 0x84222325;
const FNV_OFFSET_HI = 0xcbf29ce4;
const FNV_PRIME_LOW_BITS = 0x1b3; // FNV prime = 2^40 + 0x1b3
const TWO_32 = 4294967296;

/** Result halves of the last fnv64 call: [lo, hi]. */
export const fnvOut = new Uint32Array(2);

/** fnv64 of a record number 0 <= n < 2^53; the result is left in fnvOut. */
export function fnv64(n: number): void {
  let lo = FNV_OFFSET_LO;
  let hi = FNV_OFFSET_HI;
  let vLo = n >>> 0;
  let vHi = (n - vLo) / TWO_32;
  for (let i = 0; i < 8; i++) {
    lo = (lo ^ (vLo & 0xff)) >>> 0;
    vLo = ((vLo >>> 8) | ((vHi & 0xff) << 24)) >>> 0;
    vHi >>>= 8;
    // (hi:lo) *= 2^40 + 0x1b3 (mod 2^64)
    const loProduct = lo * FNV_PRIME_LOW_BITS; // < 2^41: exact
    hi = (Math.imul(hi, FNV_PRIME_LOW_BITS) + Math.floor(loProduct / TWO_32) + (lo << 8)) >>> 0;
    lo = loProduct >>> 0;
  }
  if (hi & 0x80000000) {
    // two's-complement negation (Math.abs of a negative long); 2^63 stays 2^63 as in Java
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  fnvOut[0] = lo;
  fnvOut[1] = hi;
}

/** fnv64 as a bigint (for the zipfian scrambling and for tests). */
export function fnv64BigInt(n: number): bigint {
  fnv64(n);
  return (BigInt(fnvOut[1]) << 32n) | BigInt(fnvOut[0]);
}
