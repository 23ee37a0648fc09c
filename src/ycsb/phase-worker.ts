// A worker thread of a multi-threaded YCSB run (thread-runner.ts). It starts on no store and is
// told which store to attach to (AttachOrder): a warm-up's scratch store, then the measured one.
// For the machine's reference in `make bench` (bench/independent-stores.ts) it opens a store of
// its own in workerData.dir instead. Then for each phase it is sent (the phase's operations
// dealt into groups, and a claim counter) it says it is armed, waits at the start gate with the
// others, runs the groups it claims (runGroups), and answers with the operations it ran, its
// READ judgements and the moments it started and finished.

import { parentPort, workerData } from 'node:worker_threads';
import { PmEHash } from '../pm-ehash';
import type { ShareHandle } from '../shared-control';
import type { ReadReport } from './expectations';
import { freshStore, runGroups, type Groups } from './runner';

export interface PhaseOrder {
  groups: Groups;
  /** The next unclaimed group (runner.ts, runGroups). */
  claims: Int32Array;
  label: string;
  /** The start gate's value that lets this phase start (the gate only counts up). */
  opensAt: number;
}

/**
 * Leave the store this thread is on (closing its handle) and attach to another. Answered by
 * 'ready', or by { error } when the attach failed (the thread is then on no store).
 */
export interface AttachOrder {
  attach: ShareHandle;
}

export interface PhaseAnswer {
  ops: number;
  failed: number;
  reads: ReadReport;
  /** process.hrtime.bigint() when the thread passed the gate, as a string. */
  began: string;
  /** process.hrtime.bigint() when the thread finished, as a string. */
  finished: string;
  error?: string;
}

const { dir, gate } = workerData as { dir?: string; gate: SharedArrayBuffer };
const start = new Int32Array(gate);
const port = parentPort!;
/** The store this thread is on: none until its first AttachOrder, unless it opened its own. */
let store: PmEHash | undefined = dir ? freshStore(dir, 'process') : undefined;
port.postMessage('ready');

const now = (): string => String(process.hrtime.bigint());

port.on('message', (order: PhaseOrder | AttachOrder | 'close') => {
  if (order === 'close') {
    store?.close();
    port.postMessage('closed');
    port.close();
    return;
  }
  if ('attach' in order) {
    try {
      store?.close();
      store = undefined;
      store = PmEHash.attach(order.attach);
      port.postMessage('ready');
    } catch (err) {
      port.postMessage({ error: String(err) });
    }
    return;
  }
  port.postMessage('armed');
  // Released together: the runner raises the gate to order.opensAt.
  for (let seen = Atomics.load(start, 0); seen < order.opensAt; seen = Atomics.load(start, 0))
    Atomics.wait(start, 0, seen);
  const began = now();
  const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
  try {
    if (!store) throw new Error('a phase was sent to a worker on no store');
    const { ops, failed } = runGroups(store, order.groups, order.claims, reads, order.label, false);
    const answer: PhaseAnswer = { ops, failed, reads, began, finished: now() };
    port.postMessage(answer);
  } catch (err) {
    const answer: PhaseAnswer = { ops: 0, failed: 0, reads, began, finished: now(), error: String(err) };
    port.postMessage(answer);
  }
});
