// Replays a parsed load and run workload against a fresh PmEHash and measures each phase.
// Parsing and the READ expectations are prepared before the clock starts; the timed loop does
// nothing but store calls and a compare.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PmEHashVersionError } from '../errors';
import { removeStoreFiles } from '../files';
import { WrittenFiles } from '../written-files';
import { PmEHash } from '../pm-ehash';
import type { WordStore } from '../word-store';
import type { Durability, PmEHashStats } from '../../include-types/store';
import { ExpectationTable, judgeRead, type ReadExpectations, type ReadReport } from './expectations';
import { parseWorkloadFile } from './parser';
import * as workload from './workload';
import { prefixOf, type OpName, type Workload } from './workload';
import { Progress } from './progress';

export interface PhaseReport {
  ops: number;
  seconds: number;
  opsPerSec: number;
  mix: Record<OpName, number>;
  /** Operations answered -1 (insert of a present key, update/delete of an absent one). */
  failed: number;
  /** Operations each worker thread ran (multi-threaded runs only). */
  perThread?: number[];
}

export type { ReadReport };

export interface YcsbReport {
  files: { load: string; run: string };
  dir: string;
  durability: Durability;
  /** Worker threads that ran the phases (1: the calling thread alone). */
  threads: number;
  /** With threads > 1 from the command line: the same workload run by one thread, for the speed-up. */
  oneThread?: { load: PhaseReport; run: PhaseReport };
  parse: { bytes: number; seconds: number; mbPerSec: number };
  load: PhaseReport;
  run: PhaseReport;
  reads: ReadReport;
  stats: PmEHashStats;
  /** Present when the run was asked to check the store at the end. */
  problems?: string[];
  /** The operations of each phase that ran on a scratch store before the clocks (YcsbOptions.warmUp), if any. */
  warmUp?: WarmedUp;
}

/** The operations a warm-up ran: the first YcsbOptions.warmUp of each phase, or all of a shorter one. */
export interface WarmedUp {
  load: number;
  run: number;
}

export interface YcsbOptions {
  loadFile: string;
  runFile: string;
  dir: string;
  durability?: Durability;
  /** Durability 'log': the log folder (default: `log` inside dir). */
  logDir?: string;
  /** Run PmEHash.check() at the end. */
  check?: boolean;
  /** Show a progress bar on stderr (only when it is a terminal). */
  progress?: boolean;
  /**
   * Before the clocks start, run the first `warmUp` operations of each phase on a scratch store
   * (warmUpDir), then remove it: V8 then has compiled the store's code when the measured phases
   * start. The report says so; without it (0, the default) the figures are a cold process's.
   */
  warmUp?: number;
}

/** runBatch's operation codes as this module's own (see "Constants on the hot path" in bucket.ts). */
const { OP_DELETE, OP_INSERT, OP_READ, OP_UPDATE } = workload;

/** Operations whose buckets are prefetched together (see PmEHash.prefetchWords). */
const BATCH = 8;
/** Batches between two updates of the progress bar (65,536 operations). */
const BATCHES_PER_UPDATE = (1 << 16) / BATCH;
/** Where runGroups leaves the XOR of its prefetch loads (an observable store keeps them alive). */
export let prefetchSink = 0;

/** Operations of each kind in `w`. */
export function mixOf(w: Workload): Record<OpName, number> {
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < w.count; i++) counts[w.ops[i]]++;
  return { INSERT: counts[0], READ: counts[1], UPDATE: counts[2], DELETE: counts[3] };
}

/**
 * A phase's operations in groups: group g is operations [start[g], start[g + 1]) of `workload`
 * and READ expectations [readStart[g], readStart[g + 1]) of `expected`. One thread runs a phase
 * as one group (wholePhase); N threads share it dealt into many (thread-runner.ts, dealGroups).
 */
export interface Groups {
  workload: Workload;
  expected: ReadExpectations;
  start: Int32Array;
  readStart: Int32Array;
}

/** The whole phase as one group (nothing copied). */
export function wholePhase(w: Workload, expected: ReadExpectations): Groups {
  return {
    workload: w,
    expected,
    start: Int32Array.of(0, w.count),
    readStart: Int32Array.of(0, expected.length),
  };
}

