// The YCSB runner end to end on small generated workloads, through the API and the CLI.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { FORMAT_VERSION, META_VERSION_OFFSET } from '../include-types/layout';
import { PmEHash, PmEHashCorruptError, PmEHashVersionError } from '../src';
import { generateWorkload, loadFile, runFile } from '../src/ycsb/generator';
import { formatReport } from '../src/ycsb/report';
import { freshStore, prepareWorkload, runGroups, runYcsb } from '../src/ycsb/runner';
import { pageFileSize } from '../src/data-page';
import { dealGroups, groupOfKey, oneGroup, THREADED_BUCKETS_PER_PAGE } from '../src/ycsb/thread-runner';
import { OP_READ, type Workload } from '../src/ycsb/workload';
import { findWorkload } from '../src/ycsb/workload-spec';
import { removeCompiled, runCompiled } from './helpers/compile';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(() => {
  removeTempDirs();
  removeCompiled();
});

const CLI = 'src/cli/main.ts';

/** A load and a run file with the given lines, in a temporary folder. */
function workloadFiles(loadText: string, runText: string): { load: string; run: string } {
  const wl = tempDir('wl');
  const load = path.join(wl, 'load.txt');
  const run = path.join(wl, 'run.txt');
  fs.writeFileSync(load, loadText);
  fs.writeFileSync(run, runText);
  return { load, run };
}

test('10w-rw-25-75: every count in the report is right and no read misses', () => {
  const spec = findWorkload('10w-rw-25-75')!;
  const wl = tempDir('wl');
  generateWorkload(wl, spec, 3);
  const runLines = fs.readFileSync(runFile(wl, spec), 'latin1').trimEnd().split('\n');
  const reads = runLines.filter((l) => l.startsWith('READ ')).length;
  const dir = tempDir('ycsb');
  const report = runYcsb({ loadFile: loadFile(wl, spec), runFile: runFile(wl, spec), dir, check: true });
  expect(report.load).toMatchObject({
    ops: 100_000,
    failed: 0,
    mix: { INSERT: 100_000, READ: 0, UPDATE: 0, DELETE: 0 },
  });
  expect(report.run).toMatchObject({
    ops: 10_000,
    failed: 0,
    mix: { INSERT: 10_000 - reads, READ: reads, UPDATE: 0, DELETE: 0 },
  });
  expect(report.reads).toEqual({ found: reads, missed: 0, mismatched: 0 });
  expect(report.stats.keys).toBe(100_000 + 10_000 - reads);
  expect(report.problems).toEqual([]);
  expect(report.load.opsPerSec).toBeCloseTo(report.load.ops / report.load.seconds, 6);
  const text = formatReport(report);
  expect(text).toMatch(/load\s+100,000/);
  expect(text).toMatch(
    new RegExp(`${reads.toLocaleString('en-US')} returned the expected value, 0 missed, 0 mismatched`),
  );
  // the store is left on disk and holds exactly the inserted keys
  const store = new PmEHash({ dir });
  expect(store.stats().keys).toBe(report.stats.keys);
  store.close();
});

test('later reads check the values of updates and the absence after deletes', () => {
  const { load, run } = workloadFiles(
    'INSERT 1\nINSERT 2\nINSERT 3\nINSERT 18446744073709551615\n',
    'READ 1\nUPDATE 1\nREAD 1\nDELETE 2\nREAD 2\nINSERT 2\nREAD 2\nUPDATE 18446744073709551615\nREAD 18446744073709551615\nUPDATE 9\nINSERT 3\n',
  );
  const report = runYcsb({ loadFile: load, runFile: run, dir: tempDir('ycsb') });
  expect(report.reads).toEqual({ found: 5, missed: 0, mismatched: 0 });
  expect(report.run.failed).toBe(2); // UPDATE of absent 9, INSERT of present 3
  expect(report.run.mix).toEqual({ INSERT: 2, READ: 5, UPDATE: 3, DELETE: 1 });
});

