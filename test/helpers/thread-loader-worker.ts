// Worker thread of thread-loader.ts: attaches (with files that may kill the process after a
// given persist), waits at the gate, replays its thread sequence, acking each operation.

import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PmEHash, type ShareHandle } from '../../src';
import { CrashingFiles } from './test-files';
import { threadSequence } from './thread-sequence';

const { handle, thread, ackFile, crashAfter, inserts, gate } = workerData as {
  handle: ShareHandle;
  thread: number;
  ackFile: string;
  crashAfter: number;
  inserts: number;
  gate: SharedArrayBuffer;
};
const store = new PmEHash({ dir: handle.dir }, new CrashingFiles(false, crashAfter), handle);
const acks = fs.openSync(ackFile, 'w');
const hi = thread + 1;
const ops = threadSequence(thread, inserts);
parentPort!.postMessage('ready');
Atomics.wait(new Int32Array(gate), 0, 0);
ops.forEach((op, i) => {
  if (op.kind === 'insert') store.words.insertWords(op.lo, hi, op.value, hi);
  else if (op.kind === 'update') store.words.updateWords(op.lo, hi, op.value, hi);
  else store.words.removeWords(op.lo, hi);
  fs.writeSync(acks, `${i}\n`);
});
store.close();
parentPort!.postMessage('done');
