// The deterministic operation sequences the crash tests replay, and the oracle they are checked
// against. Shared by the child (crash-driver.ts) and the test that kills it.

import { Random } from './random';

export interface Op {
  kind: 'insert' | 'update' | 'remove';
  key: bigint;
  value: bigint;
}

export interface SequenceSpec {
  seed: number;
  inserts: number;
  updates: number;
  removes: number;
  bucketsPerPage: number;
}

/** Small enough to crash at every persist point: a few splits, doublings, merges, page files. */
export const SMALL: SequenceSpec = { seed: 1, inserts: 80, updates: 10, removes: 78, bucketsPerPage: 2 };
/** Large: several doublings, more than 100 splits and 50 merges. */
export const LARGE: SequenceSpec = { seed: 2, inserts: 1600, updates: 300, removes: 1560, bucketsPerPage: 8 };

/** Inserts, then updates of inserted keys, then removes in a shuffled order. */
export function sequence(spec: SequenceSpec): Op[] {
  const rnd = new Random(spec.seed);
  const keys: bigint[] = [];
  const ops: Op[] = [];
  for (let i = 0; i < spec.inserts; i++) {
    const key = i % 5 === 0 ? BigInt(i) : rnd.uint64(); // some small keys, mostly full uint64
    keys.push(key);
    ops.push({ kind: 'insert', key, value: rnd.uint64() });
  }
  for (let i = 0; i < spec.updates; i++) ops.push({ kind: 'update', key: keys[rnd.below(keys.length)], value: rnd.uint64() });
  for (let i = keys.length - 1; i > 0; i--) {
    const j = rnd.below(i + 1);
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  for (let i = 0; i < spec.removes; i++) ops.push({ kind: 'remove', key: keys[i], value: 0n });
  return ops;
}

/** Applies op to a Map the way the store must. */
export function applyOp(map: Map<bigint, bigint>, op: Op): void {
  if (op.kind === 'insert') {
    if (!map.has(op.key)) map.set(op.key, op.value);
  } else if (op.kind === 'update') {
    if (map.has(op.key)) map.set(op.key, op.value);
  } else {
    map.delete(op.key);
  }
}
