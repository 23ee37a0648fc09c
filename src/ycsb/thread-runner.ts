// A YCSB run on N worker threads sharing one store (README, "Threads"). Parsing and the READ
// expectations are done as for one thread, in file order; then each phase's operations are dealt
// to the threads by a hash of the key that is independent of the catalog's (so each key's
// operations stay in file order in one thread and every READ stays checkable, while threads
// still meet in the same buckets). The threads start together at a gate; a phase lasts from
// the gate's opening to the last thread's finish.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fmix32 } from '../hash';
import type { ReadReport } from './expectations';
import type { PhaseAnswer, PhaseOrder } from './phase-worker';
import {
  finishReport,
  freshStore,
  mixOf,
  prepareWorkload,
  type PhaseReport,
  type PreparedWorkload,
  type YcsbOptions,
  type YcsbReport,
} from './runner';
import { OP_READ, type Workload } from './workload';

/** The thread (of n) that runs the operations on key (lo, hi). */
export function threadOfKey(lo: number, hi: number, n: number): number {
  return (fmix32(hi ^ fmix32(lo ^ 0x27d4eb2f)) >>> 0) % n;
}

export interface Share {
  workload: Workload;
  expected: Uint8Array;
}

/** Deals `w` (and its READ expectations, in order) to n threads. */
export function dealWorkload(w: Workload, expected: Uint8Array, n: number): Share[] {
  const thread = new Uint8Array(w.count);
  const counts = new Int32Array(n);
  const readCounts = new Int32Array(n);
  for (let i = 0; i < w.count; i++) {
    const t = threadOfKey(w.keyLo[i], w.keyHi[i], n);
    thread[i] = t;
    counts[t]++;
    if (w.ops[i] === OP_READ) readCounts[t]++;
  }
  const shares: Share[] = Array.from({ length: n }, (_, t) => ({
    workload: {
      ...w,
      count: counts[t],
      ops: new Uint8Array(counts[t]),
      keyLo: new Uint32Array(counts[t]),
      keyHi: new Uint32Array(counts[t]),
    },
    expected: new Uint8Array(readCounts[t]),
  }));
  const at = new Int32Array(n);
  const readAt = new Int32Array(n);
  let r = 0;
  for (let i = 0; i < w.count; i++) {
    const t = thread[i];
    const share = shares[t];
    share.workload.ops[at[t]] = w.ops[i];
    share.workload.keyLo[at[t]] = w.keyLo[i];
    share.workload.keyHi[at[t]] = w.keyHi[i];
    at[t]++;
    if (w.ops[i] === OP_READ) share.expected[readAt[t]++] = expected[r++];
  }
  return shares;
}

/** The script of a YCSB worker thread (phase-worker.ts, compiled). */
export const PHASE_WORKER = path.join(__dirname, 'phase-worker.js');

/** The next message of `worker`, or its error. */
export function next(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      worker.off('error', onError);
      resolve(m);
    };
    const onError = (err: Error) => {
      worker.off('message', onMessage);
      reject(err);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
  });
}

/** One phase for driveWorkers: its label, its operations and their shares, one per worker. */
export interface DealtPhase {
  label: string;
  workload: Workload;
  shares: Share[];
}

/**
 * Runs the phases on workers that said 'ready' (phase-worker.ts's protocol): for each phase,
 * hands every worker its share, waits until all are armed, opens the gate and times the phase
 * from there to the last thread's finish; then closes the workers. Returns a report per phase.
 */
export async function driveWorkers(
  workers: Worker[],
  gate: SharedArrayBuffer,
  phases: DealtPhase[],
  reads: ReadReport,
): Promise<Array<PhaseReport & { perThread: number[] }>> {
  const open = new Int32Array(gate);
  const reports: Array<PhaseReport & { perThread: number[] }> = [];
  for (const [round, { label, workload: w, shares }] of phases.entries()) {
    const armed = workers.map(next);
    workers.forEach((worker, t) => {
      const { workload, expected } = shares[t];
      const order: PhaseOrder = { workload, expected, label };
      const arrays = [workload.ops, workload.keyLo, workload.keyHi, expected];
      worker.postMessage(
        order,
        arrays.map((a) => a.buffer as ArrayBuffer),
      ); // moved, not copied
    });
    await Promise.all(armed); // every thread holds its share and waits at the gate
    const answers = workers.map(next);
    const started = process.hrtime.bigint();
    Atomics.store(open, 0, round + 1);
    Atomics.notify(open, 0);
    const done = (await Promise.all(answers)) as PhaseAnswer[];
    const error = done.find((a) => a.error)?.error;
    if (error) throw new Error(`a YCSB thread failed: ${error}`);
    const finished = done.reduce((m, a) => (BigInt(a.finished) > m ? BigInt(a.finished) : m), started);
    const seconds = Number(finished - started) / 1e9;
    for (const a of done) {
      reads.found += a.reads.found;
      reads.missed += a.reads.missed;
      reads.mismatched += a.reads.mismatched;
    }
    reports.push({
      ops: w.count,
      seconds,
      opsPerSec: w.count / seconds,
      mix: mixOf(w),
      failed: done.reduce((f, a) => f + a.failed, 0),
      perThread: done.map((a) => a.ops),
    });
  }
  await Promise.all(
    workers.map((worker) => {
      const closed = next(worker);
      worker.postMessage('close');
      return closed;
    }),
  );
  return reports;
}

/** The load and run phases of a prepared workload, dealt to n threads. */
export function dealPhases(prepared: PreparedWorkload, n: number): DealtPhase[] {
  return [
    { label: 'load', workload: prepared.load, shares: dealWorkload(prepared.load, prepared.loadExpected, n) },
    { label: 'run', workload: prepared.run, shares: dealWorkload(prepared.run, prepared.runExpected, n) },
  ];
}

export async function runYcsbThreads(options: YcsbOptions & { threads: number }): Promise<YcsbReport> {
  const n = options.threads;
  const prepared = prepareWorkload(options);
  const phases = dealPhases(prepared, n);
  const store = freshStore(options.dir, options.durability ?? 'process');
  const gate = new SharedArrayBuffer(4);
  const workers: Worker[] = [];
  try {
    const handle = store.share();
    for (let t = 0; t < n; t++) workers.push(new Worker(PHASE_WORKER, { workerData: { handle, gate } }));
    await Promise.all(workers.map(next)); // 'ready': every thread has attached
    const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
    const [load, run] = await driveWorkers(workers, gate, phases, reads);
    return finishReport(options, store, prepared, n, { load, run, reads });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    store.close();
  }
}
