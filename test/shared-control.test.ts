// The control block of a shared store (src/shared-control.ts). The structure lock, between
// worker threads: it excludes, also when waiters go to sleep on it, and a thread that waits for a
// holder that never gives it back gets PMEHASH_DEADLOCK instead of hanging. (That a sleeper is
// woken at once by the release, not by its periodic check, is a matter of speed, not tested.)
// The catalog sections: a redirect changes exactly the section words of the entries it may
// change, a doubling or halving all of them, and a hold that gives up leaves none taken.

import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { EXCLUSIVE, SECTIONS, sectionWordAt, SharedControl } from '../src/shared-control';
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

/** Every section word, in section order. */
function sectionWords(ctl: SharedControl): number[] {
  return Array.from({ length: SECTIONS }, (_, c) => ctl.sectionWord(c));
}

/** The sections whose words differ between two snapshots. */
function changed(before: number[], after: number[]): number[] {
  return before.flatMap((w, c) => (after[c] !== w ? [c] : []));
}

test('a redirect holds, then advances, exactly the sections of the entries it may change', () => {
  const ctl = SharedControl.create();
  const catalogWord = ctl.catalogWord();
  // Depth 9, pattern 0x1a5: entries i with i mod 512 = 0x1a5, all in section 0x1a5 mod 64 = 37.
  let before = sectionWords(ctl);
  ctl.beginRedirect(9, 0x1a5);
  expect(changed(before, sectionWords(ctl))).toEqual([37]);
  expect(SharedControl.busy(ctl.sectionWord(37))).toBe(true);
  ctl.endRedirect(9, 0x1a5);
  expect(changed(before, sectionWords(ctl))).toEqual([37]);
  expect(SharedControl.busy(ctl.sectionWord(37))).toBe(false);

  // Depth 2, pattern 1: entries 1, 5, 9, ... of every section congruent to 1 mod 4.
  before = sectionWords(ctl);
  ctl.beginRedirect(2, 1);
  ctl.endRedirect(2, 1);
  expect(changed(before, sectionWords(ctl))).toEqual(Array.from({ length: SECTIONS / 4 }, (_, k) => 4 * k + 1));
  expect(ctl.catalogWord()).toBe(catalogWord); // a redirect leaves the depth's word alone
});

test('a doubling or halving holds every section and the catalog word, and advances them all', () => {
  const ctl = SharedControl.create();
  const before = sectionWords(ctl);
  const catalogWord = ctl.catalogWord();
  ctl.beginCatalogChange();
  expect(sectionWords(ctl).every((w) => SharedControl.busy(w))).toBe(true);
  expect(SharedControl.busy(ctl.catalogWord())).toBe(true);
  ctl.endCatalogChange();
  const after = sectionWords(ctl);
  expect(changed(before, after)).toHaveLength(SECTIONS);
  expect(after.some((w) => SharedControl.busy(w))).toBe(false);
  expect(ctl.catalogWord()).not.toBe(catalogWord);
  expect(SharedControl.busy(ctl.catalogWord())).toBe(false);
});

test('a catalog change that gives up waiting for a redirect leaves no section taken', () => {
  const ctl = SharedControl.create();
  ctl.beginRedirect(8, 40); // section 40 held, as by a thread that stopped mid-split
  const before = sectionWords(ctl);
  expect(() => ctl.beginCatalogChange()).toThrow(expect.objectContaining({ code: 'PMEHASH_DEADLOCK' }));
  expect(sectionWords(ctl)).toEqual(before); // sections 0-39 given back as they were
  expect(SharedControl.busy(ctl.catalogWord())).toBe(false);
  ctl.endRedirect(8, 40);
  ctl.beginCatalogChange(); // would give up again if a section were left held
  ctl.endCatalogChange();
});

test('a redirect that gives up waiting for one of its sections lets go of those it took', () => {
  const ctl = SharedControl.create();
  // Depth 3, pattern 2: sections 2, 10, 18, ... A catalog change that stopped while taking the
  // sections holds section 18 alone, so the redirect takes 2 and 10, then waits for 18.
  Atomics.or(new Int32Array(ctl.buffer), sectionWordAt(18), EXCLUSIVE);
  const before = sectionWords(ctl);
  expect(() => ctl.beginRedirect(3, 2)).toThrow(expect.objectContaining({ code: 'PMEHASH_DEADLOCK' }));
  expect(sectionWords(ctl)).toEqual(before);
  expect(SharedControl.busy(ctl.sectionWord(2)) || SharedControl.busy(ctl.sectionWord(10))).toBe(false);
});
