// A YCSB run on N worker threads sharing one store (README, "Threads"). Parsing and the READ
// expectations are done as for one thread, in file order. Then each phase's operations are dealt
// into groups by a hash of the key that is independent of the catalog's: each key's operations
// stay in file order in one group, so every READ stays checkable, while the groups still meet in
// the same buckets. The threads start together at a gate and claim the groups one at a time,
// each running its group to the end before it claims the next: a thread slowed by the host (or
// by a catalog doubling it runs) simply runs fewer groups. A phase lasts from the gate's opening
// to the last thread's finish.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_BUCKETS_PER_PAGE } from '../../include-types/layout';
import { fmix32 } from '../hash';
import type { ReadReport } from './expectations';
import type { PmEHash } from '../pm-ehash';
import type { ShareHandle } from '../shared-control';
import type { AttachOrder, PhaseAnswer, PhaseOrder } from './phase-worker';
import {
  finishReport,
  freshStore,
  mixOf,
  prepareWorkload,
  discardedReads,
  removeScratch,
  removeScratchQuietly,
  warmUpDir,
  warmUpOps,
  warmUpWorkload,
  type Groups,
  type PhaseReport,
  type PreparedWorkload,
  type YcsbOptions,
  type WarmedUp,
  type YcsbReport,
} from './runner';
import { OP_READ, type Workload } from './workload';

/**
 * Groups per thread. With one group per thread, the phase waited for the slower thread: 7-16%
 * longer than the faster one on the 220w load, on this shared 2-core host. With 32 per thread,
 * the threads finish within about one group (1/64 of a 2-thread phase) of each other. (2 threads,
 * 220w, 9 interleaved rounds against 32: 8 per thread 0.96x load, 0.95x run; 128 1.00x, 1.03x.)
 */
export const GROUPS_PER_THREAD = 32;

/**
 * Buckets a page file of the stores the threads share: 4 times the default. Every page file of
 * a shared store costs each thread a mapping of its own, and its making is a moment when the
 * splits of every thread may wait (a split that finds no free slot waits, holding its bucket's
 * lock, for the file another thread is making; in a 2-thread 220w load such waits lasted 3-11 ms
 * each, and threads waiting for that bucket waited with it). With files 4 times larger, both
 * happen 4 times less often, and a file's making starts 1,024 slots ahead of need instead of
 * 256. 220w, 2 threads against the default, after a warm-up (three sets of 7-9 interleaved
 * rounds): load 1.20x, 1.09x and 1.09x, run 1.18x, 1.19x and 1.12x; 1 worker thread 0.95-0.98x
 * (load) and 1.00-1.15x (run). In cold processes no difference shows beside the JIT's cost
 * (two sets of 7: load 1.02x and 0.98x, run 0.99x and 1.01x). The cost: up to one 1 MiB file's
 * worth of free slots instead of 256 KiB.
 */
export const THREADED_BUCKETS_PER_PAGE = 4 * DEFAULT_BUCKETS_PER_PAGE;

/** The group (of n) of the operations on key (lo, hi). */
export function groupOfKey(lo: number, hi: number, n: number): number {
  return (fmix32(hi ^ fmix32(lo ^ 0x27d4eb2f)) >>> 0) % n;
}

/**
 * Deals `w` (and its READ expectations, in order) into `n` groups by groupOfKey, each in file
 * order, in SharedArrayBuffers: every worker thread sees the same memory.
 */
