// The structure lock of a shared store's control block (src/shared-control.ts), between worker
// threads: it excludes, also when waiters go to sleep on it, and a thread that waits for a
// holder that never gives it back gets PMEHASH_DEADLOCK instead of hanging. (That a sleeper is
// woken at once by the release, not by its periodic check, is a matter of speed, not tested.)

import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { SharedControl } from '../src/shared-control';
import { removeCompiled, startCompiledWorker } from './helpers/compile';
import type { StructureLockWork } from './helpers/structure-lock-worker';

const workers: Worker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
  removeCompiled();
});

function contend(work: StructureLockWork): Promise<{ ok: boolean; code?: string; message?: string }> {
  const worker = startCompiledWorker('structure-lock-worker.ts', work);
  workers.push(worker);
  return once(worker, 'message').then(([answer]) => answer);
}

test('the structure lock excludes: three threads, short and long holds, no count lost, free at the end', async () => {
  const ctl = SharedControl.create();
  const counter = new SharedArrayBuffer(4);
  const work: StructureLockWork = { control: ctl.buffer, counter, rounds: 20_000, longEvery: 2_000 };
  const answers = await Promise.all([contend(work), contend(work), contend(work)]);
  expect(answers).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
  expect(new Int32Array(counter)[0]).toBe(60_000);
  ctl.lockStructure(); // would give up with PMEHASH_DEADLOCK if a waiter had left it marked held
  ctl.unlockStructure();
});

test('a thread waiting for a structure lock that is never given back gets PMEHASH_DEADLOCK, naming it', async () => {
  const ctl = SharedControl.create();
  ctl.lockStructure(); // held by this thread for good
  const answer = await contend({ control: ctl.buffer, counter: new SharedArrayBuffer(4), rounds: 1, longEvery: 2 });
  expect(answer).toMatchObject({ ok: false, code: 'PMEHASH_DEADLOCK' });
  expect(answer.message).toMatch(/the structure lock/);
  ctl.unlockStructure();
});
