// The hardware reference of the thread rows of `make bench`: N worker threads that share
// nothing, each on a store of its own (unshared, in its own folder). No locks, no shared
// catalog, no shared cache lines: what N threads of this machine give on this workload, the
// ceiling for a shared store's speed-up. Each phase is dealt by the same key hash as
// runYcsbThreads deals it and driven the same way (driveWorkers), but the shares are fixed, one
// group per thread, since a key's operations in every phase must reach the same store. So
// unlike the shared store's threads, which claim small groups as they go, a phase here lasts
// until the slower thread's share is done.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ReadReport } from '../src/ycsb/expectations';
import { prepareWorkload, type PhaseReport } from '../src/ycsb/runner';
import { closeWorkers, dealPhases, driveWorkers, next, PHASE_WORKER } from '../src/ycsb/thread-runner';

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
    const [load, run] = await driveWorkers(workers, gate, dealPhases(prepared, threads), reads, 'fixed');
    await closeWorkers(workers);
    return { load, run, reads };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