export function dealGroups(w: Workload, expected: Uint8Array, n: number): Groups {
  const group = new Int32Array(w.count);
  const start = new Int32Array(n + 1);
  const readStart = new Int32Array(n + 1);
  for (let i = 0; i < w.count; i++) {
    const g = groupOfKey(w.keyLo[i], w.keyHi[i], n);
    group[i] = g;
    start[g + 1]++;
    if (w.ops[i] === OP_READ) readStart[g + 1]++;
  }
  for (let g = 0; g < n; g++) {
    start[g + 1] += start[g];
    readStart[g + 1] += readStart[g];
  }
  const shared = {
    ops: new Uint8Array(new SharedArrayBuffer(w.count)),
    keyLo: new Uint32Array(new SharedArrayBuffer(4 * w.count)),
    keyHi: new Uint32Array(new SharedArrayBuffer(4 * w.count)),
    expected: new Uint8Array(new SharedArrayBuffer(readStart[n])),
  };
  const at = start.slice(0, n);
  const readAt = readStart.slice(0, n);
  let r = 0;
  for (let i = 0; i < w.count; i++) {
    const g = group[i];
    const k = at[g]++;
    shared.ops[k] = w.ops[i];
    shared.keyLo[k] = w.keyLo[i];
    shared.keyHi[k] = w.keyHi[i];
    if (w.ops[i] === OP_READ) shared.expected[readAt[g]++] = expected[r++];
  }
  const { ops, keyLo, keyHi } = shared;
  return { workload: { ...w, ops, keyLo, keyHi }, expected: shared.expected, start, readStart };
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

/** One phase for driveWorkers: its label, its operations in file order, and their groups. */
export interface DealtPhase {
  label: string;
  workload: Workload;
  groups: Groups;
}

/**
 * How driveWorkers hands out the groups: 'claimed', every thread claims the next group from
 * a counter they share; 'fixed', thread t runs group t alone (the phases must be dealt into
 * as many groups as there are threads), the same keys in every phase.
 */
export type GroupHanding = 'claimed' | 'fixed';

/** Group g of `groups` as Groups of its own (nothing copied). */
export function oneGroup(groups: Groups, g: number): Groups {
  return {
    workload: groups.workload,
    expected: groups.expected,
    start: groups.start.slice(g, g + 2),
    readStart: groups.readStart.slice(g, g + 2),
  };
}

/**
 * Runs the phases on workers that said 'ready' (phase-worker.ts's protocol): for each phase,
 * hands the workers the groups (shared, not copied) and a fresh claim counter, waits until all
 * are armed, opens the gate and times the phase from there to the last thread's finish. Returns
 * a report per phase. The workers stay on their store: closeWorkers closes their handles.
 */
export async function driveWorkers(
  workers: Worker[],
  gate: SharedArrayBuffer,
  phases: DealtPhase[],
  reads: ReadReport,
  handing: GroupHanding = 'claimed',
): Promise<Array<PhaseReport & { perThread: number[] }>> {
  const open = new Int32Array(gate);
  const reports: Array<PhaseReport & { perThread: number[] }> = [];
  for (const { groups } of phases)
    if (handing === 'fixed' && groups.start.length !== workers.length + 1)
      throw new Error(`fixed handing needs one group per thread: ${groups.start.length - 1} for ${workers.length}`);
  for (const { label, workload: w, groups } of phases) {
    const armed = workers.map(next);
    const shared = new Int32Array(new SharedArrayBuffer(4)); // the claim counter of 'claimed'
    const opensAt = Atomics.load(open, 0) + 1; // the gate's value that lets this phase start
    workers.forEach((worker, t) => {
      const order: PhaseOrder =
        handing === 'claimed'
          ? { groups, claims: shared, label, opensAt }
          : { groups: oneGroup(groups, t), claims: new Int32Array(new SharedArrayBuffer(4)), label, opensAt };
      worker.postMessage(order);
    });
    await Promise.all(armed); // every thread holds the phase's groups and waits at the gate
    const answers = workers.map(next);
    const started = process.hrtime.bigint();
    Atomics.store(open, 0, opensAt);
    Atomics.notify(open, 0);
    const done = (await Promise.all(answers)) as PhaseAnswer[];
    const error = done.find((a) => a.error)?.error;
    if (error) throw new Error(`a YCSB thread failed: ${error}`);
    if (done.some((a) => BigInt(a.began) < started)) throw new Error('a YCSB thread started before the gate opened');
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
  return reports;
}

/** Has every worker close its store (detaching it) and end, and waits until all have. */
export async function closeWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map((worker) => {
      const closed = next(worker);
      worker.postMessage('close');
      return closed;
    }),
  );
}

