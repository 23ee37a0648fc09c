// Crash-point testing: a child replays a deterministic sequence and is SIGKILLed right after
// its N-th persist (PMEHASH_CRASH_AFTER_PERSIST=N). After each crash the store is reopened and
// must be consistent (check()), hold every operation acknowledged before the crash, and hold
// the operation in flight either entirely or not at all.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PmEHash } from '../src';
import { removeCompiled, runCompiled } from './helpers/compile';
import { applyOp, LARGE, sequence, SMALL, type SequenceSpec } from './helpers/crash-sequence';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(() => {
  removeTempDirs();
  removeCompiled();
});

interface Summary {
  persists: number;
  splits: number;
  merges: number;
  doublings: number;
  halvings: number;
}

function fullRun(which: 'SMALL' | 'LARGE'): Summary {
  const dir = tempDir('crash-full');
  const r = runCompiled('crash-driver.ts', [dir, which, path.join(dir, '.acks')]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const last = fs.readFileSync(path.join(dir, '.acks'), 'utf8').trimEnd().split('\n').pop()!;
  expect(last.startsWith('done ')).toBe(true);
  return JSON.parse(last.slice(5));
}

/** Crashes the sequence after persist n and verifies the reopened store; returns what was acknowledged. */
function crashAt(which: 'SMALL' | 'LARGE', spec: SequenceSpec, n: number): { acked: number; repairs: readonly string[] } {
  const dir = tempDir('crash');
  const r = runCompiled('crash-driver.ts', [dir, which, path.join(dir, '.acks')], { PMEHASH_CRASH_AFTER_PERSIST: String(n) });
  expect(r.signal).toBe('SIGKILL');
  const acked = fs.readFileSync(path.join(dir, '.acks'), 'utf8').split('\n').filter((l) => /^\d+$/.test(l)).length;
  const ops = sequence(spec);
  const before = new Map<bigint, bigint>();
  for (let i = 0; i < acked; i++) applyOp(before, ops[i]);
  const after = new Map(before);
  if (acked < ops.length) applyOp(after, ops[acked]);

  const store = new PmEHash({ dir });
  const repairs = store.repairs;
  const problems = store.check();
  const content = new Map(store.entries());
  store.close();
  const again = new PmEHash({ dir }); // recovery left nothing to repair a second time
  const secondRepairs = again.repairs;
  const secondContent = new Map(again.entries());
  again.close();

  const label = `crash after persist ${n} (${acked} ops acknowledged)`;
  expect({ label, problems }).toEqual({ label, problems: [] });
  const matches = equalMaps(content, before) || equalMaps(content, after);
  expect({ label, matches }).toEqual({ label, matches: true });
  expect({ label, secondRepairs }).toEqual({ label, secondRepairs: [] });
  expect(equalMaps(secondContent, content)).toBe(true);
  return { acked, repairs };
}

function equalMaps(a: Map<bigint, bigint>, b: Map<bigint, bigint>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

test('small sequence: a crash after every single persist point recovers', () => {
  const summary = fullRun('SMALL');
  expect(summary.splits).toBeGreaterThanOrEqual(4);
  expect(summary.merges).toBeGreaterThanOrEqual(3);
  expect(summary.doublings).toBeGreaterThanOrEqual(2);
  let repaired = 0;
  for (let n = 1; n <= summary.persists; n++) {
    if (crashAt('SMALL', SMALL, n).repairs.length > 0) repaired++;
  }
  expect(repaired).toBeGreaterThan(0); // some crashes did leave work for recovery
  console.log(`small sequence: ${summary.persists} crash points, ${repaired} needed repairs`);
});

test('large sequence (>= 3 doublings, >= 100 splits, >= 50 merges): crashes spread over all of it recover', () => {
  const summary = fullRun('LARGE');
  expect(summary.doublings).toBeGreaterThanOrEqual(3);
  expect(summary.splits).toBeGreaterThanOrEqual(100);
  expect(summary.merges).toBeGreaterThanOrEqual(50);
  const points = process.env.PMEHASH_SOAK === '1' ? 1500 : 160; // `make crash-test`: a soak
  const stride = summary.persists / points;
  // spread over the whole sequence, jittered so as not to land on one phase of an op every time
  const crashPoints = [...new Set(Array.from({ length: points }, (_, k) => Math.max(1, Math.round(k * stride + (k % 7)))))]
    .filter((n) => n <= summary.persists)
    .sort((a, b) => a - b);
  expect(crashPoints.length).toBeGreaterThan(points * 0.9);
  let lastAcked = -1;
  for (const n of crashPoints) {
    const { acked } = crashAt('LARGE', LARGE, n);
    expect(acked).toBeGreaterThanOrEqual(lastAcked); // later crash points reach further
    lastAcked = acked;
  }
  console.log(`large sequence: ${summary.persists} persists, ${crashPoints.length} crash points, ${JSON.stringify(summary)}`);
}, 1_800_000);
