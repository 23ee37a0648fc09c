// Crash-point testing with real process deaths: a child replays a deterministic sequence and is
// SIGKILLed right after its N-th persist (helpers/test-files.ts, CrashingFiles). Every crashed store is
// then opened in a fresh process, closed, and opened again in another fresh process: both opens
// must succeed, be consistent (check()), hold every operation acknowledged before the crash and
// the one in flight wholly or not at all, and the second must find nothing left to repair.
// Recovery itself may crash too: stores that needed repairs are copied first, and their
// recovery is killed after each of its persists, then opened again with the same expectations
// (in `make test` one store of each kind of recovery; in `make crash-test` all of them).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeCompiled, runCompiled } from './helpers/compile';
import { SEQUENCES, sequence, type SequenceName } from './helpers/crash-sequence';
import { removeTempDirs, tempDir } from './helpers/temp';
import type { Job, Verdict } from './helpers/verify-crash-images';

const SOAK = process.env.PMEHASH_SOAK === '1'; // `make crash-test`

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
  multiLevelHalvings: number;
  emptied: number;
}

const ackCount = (dir: string): number =>
  fs
    .readFileSync(path.join(dir, '.acks'), 'utf8')
    .split('\n')
    .filter((l) => /^\d+$/.test(l)).length;

function fullRun(name: SequenceName): Summary {
  const dir = tempDir('crash-full');
  const r = runCompiled('crash-driver.ts', [dir, name, path.join(dir, '.acks')]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const last = fs.readFileSync(path.join(dir, '.acks'), 'utf8').trimEnd().split('\n').pop()!;
  expect(last.startsWith('done ')).toBe(true);
  return JSON.parse(last.slice(5));
}

/** Runs `name` in a child killed after persist n; returns the crashed store as a job. */
function crashAt(name: SequenceName, n: number): Job {
  const dir = tempDir('crash');
  const r = runCompiled('crash-driver.ts', [dir, name, path.join(dir, '.acks'), String(n)]);
  expect({ n, signal: r.signal, stderr: r.stderr }).toEqual({ n, signal: 'SIGKILL', stderr: '' });
  return { dir, sequence: name, acked: ackCount(dir) };
}

/** One verifier process over all jobs. */
function verify(jobs: Job[]): Verdict[] {
  const dir = tempDir('verdicts');
  const jobsFile = path.join(dir, 'jobs.json');
  const resultsFile = path.join(dir, 'results.json');
  fs.writeFileSync(jobsFile, JSON.stringify(jobs));
  const r = runCompiled('verify-crash-images.ts', [jobsFile, resultsFile]);
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
  return JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
}

/**
 * Opens every job's store twice, in two fresh processes, and asserts the expectations above.
 * Returns the first open's verdicts.
 */
function verifyTwice(jobs: Job[], what: string): Verdict[] {
  const first = verify(jobs);
  const second = verify(jobs);
  jobs.forEach((job, i) => {
    const label = `${what}: ${path.basename(job.dir)} (${job.acked} ops acknowledged)`;
    const [a, b] = [first[i], second[i]];
    expect({ label, error: a.error, problems: a.problems, holds: a.holds === 'neither' ? 'neither' : 'ok' }).toEqual({
      label,
      error: undefined,
      problems: [],
      holds: 'ok',
    });
    expect({
      label,
      error: b.error,
      problems: b.problems,
      repairs: b.repairs,
      same: b.fingerprint === a.fingerprint,
    }).toEqual({ label, error: undefined, problems: [], repairs: [], same: true });
  });
  return first;
}

/** Crash points spread over `persists`, jittered so as not to land on one phase of an op every time. */
function spread(persists: number, points: number): number[] {
  const stride = persists / points;
  return [...new Set(Array.from({ length: points }, (_, k) => Math.max(1, Math.round(k * stride + (k % 7)))))]
    .filter((n) => n <= persists)
    .sort((a, b) => a - b);
}

/**
 * Kills the recovery of each (pristine copy of a) store that needed repairs after each of its
 * persists, then checks the stores that recovery left. Returns the number of recovery crashes.
 */
function crashRecoveries(pristine: Map<string, Job>, verdicts: Verdict[], what: string): number {
  const jobs: Job[] = [];
  for (const v of verdicts) {
    const original = pristine.get(v.dir)!;
    for (let k = 1; k <= v.recoveryPersists; k++) {
      const dir = tempDir('recovery-crash');
      fs.cpSync(original.dir, dir, { recursive: true });
      const r = runCompiled('open-close.ts', [dir, String(k)]);
      expect({ k, signal: r.signal, stderr: r.stderr }).toEqual({ k, signal: 'SIGKILL', stderr: '' });
      jobs.push({ ...original, dir });
    }
  }
  verifyTwice(jobs, `${what}, recovery killed`);
  return jobs.length;
}

/**
 * The kind of recovery a verdict needed, for choosing one store of each to crash the recovery
 * of: its repairs and its number of persists. A redone batch's repairs name its size, and its
 * persists depend on how much of it was applied: one store for each size of batch is enough.
 */
const batchRepair = (v: Verdict): string | undefined => v.repairs.find((r) => r.startsWith('applied the batch'));
const recoveryKind = (v: Verdict): string => batchRepair(v) ?? `${v.repairs.join('; ')} / ${v.recoveryPersists}`;

/** Crashes at every given point, keeps pristine copies, verifies, and crashes the recoveries. */
function crashEverywhere(name: SequenceName, points: number[]): { repaired: number; recoveryCrashes: number } {
  const jobs = points.map((n) => crashAt(name, n));
  let lastAcked = -1;
  for (const job of jobs) {
    expect(job.acked).toBeGreaterThanOrEqual(lastAcked); // later crash points reach further
    lastAcked = job.acked;
  }
  const pristine = new Map<string, Job>();
  for (const job of jobs) {
    const copy = tempDir('pristine');
    fs.cpSync(job.dir, copy, { recursive: true });
    pristine.set(job.dir, { ...job, dir: copy });
  }
  const verdicts = verifyTwice(jobs, name);
  const repaired = verdicts.filter((v) => v.repairs.length > 0);
  expect(repaired.length).toBeGreaterThan(0); // some crashes did leave work for recovery
  // Every repaired store in the soak; otherwise one store for each kind of recovery (the same
  // repairs and number of persists), which the power-loss simulator complements by crashing
  // every recovery of every image in-process.
  const kinds = new Map<string, Verdict>();
  // A batch applied again makes a persist per operation: one store for each size of batch in
  // the soak too, where every one (some 15,000 recovery crashes) would take most of an hour.
  for (const v of repaired) kinds.set(SOAK && batchRepair(v) === undefined ? v.dir : recoveryKind(v), v);
  return { repaired: repaired.length, recoveryCrashes: crashRecoveries(pristine, [...kinds.values()], name) };
}

test('SMALL: a crash after every persist recovers, twice, also when recovery is killed', () => {
  const summary = fullRun('SMALL');
  expect(summary).toMatchObject({ persists: expect.any(Number) });
  expect(summary.splits).toBeGreaterThanOrEqual(4);
  expect(summary.merges).toBeGreaterThanOrEqual(3);
  expect(summary.doublings).toBeGreaterThanOrEqual(2);
  const points = Array.from({ length: summary.persists }, (_, i) => i + 1);
  const { repaired, recoveryCrashes } = crashEverywhere('SMALL', points);
  console.log(`SMALL: ${points.length} crash points, ${repaired} needed repairs, ${recoveryCrashes} recovery crashes`);
}, 600_000);

test('LIFECYCLE (fill, empty, regrow, with multi-level halvings in single removes): every persist', () => {
  const summary = fullRun('LIFECYCLE');
  expect(summary.emptied).toBeGreaterThanOrEqual(3);
  expect(summary.multiLevelHalvings).toBeGreaterThanOrEqual(3);
  expect(summary.doublings).toBeGreaterThanOrEqual(5);
  const points = Array.from({ length: summary.persists }, (_, i) => i + 1);
  const { repaired, recoveryCrashes } = crashEverywhere('LIFECYCLE', points);
  console.log(
    `LIFECYCLE: ${points.length} crash points, ${repaired} needed repairs, ${recoveryCrashes} recovery crashes, ${JSON.stringify(summary)}`,
  );
}, 900_000);

// Every persist of this sequence is in power-loss.test.ts (in-process, line granularity); here
// 80 real process deaths spread over it (every persist in `make crash-test`).
test('BATCHES (batches of 1 to 32 operations, a clear): each batch and clear wholly or not at all', () => {
  const summary = fullRun('BATCHES');
  expect(summary.splits).toBeGreaterThanOrEqual(4);
  expect(summary.doublings).toBeGreaterThanOrEqual(3);
  expect(summary.emptied).toBeGreaterThanOrEqual(2); // the clear, and the last batches
  const points = SOAK ? Array.from({ length: summary.persists }, (_, i) => i + 1) : spread(summary.persists, 80);
  const { repaired, recoveryCrashes } = crashEverywhere('BATCHES', points);
  console.log(
    `BATCHES: ${points.length} crash points, ${repaired} needed repairs, ${recoveryCrashes} recovery crashes`,
  );
}, 900_000);

test('LARGE (>= 3 doublings, >= 100 splits, >= 50 merges): crashes spread over all of it recover', () => {
  const summary = fullRun('LARGE');
  expect(summary.doublings).toBeGreaterThanOrEqual(3);
  expect(summary.splits).toBeGreaterThanOrEqual(100);
  expect(summary.merges).toBeGreaterThanOrEqual(50);
  const points = spread(summary.persists, SOAK ? 1500 : 120);
  expect(points.length).toBeGreaterThan(100);
  const jobs = points.map((n) => crashAt('LARGE', n));
  verifyTwice(jobs, 'LARGE');
  expect(jobs[jobs.length - 1].acked).toBeGreaterThan(sequence(SEQUENCES.LARGE).length * 0.9);
  console.log(`LARGE: ${summary.persists} persists, ${points.length} crash points, ${JSON.stringify(summary)}`);
}, 1_800_000);
