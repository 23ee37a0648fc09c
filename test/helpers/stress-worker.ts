// Worker thread of the thread stress test: attaches to the shared store in workerData.handle and
// runs a deterministic mix on keys of its own (high half = thread + 1, checked against an oracle
// as it goes) and on a small set of keys every thread fights over (high half 0xFFFF), whose
// values say who wrote them. Phases: grow (splits, doublings), shrink (merges, halvings), mixed.
// Posts one summary message and closes its handle.

import { parentPort, workerData } from 'node:worker_threads';
import { PmEHash, type ShareHandle } from '../../src';
import { setPlainAccessesInOrder } from '../../src/shared-control';
import { Random } from './random';

export interface StressSummary {
  thread: number;
  ops: number;
  /** Reads of own keys that disagreed with the oracle. */
  ownMismatches: number;
  /** Reads of shared keys that returned a value no thread writes. */
  unwrittenValues: number;
  /** Walks of the whole store (entries()) made while the other threads wrote. */
  walks: number;
  /** Own pairs a walk missed, met twice, or met with another value than the oracle's. */
  walkMismatches: number;
  /** Own keys left, as [lo, valueLo] pairs (value high half is always thread + 1). */
  own: Array<[number, number]>;
  depths: number[];
  error?: string;
}

const { handle, thread, threads, opsPerPhase, seed, sharedKeys, barrier, plainAccessesInOrder } = workerData as {
  handle: ShareHandle;
  thread: number;
  threads: number;
  opsPerPhase: number;
  seed: number;
  sharedKeys: number;
  /** A SharedArrayBuffer of one int32: the threads wait there for each other between phases. */
  barrier: SharedArrayBuffer;
  /** When given: run as on a CPU that does or does not keep plain accesses in order. */
  plainAccessesInOrder?: boolean;
};
if (plainAccessesInOrder !== undefined) setPlainAccessesInOrder(plainAccessesInOrder);
const arrived = new Int32Array(barrier);

/** Waits until every thread has arrived here for the `round`-th time. */
function meet(round: number): void {
  Atomics.add(arrived, 0, 1);
  Atomics.notify(arrived, 0);
  for (;;) {
    const now = Atomics.load(arrived, 0);
    if (now >= round * threads) return;
    Atomics.wait(arrived, 0, now, 1000);
  }
}
const SHARED_HI = 0xffff;
const store = PmEHash.attach(handle);
const words = store.words;
const rnd = new Random(seed);
const own = new Map<number, number>(); // key lo -> value lo
const ownKeys: number[] = [];
const out = new Uint32Array(2);
const summary: StressSummary = {
  thread,
  ops: 0,
  ownMismatches: 0,
  unwrittenValues: 0,
  walks: 0,
  walkMismatches: 0,
  own: [],
  depths: [],
};
const hi = thread + 1;
let stamp = 0;

function ownOp(insertWeight: number): void {
  const r = rnd.below(100);
  if (r < insertWeight || ownKeys.length === 0) {
    const lo = rnd.next() | 0;
    if (own.has(lo)) return;
    const v = rnd.next() | 0;
    if (words.insertWords(lo, hi, v, hi) !== 0) summary.ownMismatches++;
    own.set(lo, v);
    ownKeys.push(lo);
  } else if (r < insertWeight + 20) {
    const at = rnd.below(ownKeys.length);
    const lo = ownKeys[at];
    ownKeys[at] = ownKeys[ownKeys.length - 1];
    ownKeys.pop();
    if (words.removeWords(lo, hi) !== 0) summary.ownMismatches++;
    own.delete(lo);
  } else if (r < insertWeight + 30) {
    const lo = ownKeys[rnd.below(ownKeys.length)];
    const v = rnd.next() | 0;
    if (words.updateWords(lo, hi, v, hi) !== 0) summary.ownMismatches++;
    own.set(lo, v);
  } else {
    const lo = ownKeys[rnd.below(ownKeys.length)];
    if (words.searchWords(lo, hi, out) !== 0 || (out[0] | 0) !== own.get(lo) || out[1] !== hi) summary.ownMismatches++;
  }
}

/** Walks the whole store while the others write: each own pair (unchanged meanwhile) is met once, with its value. */
function walk(): void {
  summary.walks++;
  const met = new Map<number, number>();
  for (const [k, v] of store.entries()) {
    if (k >> 32n !== BigInt(hi)) continue;
    const lo = Number(k & 0xffffffffn) | 0;
    if (met.has(lo)) summary.walkMismatches++;
    met.set(lo, Number(v & 0xffffffffn) | 0);
  }
  for (const [lo, v] of own) if (met.get(lo) !== v) summary.walkMismatches++;
  if (met.size !== own.size) summary.walkMismatches++;
}

function sharedOp(): void {
  const k = rnd.below(sharedKeys);
  const value = (thread << 24) | (++stamp & 0xffffff);
  switch (rnd.below(4)) {
    case 0:
      words.insertWords(k, SHARED_HI, value, 0xabc00000 | k);
      break;
    case 1:
      words.removeWords(k, SHARED_HI);
      break;
    case 2:
      words.updateWords(k, SHARED_HI, value, 0xabc00000 | k);
      break;
    default:
      if (words.searchWords(k, SHARED_HI, out) === 0 && (out[1] !== (0xabc00000 | k) >>> 0 || out[0] >>> 24 >= 64)) {
        summary.unwrittenValues++;
      }
  }
}

try {
  // grow: mostly inserts; shrink: removes of own keys until few are left; then a mix
  for (let i = 0; i < opsPerPhase; i++, summary.ops++) {
    if ((i & 3) === 0) sharedOp();
    else ownOp(80);
    if (i % 10_000 === 9_999) walk();
  }
  meet(1);
  summary.depths.push(store.stats().globalDepth);
  while (ownKeys.length > 50) {
    const lo = ownKeys.pop()!;
    if (words.removeWords(lo, hi) !== 0) summary.ownMismatches++;
    own.delete(lo);
    summary.ops++;
    if ((summary.ops & 7) === 0) sharedOp();
  }
  meet(2);
  summary.depths.push(store.stats().globalDepth);
  for (let i = 0; i < opsPerPhase / 2; i++, summary.ops++) {
    if ((i & 3) === 0) sharedOp();
    else ownOp(30);
    if (i % 5_000 === 4_999) walk();
  }
  summary.depths.push(store.stats().globalDepth);
  summary.own = [...own.entries()];
} catch (err) {
  summary.error = String((err as Error).stack ?? err);
}
store.close();
parentPort!.postMessage(summary);
