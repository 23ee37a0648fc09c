// The hardware reference of the thread rows of `make bench`: N worker threads that share
// nothing. Each phase is dealt to the threads exactly as runYcsbThreads deals it, but every
// thread runs its share on a store of its own (unshared, in its own folder). No locks, no shared
// catalog, no shared cache lines: what N threads of this machine give on this workload, the
// ceiling for a shared store's speed-up.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ReadReport } from '../src/ycsb/expectations';
import type { PhaseAnswer, PhaseOrder } from '../src/ycsb/phase-worker';
import { prepareWorkload } from '../src/ycsb/runner';
import { dealWorkload } from '../src/ycsb/thread-runner';

export interface IndependentPhase {
  ops: number;
  seconds: number;
  perThread: number[];
}

function next(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

export async function runIndependentStores(
  loadFile: string,
  runFile: string,
  dir: string,
  threads: number,
): Promise<{ load: IndependentPhase; run: IndependentPhase; reads: ReadReport }> {
  const prepared = prepareWorkload({ loadFile, runFile, dir });
  const phases = [
    { label: 'load', shares: dealWorkload(prepared.load, prepared.loadExpected, threads), ops: prepared.load.count },
    { label: 'run', shares: dealWorkload(prepared.run, prepared.runExpected, threads), ops: prepared.run.count },
  ];
  const gate = new SharedArrayBuffer(4);
  const open = new Int32Array(gate);
  const workers = Array.from(
    { length: threads },
    (_, t) =>
      new Worker(path.join(__dirname, 'independent-worker.js'), {
        workerData: { dir: path.join(dir, `thread-${t}`), gate },
      }),
  );
  try {
    await Promise.all(workers.map(next)); // 'ready': every store is open
    const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
    const results: IndependentPhase[] = [];
    for (const [round, { label, shares, ops }] of phases.entries()) {
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
      await Promise.all(armed);
      const answers = workers.map(next);
      const started = process.hrtime.bigint();
      Atomics.store(open, 0, round + 1);
      Atomics.notify(open, 0);
      const done = (await Promise.all(answers)) as PhaseAnswer[];
      const finished = done.reduce((m, a) => (BigInt(a.finished) > m ? BigInt(a.finished) : m), started);
      for (const a of done) {
        reads.found += a.reads.found;
        reads.missed += a.reads.missed;
        reads.mismatched += a.reads.mismatched;
      }
      results.push({ ops, seconds: Number(finished - started) / 1e9, perThread: done.map((a) => a.ops) });
    }
    await Promise.all(
      workers.map((worker) => {
        const closed = next(worker);
        worker.postMessage('close');
        return closed;
      }),
    );
    return { load: results[0], run: results[1], reads };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
