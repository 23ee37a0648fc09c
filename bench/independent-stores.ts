// The hardware reference of the thread rows of `make bench`: N worker threads that share
// nothing. Each phase is dealt into groups exactly as runYcsbThreads deals it, and driven the
// same way (driveWorkers), but every thread runs the groups it claims on a store of its own
// (unshared, in its own folder; a key's operations are all in one group, so in one store). No locks, no shared catalog, no shared cache lines: what N threads of this
// machine give on this workload, the ceiling for a shared store's speed-up.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ReadReport } from '../src/ycsb/expectations';
import { prepareWorkload, type PhaseReport } from '../src/ycsb/runner';
import { dealPhases, driveWorkers, next, PHASE_WORKER } from '../src/ycsb/thread-runner';

export async function runIndependentStores(
  loadFile: string,
  runFile: string,
  dir: string,
  threads: number,
): Promise<{
  load: PhaseReport & { perThread: number[] };
  run: PhaseReport & { perThread: number[] };
  reads: ReadReport;
}> {
  const prepared = prepareWorkload({ loadFile, runFile, dir });
  const gate = new SharedArrayBuffer(4);
  const workers = Array.from(
    { length: threads },
    (_, t) => new Worker(PHASE_WORKER, { workerData: { dir: path.join(dir, `thread-${t}`), gate } }),
  );
  try {
    await Promise.all(workers.map(next)); // 'ready': every store is open
    const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
    const [load, run] = await driveWorkers(workers, gate, dealPhases(prepared, threads), reads);
    return { load, run, reads };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