test('a fresh store each run: an existing store in the folder is replaced', () => {
  const spec = findWorkload('1w-rw-50-50')!;
  const wl = tempDir('wl');
  generateWorkload(wl, spec, 1);
  const dir = tempDir('ycsb');
  const first = runYcsb({ loadFile: loadFile(wl, spec), runFile: runFile(wl, spec), dir });
  const second = runYcsb({ loadFile: loadFile(wl, spec), runFile: runFile(wl, spec), dir });
  expect(second.load.failed).toBe(0); // no key was left from the first run
  expect(second.stats).toEqual(first.stats);
  expect(second.reads.mismatched + second.reads.missed).toBe(0);
});

test('a store of another format version in the folder is replaced by the run', () => {
  const { load, run } = workloadFiles('INSERT 1\nINSERT 2\n', 'READ 1\n');
  const dir = tempDir('ycsb');
  const old = new PmEHash({ dir, bucketsPerPage: 16 });
  for (let k = 0; k < 2000; k++) old.insert({ key: k, value: k }); // several page files
  old.close();
  const meta = path.join(dir, 'pm_ehash_metadata');
  const bytes = fs.readFileSync(meta);
  bytes.writeUInt32LE(FORMAT_VERSION + 1, META_VERSION_OFFSET); // a version this build cannot read
  fs.writeFileSync(meta, bytes);
  expect(() => new PmEHash({ dir })).toThrow(PmEHashVersionError);
  const report = runYcsb({ loadFile: load, runFile: run, dir, check: true });
  expect(report.stats.keys).toBe(2);
  expect(report.problems).toEqual([]);
  expect(fs.readdirSync(dir).sort()).toEqual(['1', 'pm_ehash_catalog', 'pm_ehash_metadata']);
});

test('a foreign folder is refused by the run and left as it was', () => {
  const { load, run } = workloadFiles('INSERT 1\nINSERT 2\n', 'READ 1\n');
  const foreign = tempDir('foreign');
  fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
  expect(() => runYcsb({ loadFile: load, runFile: run, dir: foreign })).toThrow(PmEHashCorruptError);
  expect(fs.readdirSync(foreign)).toEqual(['notes.txt']);
});

/** `pmehash ycsb --json --check` on the 1w workload (generated), with `extra` options; its store's folder. */
function ycsbOn1w(label: string, extra: string[] = []) {
  const spec = findWorkload('1w-rw-50-50')!;
  const wl = tempDir(`wl-${label}`);
  generateWorkload(wl, spec, 1);
  const dir = tempDir(label);
  const args = ['ycsb', '--load', loadFile(wl, spec), '--run', runFile(wl, spec), '--dir', dir];
  return { child: runCompiled(CLI, [...args, ...extra, '--json', '--check']), dir };
}

test('pmehash ycsb --json prints one parseable object with the documented shape', () => {
  const { child } = ycsbOn1w('ycsb');
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  const report = JSON.parse(child.stdout);
  expect(report.load).toMatchObject({ ops: 10_000, mix: { INSERT: 10_000, READ: 0, UPDATE: 0, DELETE: 0 } });
  expect(report.run.ops).toBe(1_000);
  expect(report.run.mix.READ + report.run.mix.UPDATE).toBe(1_000);
  expect(typeof report.run.opsPerSec).toBe('number');
  expect(report.reads).toEqual({ found: report.run.mix.READ, missed: 0, mismatched: 0 });
  expect(report.stats.keys).toBe(10_000);
  expect(report.problems).toEqual([]);
});

test('pmehash ycsb on a malformed workload fails with file and line, and runs nothing', () => {
  const { load, run } = workloadFiles('INSERT 1\n', 'READ 1\nREAD one\n');
  const dir = tempDir('ycsb');
  const child = runCompiled(CLI, ['ycsb', '--load', load, '--run', run, '--dir', dir]);
  expect(child.status).toBe(1);
  expect(child.stderr).toBe(`pmehash: ${run}:2: key is not an unsigned decimal number: "READ one"\n`);
  expect(child.stdout).toBe('');
  expect(fs.readdirSync(dir)).toEqual([]); // parsing comes before the store is touched
});

