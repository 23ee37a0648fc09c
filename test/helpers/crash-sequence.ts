// The deterministic operation sequences the crash tests replay, and the oracle they are checked
// against. Shared by the child (crash-driver.ts), the power-loss simulator and the tests.

import type { BatchOperation } from '../../include-types/kv';
import type { PmEHash } from '../../src';
import { hashKey } from '../../src/hash';
import { Random } from './random';

export interface Op {
  kind: 'insert' | 'update' | 'remove' | 'batch' | 'clear';
  key: bigint;
  value: bigint;
  /** kind 'batch': its operations (key and value above unused). */
  batch?: BatchOperation[];
}

/** One round of a sequence: insert fresh keys, update some live ones, then remove live ones. */
export interface Cycle {
  inserts: number;
  updates: number;
  /** Live keys removed, in a shuffled order; 'all' empties the store. */
  removes: number | 'all';
  /**
   * Remove keys whose hash has the most trailing zero bits last: the shallow parts of the table
   * empty first, and the last removes cascade through many merges and catalog halvings at once.
   */
  deepestLast?: boolean;
  /** A clear() ends the cycle (the next cycle starts from an empty store). */
  clear?: boolean;
}

export interface SequenceSpec {
  seed: number;
  bucketsPerPage: number;
  cycles: Cycle[];
  /**
   * When given, a cycle's operations go in batch() calls of these sizes in turn, as puts (the
   * inserts of fresh keys and the updates) and dels; each batch also deletes its first key and
   * puts it back, so that a key appears twice in one batch.
   */
  batchSizes?: number[];
}

/** Small enough to crash at every persist point: a few splits, doublings, merges, page files. */
export const SMALL: SequenceSpec = { seed: 1, bucketsPerPage: 2, cycles: [{ inserts: 80, updates: 10, removes: 78 }] };
/** Large: several doublings, more than 100 splits and 50 merges. */
export const LARGE: SequenceSpec = {
  seed: 2,
  bucketsPerPage: 8,
  cycles: [{ inserts: 1600, updates: 300, removes: 1560 }],
};
/**
 * A whole lifecycle: fill, empty completely, regrow, empty again, three times. Keys whose hash
 * has the most trailing zeros go last, so each emptying ends in removes that merge many levels
 * at once and halve the catalog several levels in a single call.
 */
export const LIFECYCLE: SequenceSpec = {
  seed: 4,
  bucketsPerPage: 4,
  cycles: [
    { inserts: 64, updates: 0, removes: 'all', deepestLast: true },
    { inserts: 48, updates: 4, removes: 'all', deepestLast: true },
    { inserts: 40, updates: 0, removes: 'all', deepestLast: true },
  ],
};

/**
 * Batches and clears: batches from 1 to 32 operations (the largest split buckets, double the
 * catalog and make page files), a clear of a filled store, a regrowth, then batches that
 * empty it.
 */
export const BATCHES: SequenceSpec = {
  seed: 5,
  bucketsPerPage: 2,
  cycles: [
    { inserts: 50, updates: 6, removes: 12, clear: true },
    { inserts: 20, updates: 4, removes: 'all' },
  ],
  batchSizes: [1, 9, 30, 3],
};

export const SEQUENCES = { SMALL, LARGE, LIFECYCLE, BATCHES } as const;
export type SequenceName = keyof typeof SEQUENCES;

/** The operations of `spec`, in order. Keys are mostly full uint64, some small. */
export function sequence(spec: SequenceSpec): Op[] {
  const rnd = new Random(spec.seed);
  const ops: Op[] = [];
  const live: bigint[] = [];
  let made = 0;
  for (const cycle of spec.cycles) {
    const cycleStart = ops.length;
    for (let i = 0; i < cycle.inserts; i++, made++) {
      const key = made % 5 === 0 ? BigInt(made) : rnd.uint64();
      live.push(key);
      ops.push({ kind: 'insert', key, value: rnd.uint64() });
    }
    for (let i = 0; i < cycle.updates; i++)
      ops.push({ kind: 'update', key: live[rnd.below(live.length)], value: rnd.uint64() });
    for (let i = live.length - 1; i > 0; i--) {
      const j = rnd.below(i + 1);
      [live[i], live[j]] = [live[j], live[i]];
    }
    if (cycle.deepestLast) live.sort((a, b) => trailingZeros(a) - trailingZeros(b));
    const removes = cycle.removes === 'all' ? live.length : cycle.removes;
    for (const key of live.splice(0, removes)) ops.push({ kind: 'remove', key, value: 0n });
    if (spec.batchSizes) ops.push(...inBatches(ops.splice(cycleStart), spec.batchSizes));
    if (cycle.clear) {
      ops.push({ kind: 'clear', key: 0n, value: 0n });
      live.length = 0;
    }
  }
  return ops;
}

/** ops (inserts of fresh keys, updates of live ones, removes) as batch operations of `sizes` in turn. */
function inBatches(ops: Op[], sizes: number[]): Op[] {
  const batches: Op[] = [];
  for (let at = 0, k = 0; at < ops.length; k++) {
    const part = ops.slice(at, at + sizes[k % sizes.length]);
    at += part.length;
    const batch: BatchOperation[] = part.map((op) =>
      op.kind === 'remove' ? { type: 'del', key: op.key } : { type: 'put', key: op.key, value: op.value },
    );
    const first = batch[0];
    if (first.type === 'put') batch.splice(1, 0, { type: 'del', key: first.key }, first);
    batches.push({ kind: 'batch', key: 0n, value: 0n, batch });
  }
  return batches;
}

/** Applies op to the store (the crash driver and the power-loss simulator). */
export function applyToStore(store: PmEHash, op: Op): void {
  if (op.kind === 'insert') store.insert({ key: op.key, value: op.value });
  else if (op.kind === 'update') store.update({ key: op.key, value: op.value });
  else if (op.kind === 'remove') store.remove(op.key);
  else if (op.kind === 'batch') store.batch(op.batch!);
  else store.clear();
}

/** Trailing zero bits of the key's hash: the depth of the catalog path its bucket lies on. */
function trailingZeros(key: bigint): number {
  const h = hashKey(Number(key & 0xffffffffn), Number(key >> 32n));
  return h === 0 ? 32 : 31 - Math.clz32(h & -h);
}

/** Applies op to a Map the way the store must. */
export function applyOp(map: Map<bigint, bigint>, op: Op): void {
  if (op.kind === 'batch') {
    for (const b of op.batch!) {
      if (b.type === 'put') map.set(BigInt(b.key), BigInt(b.value));
      else map.delete(BigInt(b.key));
    }
  } else if (op.kind === 'clear') {
    map.clear();
  } else if (op.kind === 'insert') {
    if (!map.has(op.key)) map.set(op.key, op.value);
  } else if (op.kind === 'update') {
    if (map.has(op.key)) map.set(op.key, op.value);
  } else {
    map.delete(op.key);
  }
}

/** The store's expected content after the first `n` operations. */
export function contentAfter(ops: Op[], n: number): Map<bigint, bigint> {
  const map = new Map<bigint, bigint>();
  for (let i = 0; i < n; i++) applyOp(map, ops[i]);
  return map;
}
