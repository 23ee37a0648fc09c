// A worker thread of a multi-threaded YCSB run (thread-runner.ts). It attaches to the shared
// store (or, for the machine's reference in `make bench`, bench/independent-stores.ts, opens a
// store of its own in workerData.dir). Then for each phase it is sent (the phase's operations
// dealt into groups, and a claim counter) it says it is armed, waits at the start gate with the
// others, runs the groups it claims (runGroups), and answers with the operations it ran,
// its READ judgements and the moment it finished.

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
const store = handle ? PmEHash.attach(handle) : freshStore(dir!, 'process');
let round = 0;
port.postMessage('ready');

port.on('message', (order: PhaseOrder | 'close') => {
  if (order === 'close') {
    store.close();
    port.postMessage('closed');
    port.close();
    return;
  }
  round++;
  port.postMessage('armed');
  Atomics.wait(start, 0, round - 1); // released together: the runner sets the gate to `round`
  const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
  try {
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
