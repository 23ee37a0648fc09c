// One run of the thread chart of `make report`, in a process of its own (as each contender of
// `make bench`), so that every configuration starts alike: no JIT state, heap or page cache of
// another run, and none of the unshared path's warm code that runYcsbThreads' new worker threads
// could not have. argv = load file, run file, scratch folder, worker threads (0: the unshared
// single-thread path). The unshared path parses the files and works out the READ expectations
// before its clocks, runYcsbThreads does the same and deals them to the threads; both check()
// the store at the end. Prints one JSON line, a ThreadRun.

import { runYcsbThreads } from '../src/ycsb/thread-runner';
import type { ThreadRun } from './report-summary';
import { collect, DURABILITY, prepare, unsharedRun } from './report-worker';

async function main(): Promise<void> {
  const [loadFile, runFile, dir, threadsArg] = process.argv.slice(2);
  const threads = Number(threadsArg);
  let out: ThreadRun;
  if (threads === 0) {
    const p = prepare(loadFile, runFile);
    out = { parse: { bytes: p.load.bytes + p.run.bytes, seconds: p.parseSeconds }, result: unsharedRun(p, dir) };
  } else {
    collect?.();
    const r = await runYcsbThreads({ loadFile, runFile, dir, durability: DURABILITY, threads, check: true });
    out = {
      parse: { bytes: r.parse.bytes, seconds: r.parse.seconds },
      result: { load: r.load, run: r.run, reads: r.reads, stats: r.stats, problems: r.problems ?? [] },
    };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
