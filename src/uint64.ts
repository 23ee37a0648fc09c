// The only place that converts between the public uint64 forms (bigint, safe number) and the
// two uint32 halves the store works with, and that decides what counts as a valid uint64.

const TWO_32 = 4294967296;
const MAX_UINT64 = (1n << 64n) - 1n;
/** Scratch halves written by `toHalves`: [lo, hi]. Read them before the next call. */
export const halves = new Uint32Array(2);
/**
 * The same 8 bytes as one uint64: a bigint stored there is split into `halves` with no BigInt
 * arithmetic, which allocates (little-endian, as the files are: halves[0] is the low half).
 */
const wide = new BigUint64Array(halves.buffer);

/**
 * Validates `v` as a uint64 and writes its halves into `halves`.
 * Throws TypeError for a non-integer type, RangeError for a value outside [0, 2^64-1].
 */
export function toHalves(v: unknown, what: string): void {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TypeError(`${what} must be an integer, got ${v}`);
    if (v < 0 || v > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`${what} must be a safe non-negative integer or a bigint, got ${v}`);
    }
    halves[0] = v >>> 0; // ToUint32 is exact modulo 2^32 for integers below 2^53
    halves[1] = (v - halves[0]) / TWO_32;
    return;
  }
  if (typeof v === 'bigint') {
    if (v < 0n || v > MAX_UINT64) throw new RangeError(`${what} must be in [0, 2^64-1], got ${v}`);
    wide[0] = v;
    return;
  }
  throw new TypeError(`${what} must be a bigint or a number, got ${v === null ? 'null' : typeof v}`);
}

export function fromHalves(lo: number, hi: number): bigint {
  if (hi === 0) return BigInt(lo);
  if (hi < 0x200000) return BigInt(hi * TWO_32 + lo); // below 2^53: exact as a number
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Exact decimal text of a uint64 given as halves (no BigInt below 2^53). */
export function halvesToString(lo: number, hi: number): string {
  return hi < 0x200000 ? String(hi * TWO_32 + lo) : fromHalves(lo, hi).toString();
}
