// One workload of `make report` in a process of its own, so that no workload inherits another's
// JIT state, heap or page cache: argv = workload name, load file, run file, scratch folder,
// timed runs, warm-up runs. Parses the files and works out the READ expectations once, then
// makes the warm-up runs and the timed runs, each on a fresh store, and prints one JSON line
// (a WorkloadRuns: every run's phases, reads, stats and check() result).

import type { Durability } from '../include-types/store';
import { ExpectationTable, type ReadExpectations } from '../src/ycsb/expectations';
import { parseWorkloadFile } from '../src/ycsb/parser';
import { freshStore, runPhase, type ReadReport } from '../src/ycsb/runner';
import type { Workload } from '../src/ycsb/workload';
import type { RunResult, WorkloadRuns } from './report-summary';

export const DURABILITY: Durability = 'process';

/** Set when node runs with --expose-gc (the parent passes it). */
export const collect = (globalThis as { gc?: () => void }).gc;

/** A parsed workload with its READ expectations, ready for unsharedRun. */
export interface Prepared {
  load: Workload;
  run: Workload;
  loadExpected: ReadExpectations;
  runExpected: ReadExpectations;
  parseSeconds: number;
}

export function prepare(loadFile: string, runFile: string): Prepared {
  const t = process.hrtime.bigint();
  const load = parseWorkloadFile(loadFile);
  const run = parseWorkloadFile(runFile);
  const parseSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  const table = new ExpectationTable(load.count + run.count);
  return { load, run, loadExpected: table.replay(load), runExpected: table.replay(run), parseSeconds };
}

/** One run of the unshared single-thread path on a fresh store in `dir`. */
export function unsharedRun(p: Prepared, dir: string): RunResult {
  const store = freshStore(dir, DURABILITY);
  try {
    // Each run starts on an empty young generation: the garbage of the run before (and of
    // parsing) is not collected inside this run's timed loops.
    collect?.();
    const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
    const l = runPhase(store, p.load, p.loadExpected, reads, 'load', false);
    const r = runPhase(store, p.run, p.runExpected, reads, 'run', false);
    return { load: l, run: r, reads, stats: store.stats(), problems: store.check() };
  } finally {
    store.close();
  }
}

function main(): void {
  const [workload, loadFile, runFile, dir, runsArg, warmupsArg] = process.argv.slice(2);
  const runs = Number(runsArg);
  const warmups = Number(warmupsArg);
  const p = prepare(loadFile, runFile);
  const once = (): RunResult => unsharedRun(p, dir);
  const out: WorkloadRuns = {
    workload,
    durability: DURABILITY,
    parse: { bytes: p.load.bytes + p.run.bytes, seconds: p.parseSeconds },
    warmups: Array.from({ length: warmups }, once),
    runs: Array.from({ length: runs }, once),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (require.main === module) main();
