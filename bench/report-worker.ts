// One workload of `make report` in a process of its own, so that no workload inherits another's
// JIT state, heap or page cache: argv = workload name, load file, run file, scratch folder,
// timed runs, warm-up runs. Parses the files and works out the READ expectations once, then
// makes the warm-up runs and the timed runs, each on a fresh store, and prints one JSON line
// (a WorkloadRuns: every run's phases, reads, stats and check() result).

import type { Durability } from '../include-types/store';
import { ExpectationTable } from '../src/ycsb/expectations';
import { parseWorkloadFile } from '../src/ycsb/parser';
import { freshStore, runPhase, type ReadReport } from '../src/ycsb/runner';
import type { RunResult, WorkloadRuns } from './report-summary';

const DURABILITY: Durability = 'process';

/** Set when node runs with --expose-gc (the parent passes it). */
const collect = (globalThis as { gc?: () => void }).gc;

function main(): void {
  const [workload, loadFile, runFile, dir, runsArg, warmupsArg] = process.argv.slice(2);
  const runs = Number(runsArg);
  const warmups = Number(warmupsArg);
  const t = process.hrtime.bigint();
  const load = parseWorkloadFile(loadFile);
  const run = parseWorkloadFile(runFile);
  const parseSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  const table = new ExpectationTable(load.count + run.count);
  const loadExpected = table.replay(load);
  const runExpected = table.replay(run);

  const once = (): RunResult => {
    const store = freshStore(dir, DURABILITY);
    try {
      // Each run starts on an empty young generation: the garbage of the run before (and of
      // parsing) is not collected inside this run's timed loops.
      collect?.();
      const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
      const l = runPhase(store, load, loadExpected, reads, 'load', false);
      const r = runPhase(store, run, runExpected, reads, 'run', false);
      return { load: l, run: r, reads, stats: store.stats(), problems: store.check() };
    } finally {
      store.close();
    }
  };
  const out: WorkloadRuns = {
    workload,
    durability: DURABILITY,
    parse: { bytes: load.bytes + run.bytes, seconds: parseSeconds },
    warmups: Array.from({ length: warmups }, once),
    runs: Array.from({ length: runs }, once),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

main();
