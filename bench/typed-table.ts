// The ceiling for a JavaScript hash table: open addressing with linear probing on typed arrays,
// keys and values as 32-bit halves (int32 bits, which V8 keeps in registers), in memory only.
// A benchmark contender, not part of the store.

import { hashKey } from '../src/hash';

export class TypedTable {
  private readonly keyLo: Int32Array;
  private readonly keyHi: Int32Array;
  private readonly valLo: Int32Array;
  private readonly valHi: Int32Array;
  private readonly used: Uint8Array;
  private readonly mask: number;
  size = 0;

  /** Sized once for `maxKeys` at a load factor of at most 0.5 (it never grows). */
  constructor(maxKeys: number) {
    let capacity = 1024;
    while (capacity < maxKeys * 2) capacity *= 2;
    this.keyLo = new Int32Array(capacity);
    this.keyHi = new Int32Array(capacity);
    this.valLo = new Int32Array(capacity);
    this.valHi = new Int32Array(capacity);
    this.used = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  private slot(lo: number, hi: number): number {
    let i = hashKey(lo, hi) & this.mask;
    while (this.used[i] !== 0 && (this.keyLo[i] !== lo || this.keyHi[i] !== hi)) i = (i + 1) & this.mask;
    return i;
  }

  insert(lo: number, hi: number, vLo: number, vHi: number): number {
    const i = this.slot(lo, hi);
    if (this.used[i] !== 0) return -1;
    this.used[i] = 1;
    this.keyLo[i] = lo;
    this.keyHi[i] = hi;
    this.valLo[i] = vLo;
    this.valHi[i] = vHi;
    this.size++;
    return 0;
  }

  update(lo: number, hi: number, vLo: number, vHi: number): number {
    const i = this.slot(lo, hi);
    if (this.used[i] === 0) return -1;
    this.valLo[i] = vLo;
    this.valHi[i] = vHi;
    return 0;
  }

  /** It does not prefetch: an operation reads one slot of each array, found by one hash. */
  prefetch(): void {}

  search(lo: number, hi: number, out: Int32Array): number {
    const i = this.slot(lo, hi);
    if (this.used[i] === 0) return -1;
    out[0] = this.valLo[i];
    out[1] = this.valHi[i];
    return 0;
  }
}
