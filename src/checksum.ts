// FNV-1a (32-bit) over a byte range: the checksum of the metadata block, the log record and the
// batch record.

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