test('pmehash ycsb --threads 2 deals the operations to two threads and still checks every READ', () => {
  const { child, dir } = ycsbOn1w('ycsb-threads', ['--threads', '2']);
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  const report = JSON.parse(child.stdout);
  expect(report.threads).toBe(2);
  expect(report.load.perThread).toHaveLength(2);
  expect(report.load.perThread[0] + report.load.perThread[1]).toBe(10_000); // each operation ran once
  expect(report.run.perThread[0] + report.run.perThread[1]).toBe(1_000);
  expect(report.reads).toEqual({ found: 500, missed: 0, mismatched: 0 });
  expect(report.problems).toEqual([]);
  expect(report.stats.keys).toBe(10_000);
  // A store threads share has page files 4 times the default size (THREADED_BUCKETS_PER_PAGE).
  expect(fs.statSync(path.join(dir, '1')).size).toBe(pageFileSize(THREADED_BUCKETS_PER_PAGE));
  const reopened = new PmEHash({ dir });
  expect(reopened.repairs).toEqual([]);
  expect(reopened.size).toBe(10_000);
  reopened.close();
});

test('a warm-up runs on a scratch store that is then removed: the measured phases and their READ judgements are untouched', () => {
  const spec = findWorkload('1w-rw-50-50')!;
  const wl = tempDir('wl-warm');
  generateWorkload(wl, spec, 1);
  const dir = tempDir('ycsb-warm');
  const report = runYcsb({ loadFile: loadFile(wl, spec), runFile: runFile(wl, spec), dir, warmUp: 4_000, check: true });
  expect(report.warmUp).toEqual({ load: 4_000, run: 1_000 }); // the whole run phase: it has 1,000
  // The measured store is made before the warm-up: had the warm-up written into it, 4,000 of
  // its inserts would have failed.
  expect(report.load).toMatchObject({ ops: 10_000, failed: 0 });
  expect(report.run.failed).toBe(0);
  // Its run phase finds only the keys of its 4,000 inserts: none of those misses is counted.
  expect(report.reads).toEqual({ found: report.run.mix.READ, missed: 0, mismatched: 0 });
  expect(report.stats.keys).toBe(10_000);
  expect(report.problems).toEqual([]);
  expect(fs.existsSync(`${dir}.warm-up`)).toBe(false);
  expect(formatReport(report)).toContain(
    'warm-up   4,000 load and 1,000 run operations (the first of each phase) ran on a scratch store',
  );
  const cold = runYcsb({ loadFile: loadFile(wl, spec), runFile: runFile(wl, spec), dir });
  expect(cold.warmUp).toBeUndefined();
  expect(formatReport(cold)).not.toContain('warm-up');
});

test('pmehash ycsb --threads 2 --warm-up: the threads warm up together on a scratch store, then run the measured phases', () => {
  const { child, dir } = ycsbOn1w('ycsb-threads-warm', ['--threads', '2', '--warm-up', '3000']);
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  const report = JSON.parse(child.stdout);
  expect(report.warmUp).toEqual({ load: 3_000, run: 1_000 });
  expect(report.load.perThread[0] + report.load.perThread[1]).toBe(10_000);
  expect(report.load.failed).toBe(0);
  expect(report.reads).toEqual({ found: 500, missed: 0, mismatched: 0 });
  expect(report.problems).toEqual([]);
  expect(report.stats.keys).toBe(10_000);
  expect(fs.existsSync(`${dir}.warm-up`)).toBe(false);
  // The one-thread run for the speed-up, and its warm-up, leave nothing behind.
  expect(fs.readdirSync(path.dirname(dir)).filter((name) => name.startsWith(path.basename(dir)))).toEqual([
    path.basename(dir),
  ]);
});

