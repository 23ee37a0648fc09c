// What each READ of a workload must return, worked out before the timed phases by replaying the
// operations on a small open-addressing table of key states. The value convention: INSERT k
// stores k; UPDATE k stores ~k (the bitwise complement of both halves).

import { hashKey } from '../hash';
import { OP_DELETE, OP_INSERT, OP_READ, OP_UPDATE, type Workload } from './workload';

const EMPTY = 0;
const HOLDS_KEY = 1; // value = k
const HOLDS_COMPLEMENT = 2; // value = ~k
const REMOVED = 3;

/** Per READ, in order: the expected state (0 = absent, 1 = value k, 2 = value ~k). */
export type ReadExpectations = Uint8Array;

export class ExpectationTable {
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;
  private readonly state: Uint8Array;
  private readonly mask: number;

  constructor(maxKeys: number) {
    let capacity = 1024;
    while (capacity < maxKeys * 1.6) capacity *= 2;
    this.lo = new Uint32Array(capacity);
    this.hi = new Uint32Array(capacity);
    this.state = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  /** The slot of key (lo, hi): where it is, or the empty slot where it would go. */
  private slot(lo: number, hi: number): number {
    let i = hashKey(lo, hi) & this.mask;
    while (this.state[i] !== EMPTY && (this.lo[i] !== lo || this.hi[i] !== hi)) i = (i + 1) & this.mask;
    return i;
  }

  /** Replays `w`, returning the expected outcome of each of its READs. */
  replay(w: Workload): ReadExpectations {
    let reads = 0;
    for (let i = 0; i < w.count; i++) if (w.ops[i] === OP_READ) reads++;
    const expected = new Uint8Array(reads);
    let r = 0;
    for (let i = 0; i < w.count; i++) {
      const lo = w.keyLo[i];
      const hi = w.keyHi[i];
      const s = this.slot(lo, hi);
      const present = this.state[s] === HOLDS_KEY || this.state[s] === HOLDS_COMPLEMENT;
      switch (w.ops[i]) {
        case OP_INSERT:
          if (!present) {
            this.lo[s] = lo;
            this.hi[s] = hi;
            this.state[s] = HOLDS_KEY;
          }
          break;
        case OP_UPDATE:
          if (present) this.state[s] = HOLDS_COMPLEMENT;
          break;
        case OP_DELETE:
          if (present) this.state[s] = REMOVED;
          break;
        case OP_READ:
          expected[r++] = present ? this.state[s] : 0;
          break;
      }
    }
    return expected;
  }
}

const EXPECT_ABSENT = 0;

/** READ outcomes of a run: as expected (a value, or an expected absence), missed, mismatched. */
export interface ReadReport {
  found: number;
  missed: number;
  mismatched: number;
}

/**
 * Counts one READ against its expectation `want`: `found` says whether the store had the key,
 * `isKey` / `isComplement` whether the value it returned was k / ~k.
 */
export function judgeRead(
  reads: ReadReport,
  want: number,
  found: boolean,
  isKey: boolean,
  isComplement: boolean,
): void {
  if (!found) {
    if (want === EXPECT_ABSENT) reads.found++;
    else reads.missed++;
  } else if (want === HOLDS_KEY ? isKey : want === HOLDS_COMPLEMENT && isComplement) {
    reads.found++;
  } else {
    reads.mismatched++;
  }
}