/** Runs one phase on the calling thread; `reads` accumulates READ outcomes. */
export function runPhase(
  store: PmEHash,
  w: Workload,
  expected: ReadExpectations,
  reads: ReadReport,
  label: string,
  progress: boolean,
): PhaseReport {
  const { ops, failed, seconds } = runGroups(store, wholePhase(w, expected), new Int32Array(1), reads, label, progress);
  return { ops, seconds, opsPerSec: ops / seconds, mix: mixOf(w), failed };
}

/**
 * Claims the groups one at a time (claims[0] is the next unclaimed one; threads sharing a phase
 * share the counter) and runs each to its end in file order, until none is left. Returns the
 * operations it ran, how many answered -1, and the seconds it took; `reads` accumulates READ
 * outcomes. A worker calls this once per phase rather than once per group: called per group,
 * V8 compiled the loop about twice as often (it deoptimized at each new exit and entry it had not
 * seen yet), on the cores the threads run on, and 2 threads ran 0.86x and 0.97x as fast.
 */
export function runGroups(
  store: PmEHash,
  groups: Groups,
  claims: Int32Array,
  reads: ReadReport,
  label: string,
  progress: boolean,
): { ops: number; failed: number; seconds: number } {
  const words = store.words;
  const at: BatchState = { read: 0, failed: 0, sink: 0 };
  const bar = new Progress(label, groups.workload.count, progress);
  const started = process.hrtime.bigint();
  const done = runClaimed(groups, claims, words, reads, at, bar);
  store.flush(); // durability 'log': the phase ends when its operations are durable
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  bar.update(done);
  bar.stop();
  prefetchSink = at.sink;
  return { ops: done, failed: at.failed, seconds };
}

/**
 * runGroups' loop: claims groups and runs them batch by batch; returns the operations run. A
 * function of its own, with nothing but the loop: V8 compiles a loop that runs for long while it
 * runs (on-stack replacement), and throws that code away when a line it had not seen run before
 * does (the claim of a second group, a progress update, the end of the phase). A small loop is
 * quick to compile again, and meanwhile the batches still run in runBatch's optimized code.
 * (Against the loop in runGroups, 220w, 9 interleaved rounds: 2 threads' run phase 1.19x
 * (0.84-1.36), load 0.99x; 1 worker thread 1.01x and 1.05x; 1000w, 5 rounds, 2 threads: load
 * 1.07x, run 1.03x.)
 */
function runClaimed(
  groups: Groups,
  claims: Int32Array,
  words: WordStore,
  reads: ReadReport,
  at: BatchState,
  bar: Progress,
): number {
  const { workload: w, expected, start: groupStart, readStart } = groups;
  const groupCount = groupStart.length - 1;
  const out = new Uint32Array(2);
  let done = 0;
  let untilUpdate = 1; // batches to the next progress update: 1, then BATCHES_PER_UPDATE
  for (;;) {
    const g = Atomics.add(claims, 0, 1);
    if (g >= groupCount) return done;
    at.read = readStart[g];
    const start = groupStart[g];
    const end = groupStart[g + 1];
    const before = done;
    done += end - start;
    for (let i = start; i < end; i += BATCH) {
      if (--untilUpdate === 0) {
        untilUpdate = BATCHES_PER_UPDATE;
        bar.update(before + i - start);
      }
      runBatch(words, w, expected, reads, out, at, i, Math.min(i + BATCH, end));
    }
  }
}

/** What runBatch carries from one call to the next. */
interface BatchState {
  /** Index in `expected` of the next READ's expectation. */
  read: number;
  /** Operations answered -1. */
  failed: number;
  /** XOR of the prefetch loads (see prefetchSink). */
  sink: number;
}

/**
 * Runs operations [from, to) of `w`, at most one prefetch batch, after touching their buckets
 * (PmEHash.prefetchWords). A function of its own rather than the body of the phase's loop: a
 * phase calls it every few operations, so a version V8 optimizes anew serves the very next call.
 * With the operations in the body of a loop that a phase ran in one call, the run phase's first
 * READ threw the optimized loop away (the load phase never read), and the phase went on
 * unoptimized while V8 compiled the whole loop twice over (--trace-opt: about 15 ms each, of a
 * 220w run phase of 85-135 ms). Measured on 220w, cold processes, against that loop: run phase
 * 1.07x and 1.10x on the main thread (two sets of 9 rounds), 1.10x on 1 worker thread and 1.15x
 * on 2; load phase 0.98-1.06x. Its arguments are positional, with no object to gather them:
 * nothing is allocated per call.
 */