/** Moves every worker to the store of `handle` (phase-worker.ts, AttachOrder), and waits until all are there. */
async function reattachWorkers(workers: Worker[], handle: ShareHandle): Promise<void> {
  const answers = await Promise.all(
    workers.map((worker) => {
      const answer = next(worker);
      const order: AttachOrder = { attach: handle };
      worker.postMessage(order);
      return answer;
    }),
  );
  const failed = answers.find((a): a is { error: string } => typeof a === 'object' && a !== null && 'error' in a);
  if (failed) throw new Error(`a YCSB thread could not attach: ${failed.error}`);
}

/**
 * closeWorkers for a run that is failing: the worker closes its store handle if it is still
 * alive (after the phase it may be running), so that the owner's close() is not refused on its
 * account, and the failure being thrown is the one reported.
 */
function detachOrEnd(worker: Worker): Promise<void> {
  if (worker.threadId < 0) return Promise.resolve(); // it has ended already
  return new Promise((resolve) => {
    const done = () => {
      worker.off('message', onMessage);
      worker.off('exit', done);
      worker.off('error', done);
      resolve();
    };
    const onMessage = (m: unknown) => {
      if (m === 'closed') done();
    };
    worker.on('message', onMessage);
    worker.on('exit', done);
    worker.on('error', done);
    worker.postMessage('close');
  });
}

/** The load and run phases of a prepared workload, each dealt into `groupCount` groups. */
export function dealPhases(prepared: PreparedWorkload, groupCount: number): DealtPhase[] {
  return [
    { label: 'load', workload: prepared.load, groups: dealGroups(prepared.load, prepared.loadExpected, groupCount) },
    { label: 'run', workload: prepared.run, groups: dealGroups(prepared.run, prepared.runExpected, groupCount) },
  ];
}

export async function runYcsbThreads(options: YcsbOptions & { threads: number }): Promise<YcsbReport> {
  const n = options.threads;
  const durability = options.durability ?? 'process';
  const warmUp = warmUpOps(options.warmUp);
  const prepared = prepareWorkload(options);
  const phases = dealPhases(prepared, GROUPS_PER_THREAD * n);
  // The measured store first: a folder it refuses stops the run before any thread or scratch store exists.
  const store = freshStore(options.dir, durability, THREADED_BUCKETS_PER_PAGE);
  const gate = new SharedArrayBuffer(4);
  const workers: Worker[] = [];
  let scratch: PmEHash | undefined;
  let failing = true;
  try {
    for (let t = 0; t < n; t++) workers.push(new Worker(PHASE_WORKER, { workerData: { gate } }));
    await Promise.all(workers.map(next)); // 'ready': every thread is up, on no store yet
    let warmedUp: WarmedUp | undefined;
    if (warmUp > 0) {
      // The warm-up (YcsbOptions.warmUp) runs as the measured phases will: the same threads,
      // together on one store, so that each thread's V8 also compiles the paths that only
      // threads meeting each other take (a lock found held, a page file another thread made).
      scratch = freshStore(warmUpDir(options.dir), durability, THREADED_BUCKETS_PER_PAGE);
      await reattachWorkers(workers, scratch.share());
      const warm = dealPhases(warmUpWorkload(prepared, warmUp), GROUPS_PER_THREAD * n);
      const [load, run] = await driveWorkers(workers, gate, warm, discardedReads());
      warmedUp = { load: load.ops, run: run.ops };
    }
    await reattachWorkers(workers, store.share()); // each leaves the scratch store, if any
    if (scratch) removeScratch(scratch);
    scratch = undefined;
    const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
    const [load, run] = await driveWorkers(workers, gate, phases, reads);
    await closeWorkers(workers); // detached, so that the report's check sees the store at rest
    failing = false;
    return finishReport(options, store, prepared, n, { load, run, reads }, warmedUp);
  } finally {
    if (failing) await Promise.all(workers.map(detachOrEnd));
    await Promise.all(workers.map((w) => w.terminate()));
    if (scratch) removeScratchQuietly(scratch);
    if (!failing) store.close();
    else {
      try {
        store.close();
      } catch {
        // A thread that died attached keeps the store from closing: the error being thrown
        // says why, and this one would hide it.
      }
    }
  }
}
