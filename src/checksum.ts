// FNV-1a (32-bit) over a byte range: the checksum of the metadata block, the log record and the
// batch record. Its word-at-a-time variant checks the files of durability 'log', whose frames and
// snapshots are long: four times fewer steps for the same kind of mixing.

const OFFSET_BASIS = 0x811c9dc5;

/** FNV-1a of bytes [start, end); `from` continues the hash of bytes before them (a range apart). */
export function fnv1a32(bytes: Uint8Array, start: number, end: number, from = OFFSET_BASIS): number {
  let h = from;
  for (let i = start; i < end; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * FNV-1a's step taken a uint32 at a time over words [start, end), each step folding the high
 * bits back down (a product's high bits never reach its low ones); `from` continues a hash.
 */
export function wordChecksum(words: Uint32Array, start: number, end: number, from = OFFSET_BASIS): number {
  let h = from;
  for (let i = start; i < end; i++) {
    h = Math.imul(h ^ words[i], 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}
