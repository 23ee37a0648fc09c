// key -> 32-bit hash, in 32-bit integer arithmetic (Math.imul), no BigInt.
// The catalog index of a key is the low globalDepth bits of its hash. Hashes are returned as
// signed int32 (the same 32 bits): V8 keeps an int32 in a register, while a uint32 above 2^31
// becomes a double. Every user of a hash takes bits of it.

/** murmur3's 32-bit finalizer: a bijection on uint32 with full avalanche. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/**
 * Mixes both halves of a uint64 key. For a fixed high half it is a bijection of the low half,
 * so keys that differ only in their low 32 bits (sequential keys) never collide.
 */
export function hashKey(lo: number, hi: number): number {
  return fmix32(lo ^ fmix32(hi ^ 0x9e3779b9));
}
