// Worker thread: takes the structure lock of the control block workerData.control `rounds`
// times, and under it adds one to a counter with a plain read and a later plain write, which
// loses counts unless the lock excludes the other threads. Every `longEvery`-th time it holds the
// lock for a millisecond, long enough for a waiting thread to go to sleep on it. Answers
// {ok: true} or {ok: false, code, message}.

import { parentPort, workerData } from 'node:worker_threads';
import { SharedControl } from '../../src/shared-control';

export interface StructureLockWork {
  control: SharedArrayBuffer;
  counter: SharedArrayBuffer;
  rounds: number;
  longEvery: number;
}

const { control, counter, rounds, longEvery } = workerData as StructureLockWork;
const ctl = new SharedControl(control);
const count = new Int32Array(counter);
const pause = new Int32Array(new SharedArrayBuffer(4));
try {
  for (let i = 1; i <= rounds; i++) {
    ctl.lockStructure();
    const seen = count[0];
    if (i % longEvery === 0) Atomics.wait(pause, 0, 0, 1);
    count[0] = seen + 1;
    ctl.unlockStructure();
  }
  parentPort!.postMessage({ ok: true });
} catch (err) {
  parentPort!.postMessage({ ok: false, code: (err as { code?: string }).code, message: String(err) });
}