test('a bad warm-up size or a refused folder stops a warm-up run before anything is written', () => {
  const { load, run } = workloadFiles('INSERT 1\nINSERT 2\n', 'READ 1\n');
  const dir = tempDir('ycsb-warm-bad');
  for (const warmUp of [-1, 1.5, Number.NaN])
    expect(() => runYcsb({ loadFile: load, runFile: run, dir, warmUp })).toThrow(RangeError);
  expect(fs.readdirSync(dir)).toEqual([]);
  const foreign = tempDir('foreign-warm');
  fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
  expect(() => runYcsb({ loadFile: load, runFile: run, dir: foreign, warmUp: 1 })).toThrow(PmEHashCorruptError);
  expect(fs.readdirSync(foreign)).toEqual(['notes.txt']);
  expect(fs.existsSync(`${foreign}.warm-up`)).toBe(false);
});

test('pmehash ycsb --threads 2 --warm-up on a foreign folder reports the refusal, and leaves no scratch store', () => {
  const foreign = tempDir('foreign-threads-warm');
  fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
  const { load, run } = workloadFiles('INSERT 1\nINSERT 2\n', 'READ 1\n');
  const child = runCompiled(CLI, [
    'ycsb',
    '--load',
    load,
    '--run',
    run,
    '--dir',
    foreign,
    '--threads',
    '2',
    '--warm-up',
    '1',
  ]);
  expect(child.status).toBe(2);
  expect(child.stderr).toContain(foreign);
  expect(child.stderr).not.toContain('still attached');
  expect(fs.readdirSync(foreign)).toEqual(['notes.txt']);
  expect(fs.existsSync(`${foreign}.warm-up`)).toBe(false);
});

test("dealGroups: each group holds exactly its keys' operations and READ expectations, in file order", () => {
  // 3,000 keys, each met 2 or 3 times with varied operations: a key's operations must stay in
  // one group and in file order, or its READs could not be judged.
  const count = 7_000;
  const w: Workload = {
    file: 'synthetic',
    count,
    bytes: 0,
    ops: new Uint8Array(count),
    keyLo: new Uint32Array(count),
    keyHi: new Uint32Array(count),
  };
  const expected: number[] = [];
  for (let i = 0; i < count; i++) {
    const key = (i * 7919) % 3_000;
    w.keyLo[i] = Math.imul(key, 0x9e3779b1) >>> 0;
    w.keyHi[i] = key % 5;
    w.ops[i] = (i * 31 + (i >> 3)) % 4;
    if (w.ops[i] === OP_READ) expected.push(i % 3);
  }
  const n = 64;
  const groups = dealGroups(w, Uint8Array.from(expected), n);
  expect(groups.start[0]).toBe(0);
  expect(groups.start[n]).toBe(count);
  expect(groups.readStart[n]).toBe(expected.length);
  expect(groups.workload.keyLo.buffer).toBeInstanceOf(SharedArrayBuffer); // seen by every worker thread
  for (let g = 0; g < n; g++) {
    const want = { ops: [] as number[], lo: [] as number[], hi: [] as number[], expected: [] as number[] };
    let r = 0;
    for (let i = 0; i < count; i++) {
      const read = w.ops[i] === OP_READ;
      if (groupOfKey(w.keyLo[i], w.keyHi[i], n) === g) {
        want.ops.push(w.ops[i]);
        want.lo.push(w.keyLo[i]);
        want.hi.push(w.keyHi[i]);
        if (read) want.expected.push(expected[r]);
      }
      if (read) r++;
    }
    const [from, to] = [groups.start[g], groups.start[g + 1]];
    expect(Array.from(groups.workload.ops.subarray(from, to))).toEqual(want.ops);
    expect(Array.from(groups.workload.keyLo.subarray(from, to))).toEqual(want.lo);
    expect(Array.from(groups.workload.keyHi.subarray(from, to))).toEqual(want.hi);
    expect(Array.from(groups.expected.subarray(groups.readStart[g], groups.readStart[g + 1]))).toEqual(want.expected);
    expect(to - from).toBeGreaterThan(40); // about 7,000 / 64 = 109 each: the hash spreads the keys
    expect(to - from).toBeLessThan(200);
  }
});

