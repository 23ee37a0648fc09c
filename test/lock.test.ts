// One writer per store, for every thread of this process and across processes; a killed
// owner's lock is stale, also when its pid is now someone else's (ours included).

import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { PmEHash, PmEHashError } from '../src';
import { lockEntryName, lockOwners } from '../src/lock';
import { removeCompiled, startCompiled, startCompiledWorker } from './helpers/compile';
import type { LockWorkerReply, LockWorkerRequest } from './helpers/lock-worker';
import { removeTempDirs, snapshot, tempDir } from './helpers/temp';

const LOCK = 'pm_ehash_lock';
const children: ChildProcess[] = [];
const workers: Worker[] = [];

function startHolder(dir: string): ChildProcess {
  const child = startCompiled('hold-open.ts', [dir]);
  children.push(child);
  return child;
}

/** A worker thread of this process that opens and closes the store in `dir` on request. */
function startWorker(dir: string): Worker {
  const worker = startCompiledWorker('lock-worker.ts', { dir });
  workers.push(worker);
  return worker;
}

/** The next n messages of a worker, seen by one listener (a batch of them may arrive at once). */
function messages(
  worker: Worker,
  n: number,
  each: (m: LockWorkerReply) => void = () => {},
): Promise<LockWorkerReply[]> {
  return new Promise((resolve, reject) => {
    const got: LockWorkerReply[] = [];
    const off = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    const onMessage = (m: LockWorkerReply): void => {
      got.push(m);
      each(m);
      if (got.length === n) {
        off();
        resolve(got);
      }
    };
    const onError = (err: Error): void => {
      off();
      reject(err);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}

async function ask(worker: Worker, req: LockWorkerRequest): Promise<LockWorkerReply> {
  const answer = messages(worker, 1);
  worker.postMessage(req);
  return (await answer)[0];
}

/** The entries of the lock folder (or the text of an old lock file); undefined when absent. */
function lockState(dir: string): string[] | string | undefined {
  const file = path.join(dir, LOCK);
  if (!fs.existsSync(file)) return undefined;
  return fs.statSync(file).isDirectory() ? fs.readdirSync(file).sort() : fs.readFileSync(file, 'utf8');
}

function ownStartTime(): string {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

afterAll(() => {
  removeTempDirs();
  removeCompiled();
});

function lockError(fn: () => unknown): PmEHashError {
  try {
    fn();
  } catch (err) {
    return err as PmEHashError;
  }
  throw new Error('expected a lock error');
}

test('a second PmEHash on an open folder in the same process is refused until the first closes', () => {
  const dir = tempDir('lock');
  const first = new PmEHash({ dir });
  first.insert({ key: 1, value: 1 });
  const err = lockError(() => new PmEHash({ dir }));
  expect(err).toBeInstanceOf(PmEHashError);
  expect(err.code).toBe('PMEHASH_LOCKED');
  expect(err.message).toMatch(/locked/);
  expect(err.message).toContain('by this process');
  expect(first.stats().keys).toBe(1); // the refused open disturbed nothing
  first.close();
  const second = new PmEHash({ dir });
  expect(second.stats().keys).toBe(1);
  second.close();
});

test('another process holding the store makes open fail at once; its lock goes stale when it is killed', async () => {
  const dir = tempDir('lock-proc');
  const child = startHolder(dir);
  const [chunk] = await once(child.stdout!, 'data');
  expect(String(chunk)).toBe('open\n');

  const err = lockError(() => new PmEHash({ dir }));
  expect(err.code).toBe('PMEHASH_LOCKED');
  expect(err.message).toContain(`process ${child.pid}`);
  expect(lockOwners(dir).map((o) => o.pid)).toEqual([child.pid]);

  child.kill('SIGKILL');
  await once(child, 'exit');
  expect(fs.existsSync(path.join(dir, 'pm_ehash_lock'))).toBe(true); // left behind by the dead owner
  const store = new PmEHash({ dir }); // stale: taken over
  const out: { value?: bigint } = {};
  expect(store.search(42, out)).toBe(0);
  expect(out.value).toBe(4242n);
  expect(store.check()).toEqual([]);
  store.close();
});

test('a process that closes cleanly releases the lock', async () => {
  const dir = tempDir('lock-close');
  const child = startHolder(dir);
  await once(child.stdout!, 'data');
  child.stdin!.end();
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
  expect(fs.existsSync(path.join(dir, 'pm_ehash_lock'))).toBe(false);
  new PmEHash({ dir }).close();
});

test('a worker thread cannot open a store the main thread has open; it can once the main thread closes it', async () => {
  const dir = tempDir('lock-main');
  const main = new PmEHash({ dir });
  main.insert({ key: 1, value: 1 });
  const before = snapshot(dir);
  const held = lockState(dir);
  const worker = startWorker(dir);

  const refused = await ask(worker, { op: 'open' });
  expect(refused).toMatchObject({ ok: false, code: 'PMEHASH_LOCKED' });
  expect((refused as { message: string }).message).toContain('by this process');
  expect(snapshot(dir)).toEqual(before); // the refused open wrote nothing...
  expect(lockState(dir)).toEqual(held); // ...and left the holder's lock as it was
  expect(lockError(() => new PmEHash({ dir })).code).toBe('PMEHASH_LOCKED'); // still held
  main.insert({ key: 2, value: 2 });

  main.close();
  expect(lockState(dir)).toBeUndefined();
  expect(await ask(worker, { op: 'open' })).toEqual({ ok: true, keys: 2 });
  expect(await ask(worker, { op: 'close' })).toEqual({ ok: true });
  expect(lockState(dir)).toBeUndefined();
});

test('the main thread cannot open a store a worker thread has open; it can once the worker closes it', async () => {
  const dir = tempDir('lock-worker');
  const worker = startWorker(dir);
  expect(await ask(worker, { op: 'open' })).toEqual({ ok: true, keys: 0 });
  expect(await ask(worker, { op: 'insert', key: 7 })).toEqual({ ok: true });
  const held = lockState(dir);
  expect(lockOwners(dir).map((o) => o.pid)).toEqual([process.pid]);

  const err = lockError(() => new PmEHash({ dir }));
  expect(err.code).toBe('PMEHASH_LOCKED');
  expect(err.message).toContain('by this process');
  expect(lockState(dir)).toEqual(held);
  expect(await ask(worker, { op: 'insert', key: 8 })).toEqual({ ok: true }); // the worker's store is undisturbed

  expect(await ask(worker, { op: 'close' })).toEqual({ ok: true });
  const store = new PmEHash({ dir });
  expect(store.stats().keys).toBe(2);
  expect(store.check()).toEqual([]);
  store.close();
});

test('of worker threads racing to take over the same stale lock, or a free one, exactly one wins', async () => {
  const dir = tempDir('lock-race');
  new PmEHash({ dir }).close();
  fs.mkdirSync(path.join(dir, LOCK));
  const dead = lockEntryName({ pid: process.pid, start: String(BigInt(ownStartTime()) + 1n), token: 'ab'.repeat(16) });
  fs.writeFileSync(path.join(dir, LOCK, dead), '');
  const racers = [startWorker(dir), startWorker(dir), startWorker(dir), startWorker(dir)];
  for (const round of ['stale', 'free']) {
    const gate = new Int32Array(new SharedArrayBuffer(4));
    let ready = 0;
    const opened = racers.map((w) =>
      messages(w, 2, (m) => {
        if ('ready' in m && ++ready === racers.length) {
          Atomics.store(gate, 0, 1); // every racer waits at the gate: let them all go
          Atomics.notify(gate, 0);
        }
      }),
    );
    for (const w of racers) w.postMessage({ op: 'open', gate } satisfies LockWorkerRequest);
    const replies = (await Promise.all(opened)).map((m) => m[1]);
    const winners = replies.filter((r) => 'ok' in r && r.ok);
    const losers = replies.filter((r) => 'ok' in r && !r.ok);
    expect([round, winners.length]).toEqual([round, 1]);
    expect(losers.map((r) => (r as { code?: string }).code)).toEqual([
      'PMEHASH_LOCKED',
      'PMEHASH_LOCKED',
      'PMEHASH_LOCKED',
    ]);
    expect(lockState(dir)).toHaveLength(1); // one entry: the winner's
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]); // no staging left behind
    for (const w of racers) await ask(w, { op: 'close' });
    expect(lockState(dir)).toBeUndefined();
  }
});

test("a lock naming this process's pid but another start time is stale (a reused pid); one of a live store here is not", () => {
  const dir = tempDir('lock-pid');
  const first = new PmEHash({ dir });
  const [me] = lockOwners(dir);
  expect(me).toMatchObject({ pid: process.pid, start: ownStartTime() });
  first.close();

  fs.mkdirSync(path.join(dir, LOCK));
  const dead = lockEntryName({ pid: process.pid, start: String(BigInt(ownStartTime()) + 1n), token: 'cd'.repeat(16) });
  fs.writeFileSync(path.join(dir, LOCK, dead), '');
  const store = new PmEHash({ dir }); // taken over
  const owners = lockOwners(dir);
  expect(owners).toHaveLength(1);
  expect(owners[0]).toMatchObject({ pid: process.pid, start: ownStartTime() });
  expect(owners[0].token).not.toBe('cd'.repeat(16));

  const held = lockState(dir);
  expect(lockError(() => new PmEHash({ dir })).message).toContain('by this process'); // live: refused
  expect(lockState(dir)).toEqual(held);
  store.close();
  expect(lockState(dir)).toBeUndefined();
});

test('a lock file of an earlier version (a pid only) is held while that pid runs and is not ours, else stale', async () => {
  const dir = tempDir('lock-legacy');
  new PmEHash({ dir }).close();
  const file = path.join(dir, LOCK);

  fs.writeFileSync(file, `${process.ppid}\n`); // a live process that is not us
  const before = snapshot(dir);
  const err = lockError(() => new PmEHash({ dir }));
  expect(err.code).toBe('PMEHASH_LOCKED');
  expect(err.message).toContain(`process ${process.ppid}`);
  expect(snapshot(dir)).toEqual(before);

  fs.writeFileSync(file, `${process.pid}\n`); // ours: this version never writes that format
  new PmEHash({ dir }).close();
  expect(fs.existsSync(file)).toBe(false);

  const child = startHolder(tempDir('lock-legacy-other'));
  await once(child.stdout!, 'data');
  child.kill('SIGKILL');
  await once(child, 'exit');
  fs.writeFileSync(file, `${child.pid}\n`); // a dead process
  new PmEHash({ dir }).close();
  expect(fs.existsSync(file)).toBe(false);
});

test("closing a store whose lock no longer holds its entry leaves the other holder's lock alone", () => {
  const dir = tempDir('lock-release');
  const store = new PmEHash({ dir });
  const [mine] = fs.readdirSync(path.join(dir, LOCK));
  // As if someone had taken the store over: the lock now names another, live owner.
  const other = lockEntryName({ pid: process.ppid, token: 'ef'.repeat(16) });
  fs.renameSync(path.join(dir, LOCK, mine), path.join(dir, LOCK, other));
  store.close();
  expect(lockState(dir)).toEqual([other]);
  expect(lockError(() => new PmEHash({ dir })).message).toContain(`process ${process.ppid}`);
});
