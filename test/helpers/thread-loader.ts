// Child process of the multi-threaded crash tests: opens the store in argv[2], shares it with
// argv[3] worker threads (thread-loader-worker.ts), each replaying its thread sequence and
// appending the index of every operation that returned to its own ack file in argv[4]. With
// argv[5] = t and argv[6] = N, thread t's files kill the process right after its N-th persist;
// otherwise the test kills the process from outside. Prints "ready" once all threads attached.

import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { PmEHash } from '../../src';

const [dir, threads, ackDir, crashThread, crashAfter, inserts] = [
  process.argv[2],
  Number(process.argv[3]),
  process.argv[4],
  Number(process.argv[5] ?? -1),
  Number(process.argv[6] ?? 0),
  Number(process.argv[7] ?? 100_000_000),
];
const store = new PmEHash({ dir, bucketsPerPage: 16 });
const handle = store.share();
const gate = new SharedArrayBuffer(4);
let ready = 0;
let done = 0;
for (let t = 0; t < threads; t++) {
  const worker = new Worker(path.join(__dirname, 'thread-loader-worker.js'), {
    workerData: {
      handle,
      thread: t,
      ackFile: path.join(ackDir, `acks-${t}`),
      crashAfter: t === crashThread ? crashAfter : 0,
      inserts,
      gate,
    },
  });
  worker.on('message', (m: string) => {
    if (m === 'ready' && ++ready === threads) {
      process.stdout.write('ready\n');
      Atomics.store(new Int32Array(gate), 0, 1);
      Atomics.notify(new Int32Array(gate), 0);
    }
    if (m === 'done' && ++done === threads) {
      store.close();
      process.stdout.write('done\n');
    }
  });
  worker.on('error', (err) => {
    // Uncaught here: the process ends with the error on stderr, which the tests assert empty.
    throw new Error(`thread ${t}: ${String(err)}`);
  });
}
