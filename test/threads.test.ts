// Worker threads sharing one store: the attach rules, and a stress run where threads insert,
// update, remove and read their own keys and fight over shared ones while buckets split and
// merge and the catalog doubles and halves under them.

import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { PmEHash, PmEHashError } from '../src';
import { removeCompiled, startCompiledWorker } from './helpers/compile';
import type { StressSummary } from './helpers/stress-worker';
import { removeTempDirs, tempDir } from './helpers/temp';
import { thrown } from './helpers/thrown';

const workers: Worker[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.terminate()));
  removeTempDirs();
  removeCompiled();
});

function start(helper: string, data: unknown): Worker {
  const worker = startCompiledWorker(helper, data);
  workers.push(worker);
  return worker;
}

// Lookups without locks rely on a CPU that keeps plain accesses in order (x86-64); elsewhere
// they lock (src/shared-control.ts). Both code paths run here, whatever this CPU is; on x86 the
// second cannot show a memory-order fault, only that the locking path is right otherwise. The
// third run has more threads than this machine's 2 cores: threads are descheduled while they
// hold a bucket, the structure lock or a section, and the others wait for them.
test.each([
  ['3 threads, plain accesses in order: lookups without locks', 3, true],
  ['3 threads, the path for CPUs that reorder plain accesses: lookups lock their bucket', 3, false],
  ['4 threads, plain accesses in order', 4, true],
])(
  'threads of a shared store (%s): every thread own keys exact, shared keys only written values, walks meet own pairs once, check clean, reopen clean',
  async (_, THREADS, plainAccessesInOrder) => {
    const dir = tempDir('threads');
    const store = new PmEHash({ dir, bucketsPerPage: 8 });
    const handle = store.share();
    expect(store.share()).toEqual(handle); // the same handle again
    const barrier = new SharedArrayBuffer(4);
    const runs = Array.from({ length: THREADS }, (_, thread) =>
      start('stress-worker.ts', {
        handle,
        thread,
        threads: THREADS,
        opsPerPhase: 40_000,
        seed: 100 + thread,
        sharedKeys: 64,
        barrier,
        plainAccessesInOrder,
      }),
    );
    const summaries: StressSummary[] = await Promise.all(runs.map(async (w) => (await once(w, 'message'))[0]));
    for (const s of summaries) {
      expect({
        thread: s.thread,
        error: s.error,
        ownMismatches: s.ownMismatches,
        unwrittenValues: s.unwrittenValues,
        walkMismatches: s.walkMismatches,
      }).toEqual({ thread: s.thread, error: undefined, ownMismatches: 0, unwrittenValues: 0, walkMismatches: 0 });
      expect(s.walks).toBeGreaterThanOrEqual(8);
    }
    // Doubled while filling (to depth 14 in the runs seen), halved while shrinking and after.
    // How far it halves depends on the scheduling: a merge whose buddy is locked gives up by
    // design, and the empty bucket keeps its depth (1 to 4 levels in the runs seen).
    const afterFill = Math.max(...summaries.map((s) => s.depths[0]));
    const afterShrink = Math.min(...summaries.flatMap((s) => s.depths.slice(1)));
    expect(afterFill).toBeGreaterThanOrEqual(8);
    expect(afterFill - afterShrink).toBeGreaterThanOrEqual(1);
    // Each thread's own keys hold exactly what its oracle says; shared keys only values written.
    const expectOwn = (s: PmEHash) => {
      for (const summary of summaries) {
        const hi = summary.thread + 1;
        const got = new Map<number, number>();
        for (const [k, v] of s)
          if (k >> 32n === BigInt(hi)) got.set(Number(k & 0xffffffffn) | 0, Number(v & 0xffffffffn) | 0);
        expect({ thread: summary.thread, size: got.size }).toEqual({
          thread: summary.thread,
          size: summary.own.length,
        });
        for (const [lo, v] of summary.own) expect(got.get(lo)).toBe(v);
      }
      for (const [k, v] of s) {
        if (k >> 32n === 0xffffn) expect(v >> 32n).toBe(0xabc00000n | (k & 0xffffffffn));
      }
    };
    expect(store.check()).toEqual([]);
    expectOwn(store);
    const size = store.size;
    store.close();
    const again = new PmEHash({ dir });
    expect(again.repairs).toEqual([]);
    expect(again.check()).toEqual([]);
    expect(again.size).toBe(size);
    expectOwn(again);
    again.close();
  },
  120_000,
);

test('attach rules: a worker may not open the shared folder itself, the owner cannot close while workers are attached', () => {
  const dir = tempDir('attach');
  const store = new PmEHash({ dir });
  const handle = store.share();
  const worker = PmEHash.attach(handle); // in this thread, as a worker would
  worker.set(1, 2);
  expect(store.get(1)).toBe(2n);
  expect(thrown<PmEHashError>(() => new PmEHash({ dir })).code).toBe('PMEHASH_LOCKED');
  expect(thrown<PmEHashError>(() => store.close()).code).toBe('PMEHASH_BUSY');
  expect(thrown<PmEHashError>(() => worker.share()).code).toBe('PMEHASH_BUSY');
  expect(thrown<PmEHashError>(() => worker.selfDestory()).code).toBe('PMEHASH_BUSY');
  expect(() => PmEHash.attach({ dir } as never)).toThrow(TypeError);
  worker.close();
  expect(worker.isClosed).toBe(true);
  expect(store.get(1)).toBe(2n); // a worker's close leaves the store open
  store.close();
  expect(new PmEHash({ dir }).close()).toBeUndefined();
});

test('a thread whose catalog mapping is older than the file never shrinks the file when it doubles the catalog', () => {
  const dir = tempDir('catalog-grow');
  const owner = new PmEHash({ dir, bucketsPerPage: 16 });
  let k = 0;
  while (owner.stats().globalDepth < 3) owner.set(k++, 1);
  const handle = owner.share();
  const worker = PmEHash.attach(handle); // maps the catalog at depth 3
  expect(worker.get(0)).toBe(1n);
  const catalogBytes = () => fs.statSync(path.join(dir, 'pm_ehash_catalog')).size;
  while (owner.stats().globalDepth < 7) owner.set(k++, 2); // the owner grows the file...
  const grown = catalogBytes();
  for (let r = 0; r < k; r++) owner.delete(r); // ...and empties the store, keeping the file
  expect(owner.stats().globalDepth).toBe(0);
  expect(catalogBytes()).toBe(grown);
  // The worker doubles from depth 3, its mapping still of 8 entries: the file must keep its size.
  let n = 0;
  while (worker.stats().globalDepth < 4) worker.set(1_000_000 + n++, 3);
  expect(catalogBytes()).toBe(grown);
  while (n < 2000) worker.set(1_000_000 + n++, 3);
  expect(catalogBytes()).toBeGreaterThanOrEqual(grown);
  for (let m = 0; m < 2000; m++) expect(owner.get(1_000_000 + m)).toBe(3n);
  worker.close();
  expect(owner.check()).toEqual([]);
  owner.close();
  const again = new PmEHash({ dir });
  expect(again.check()).toEqual([]);
  expect(again.size).toBe(2000);
  again.close();
});
