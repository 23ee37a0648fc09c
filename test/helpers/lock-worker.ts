// Worker thread: holds a PmEHash on the store in workerData.dir for a test in the same process.
// Each request is answered with one message:
//   {op: 'open', gate?}  -> {ok: true, keys} or {ok: false, code, message}; with a gate (an
//                           Int32Array on a SharedArrayBuffer) it first answers {ready: true} and
//                           waits until gate[0] becomes non-zero, so that several workers open at once
//   {op: 'insert', key}  -> {ok: true}
//   {op: 'close'}        -> {ok: true}

import { parentPort, workerData } from 'node:worker_threads';
import { PmEHash } from '../../src';

export type LockWorkerRequest = { op: 'open'; gate?: Int32Array } | { op: 'insert'; key: number } | { op: 'close' };
export type LockWorkerReply =
  { ready: true } | { ok: true; keys?: number } | { ok: false; code?: string; message: string };

const port = parentPort!;
const dir = (workerData as { dir: string }).dir;
let store: PmEHash | undefined;

port.on('message', (req: LockWorkerRequest) => {
  const reply = (r: LockWorkerReply): void => port.postMessage(r);
  if (req.op === 'open') {
    if (req.gate) {
      reply({ ready: true });
      Atomics.wait(req.gate, 0, 0);
    }
    try {
      store = new PmEHash({ dir });
      reply({ ok: true, keys: store.stats().keys });
    } catch (err) {
      const e = err as Error & { code?: string };
      reply({ ok: false, code: e.code, message: e.message });
    }
  } else if (req.op === 'insert') {
    store!.insert({ key: req.key, value: req.key });
    reply({ ok: true });
  } else {
    store?.close();
    store = undefined;
    reply({ ok: true });
  }
});
