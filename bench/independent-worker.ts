// A worker of the independent-stores reference (bench/independent-stores.ts): opens a store of
// its own, then replays each phase share it is sent, starting at the gate with the others, and
// answers with the moment it finished. The same steps as src/ycsb/phase-worker.ts, on an
// unshared store.

import { parentPort, workerData } from 'node:worker_threads';
import type { ReadReport } from '../src/ycsb/expectations';
import type { PhaseOrder } from '../src/ycsb/phase-worker';
import { freshStore, runPhase } from '../src/ycsb/runner';

const { dir, gate } = workerData as { dir: string; gate: SharedArrayBuffer };
const start = new Int32Array(gate);
const port = parentPort!;
const store = freshStore(dir, 'process');
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
  Atomics.wait(start, 0, round - 1);
  const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
  const report = runPhase(store, order.workload, order.expected, reads, order.label, false);
  port.postMessage({ ops: report.ops, failed: report.failed, reads, finished: String(process.hrtime.bigint()) });
});