function runBatch(
  words: WordStore,
  w: Workload,
  expected: ReadExpectations,
  reads: ReadReport,
  out: Uint32Array,
  at: BatchState,
  from: number,
  to: number,
): void {
  const { ops, keyLo, keyHi } = w;
  at.sink ^= words.prefetchWords(keyLo, keyHi, from, to);
  let r = at.read;
  let failed = 0;
  for (let i = from; i < to; i++) {
    const lo = keyLo[i] | 0; // as int32 bits: V8 keeps them in registers (see word-store.ts)
    const hi = keyHi[i] | 0;
    switch (ops[i]) {
      case OP_INSERT:
        if (words.insertWords(lo, hi, lo, hi) !== 0) failed++;
        break;
      case OP_READ: {
        const found = words.searchWords(lo, hi, out) === 0;
        judgeRead(
          reads,
          expected[r++],
          found,
          (out[0] | 0) === lo && (out[1] | 0) === hi,
          (out[0] | 0) === ~lo && (out[1] | 0) === ~hi,
        );
        break;
      }
      case OP_UPDATE:
        if (words.updateWords(lo, hi, ~lo, ~hi) !== 0) failed++;
        break;
      case OP_DELETE:
        if (words.removeWords(lo, hi) !== 0) failed++;
        break;
    }
  }
  at.read = r;
  at.failed += failed;
}

/**
 * Opens `dir` as a fresh store (of `bucketsPerPage` buckets a page file, or the default): an
 * existing store there is destroyed first, also one written by a build of another format
 * version. A damaged or foreign folder is still refused untouched.
 */
export function freshStore(dir: string, durability: Durability, bucketsPerPage?: number, logDir?: string): PmEHash {
  try {
    new PmEHash({ dir, durability, logDir }).selfDestory();
  } catch (err) {
    if (!(err instanceof PmEHashVersionError)) throw err;
    removeStoreFiles(new WrittenFiles(false), dir);
  }
  return new PmEHash({ dir, durability, bucketsPerPage, logDir });
}

/** Both workload files, parsed, with the READ expectations of each phase (before any clock). */
export interface PreparedWorkload {
  load: Workload;
  run: Workload;
  loadExpected: ReadExpectations;
  runExpected: ReadExpectations;
  parseSeconds: number;
}

export function prepareWorkload(options: YcsbOptions): PreparedWorkload {
  const parseStart = process.hrtime.bigint();
  const load = parseWorkloadFile(options.loadFile);
  const run = parseWorkloadFile(options.runFile);
  const parseSeconds = Number(process.hrtime.bigint() - parseStart) / 1e9;
  const table = new ExpectationTable(load.count + run.count);
  const loadExpected = table.replay(load);
  const runExpected = table.replay(run);
  return { load, run, loadExpected, runExpected, parseSeconds };
}

/** The report of a finished run on `store` (checked when the options ask for it). */
export function finishReport(
  options: YcsbOptions,
  store: PmEHash,
  prepared: PreparedWorkload,
  threads: number,
  phases: { load: PhaseReport; run: PhaseReport; reads: ReadReport },
  warmedUp?: WarmedUp,
): YcsbReport {
  const { load, run, parseSeconds } = prepared;
  const bytes = load.bytes + run.bytes;
  const report: YcsbReport = {
    files: { load: options.loadFile, run: options.runFile },
    dir: store.dir,
    durability: options.durability ?? 'process',
    threads,
    parse: { bytes, seconds: parseSeconds, mbPerSec: bytes / 1e6 / parseSeconds },
    ...phases,
    stats: store.stats(),
  };
  if (warmedUp) report.warmUp = warmedUp;
  if (options.check) report.problems = store.check();
  return report;
}

/** YcsbOptions.warmUp, checked: a non-negative integer (0 when absent). */
export function warmUpOps(n: number | undefined): number {
  if (n === undefined) return 0;
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`warmUp must be a non-negative integer, not ${n}`);
  return n;
}