test('runGroups runs the groups from the claim counter on, each once, and judges their READs', () => {
  const spec = findWorkload('1w-rw-50-50')!;
  const wl = tempDir('wl-claims');
  generateWorkload(wl, spec, 2);
  const prepared = prepareWorkload({ loadFile: loadFile(wl, spec), runFile: runFile(wl, spec), dir: wl });
  const store = freshStore(tempDir('claims'), 'process');
  try {
    const load = dealGroups(prepared.load, prepared.loadExpected, 8);
    const claims = new Int32Array(new SharedArrayBuffer(4));
    claims[0] = 3; // another thread took groups 0-2
    const reads = { found: 0, missed: 0, mismatched: 0 };
    const first = runGroups(store, load, claims, reads, 'load', false);
    expect(first).toMatchObject({ ops: 10_000 - load.start[3], failed: 0 });
    expect(store.size).toBe(10_000 - load.start[3]);
    expect(runGroups(store, load, claims, reads, 'load', false)).toMatchObject({ ops: 0, failed: 0 }); // none left
    claims[0] = 0;
    const again = runGroups(store, load, claims, reads, 'load', false);
    expect(again).toMatchObject({ ops: 10_000, failed: 10_000 - load.start[3] }); // groups 3-7 are inserted already
    // The run phase (READs and UPDATEs) out of file order, group by group: groups 5-7 from a
    // shared counter, then 4 down to 0 each on its own (oneGroup, as 'fixed' handing does). Each
    // group's READs must be judged against its own slice of the expectations.
    const run = dealGroups(prepared.run, prepared.runExpected, 8);
    const runReads = { found: 0, missed: 0, mismatched: 0 };
    const runClaims = new Int32Array(1);
    runClaims[0] = 5;
    let ran = runGroups(store, run, runClaims, runReads, 'run', false).ops;
    for (let g = 4; g >= 0; g--)
      ran += runGroups(store, oneGroup(run, g), new Int32Array(1), runReads, 'run', false).ops;
    expect(ran).toBe(1_000);
    expect(runReads).toEqual({ found: 500, missed: 0, mismatched: 0 });
  } finally {
    store.close();
  }
});

test('the bench reference (2 threads, a store each): every key reaches the same store in both phases', () => {
  const spec = findWorkload('1w-rw-50-50')!;
  const wl = tempDir('wl-independent');
  generateWorkload(wl, spec, 3);
  const dir = tempDir('independent');
  const child = runCompiled('independent-stores-run.ts', [loadFile(wl, spec), runFile(wl, spec), dir, '2']);
  expect(child.stderr).toBe('');
  const result = JSON.parse(child.stdout);
  expect(result.load.perThread[0] + result.load.perThread[1]).toBe(10_000);
  expect(result.run.perThread[0] + result.run.perThread[1]).toBe(1_000);
  expect(result.reads).toEqual({ found: 500, missed: 0, mismatched: 0 }); // a READ in the other store would miss
  // Thread t's store holds exactly the keys of group t: the shares were fixed, not claimed.
  ['thread-0', 'thread-1'].forEach((name, t) => {
    const store = new PmEHash({ dir: path.join(dir, name) });
    let others = 0;
    for (const key of store.keys()) if (groupOfKey(Number(key & 0xffffffffn), Number(key >> 32n), 2) !== t) others++;
    expect({ size: store.size, others }).toEqual({ size: result.load.perThread[t], others: 0 });
    store.close();
  });
  expect(Math.min(...result.load.perThread)).toBeGreaterThan(4_000); // the key hash splits them evenly
});
