// A worker thread of a multi-threaded YCSB run (thread-runner.ts). It attaches to the shared
// store (or, for the machine's reference in `make bench`, bench/independent-stores.ts, opens a
// store of its own in workerData.dir). Then for each phase it is sent (the phase's operations
// dealt into groups, and a claim counter) it says it is armed, waits at the start gate with the
// others, runs the groups it claims (runGroups), and answers with the operations it ran,
// its READ judgements and the moment it finished. After a warm-up on a scratch store, it is
// told to attach to the measured one instead.

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
  /** The start gate's value that starts this phase. */
  gate: number;
}

/** Leave the store this thread is on (closing its handle) and attach to another; answered by 'ready'. */
export interface AttachOrder {
  attach: ShareHandle;
}

export interface PhaseAnswer {
  ops: number;
  failed: number;
  reads: ReadReport;
  /** process.hrtime.bigint() when the thread finished, as a string. */
  finished: string;
  error?: string;
}

const { handle, dir, gate } = workerData as { handle?: ShareHandle; dir?: string; gate: SharedArrayBuffer };
const start = new Int32Array(gate);
const port = parentPort!;
/** The store this thread is on: none until its first AttachOrder when it is started with neither. */
let store: PmEHash | undefined = handle ? PmEHash.attach(handle) : dir ? freshStore(dir, 'process') : undefined;
port.postMessage('ready');

port.on('message', (order: PhaseOrder | AttachOrder | 'close') => {
  if (order === 'close') {
    store?.close();
    port.postMessage('closed');
    port.close();
    return;
  }
  if ('attach' in order) {
    store?.close();
    store = PmEHash.attach(order.attach);
    port.postMessage('ready');
    return;
  }
  port.postMessage('armed');
  // Released together: the runner raises the gate to order.gate.
  for (let seen = Atomics.load(start, 0); seen < order.gate; seen = Atomics.load(start, 0))
    Atomics.wait(start, 0, seen);
  const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
  try {
    if (!store) throw new Error('a phase was sent to a worker on no store');
    const { ops, failed } = runGroups(store, order.groups, order.claims, reads, order.label, false);
    const answer: PhaseAnswer = {
      ops,
      failed,
      reads,
      finished: String(process.hrtime.bigint()),
    };
    port.postMessage(answer);
  } catch (err) {
    port.postMessage({ ops: 0, failed: 0, reads, finished: String(process.hrtime.bigint()), error: String(err) });
  }
});