/** The scratch store of a warm-up: beside the measured one, so on the same file system. */
export function warmUpDir(dir: string): string {
  return `${path.resolve(dir)}.warm-up`;
}

/**
 * What a warm-up runs: the first `n` operations of each phase. Its run phase meets the keys
 * loaded after the first n as absent, so that both ways of a READ and an UPDATE run (found and
 * not); its READs are not judged (discardedReads).
 */
export function warmUpWorkload(prepared: PreparedWorkload, n: number): PreparedWorkload {
  return { ...prepared, load: prefixOf(prepared.load, n), run: prefixOf(prepared.run, n) };
}

/** Where a warm-up's READ outcomes go: nowhere that is reported. */
export function discardedReads(): ReadReport {
  return { found: 0, missed: 0, mismatched: 0 };
}

/**
 * YcsbOptions.warmUp on the calling thread: both phases' first n operations on a scratch store
 * beside `dir`, which is removed afterwards, also when a phase fails. Returns what it ran.
 */
export function runWarmUp(prepared: PreparedWorkload, n: number, dir: string, durability: Durability): WarmedUp {
  const warm = warmUpWorkload(prepared, n);
  const scratch = freshStore(warmUpDir(dir), durability);
  let ran: WarmedUp;
  try {
    const reads = discardedReads();
    const load = runPhase(scratch, warm.load, warm.loadExpected, reads, 'warm-up load', false);
    const run = runPhase(scratch, warm.run, warm.runExpected, reads, 'warm-up run', false);
    ran = { load: load.ops, run: run.ops };
  } catch (err) {
    removeScratchQuietly(scratch);
    throw err;
  }
  removeScratch(scratch);
  return ran;
}

/** Destroys a warm-up's scratch store and removes its folder (when nothing else is left in it). */
export function removeScratch(scratch: PmEHash): void {
  scratch.selfDestory();
  try {
    fs.rmdirSync(scratch.dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw err;
  }
}

/** removeScratch on a path that is already failing: its own error would hide the first one. */
export function removeScratchQuietly(scratch: PmEHash): void {
  try {
    removeScratch(scratch);
  } catch {
    // The scratch folder stays; the error being thrown says why the run stopped.
  }
}

export function runYcsb(options: YcsbOptions): YcsbReport {
  const warmUp = warmUpOps(options.warmUp); // a bad size stops the run before anything is written
  const prepared = prepareWorkload(options);
  const store = freshStore(options.dir, options.durability ?? 'process', undefined, options.logDir); // first: a folder it refuses stops the run at once
  try {
    const { load, run, reads, warmedUp } = runBothPhases(store, prepared, options, warmUp);
    return finishReport(options, store, prepared, 1, { load, run, reads }, warmedUp);
  } finally {
    store.close();
  }
}

/** runYcsb's phases on `store`, after a warm-up of `warmUp` operations (warmUpOps) if any. */
function runBothPhases(store: PmEHash, prepared: PreparedWorkload, options: YcsbOptions, warmUp: number) {
  const durability = options.durability ?? 'process';
  const warmedUp = warmUp > 0 ? runWarmUp(prepared, warmUp, store.dir, durability) : undefined;
  const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
  const progress = options.progress ?? false;
  const load = runPhase(store, prepared.load, prepared.loadExpected, reads, 'load', progress);
  const run = runPhase(store, prepared.run, prepared.runExpected, reads, 'run', progress);
  return { load, run, reads, warmedUp };
}

/**
 * What a multi-threaded run compares itself with: the same workload on the calling thread
 * alone, on a scratch store beside options.dir, which is removed afterwards (also when a phase
 * fails). Returns its two phases.
 */
export function runOneThreadComparison(options: YcsbOptions): { load: PhaseReport; run: PhaseReport } {
  const warmUp = warmUpOps(options.warmUp);
  const prepared = prepareWorkload(options);
  const scratch = freshStore(`${path.resolve(options.dir)}.1-thread`, options.durability ?? 'process');
  let phases: { load: PhaseReport; run: PhaseReport };
  try {
    const { load, run } = runBothPhases(scratch, prepared, { ...options, progress: false }, warmUp);
    phases = { load, run };
  } catch (err) {
    removeScratchQuietly(scratch);
    throw err;
  }
  removeScratch(scratch);
  return phases;
}
