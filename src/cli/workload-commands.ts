// `pmehash workload` (generate the course's YCSB files) and `pmehash ycsb` (replay them).

import * as fs from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultFolders } from '../files';
import { generateWorkload, loadFile, runFile } from '../ycsb/generator';
import { formatReport, jsonReport } from '../ycsb/report';
import { runOneThreadComparison, runYcsb } from '../ycsb/runner';
import { runYcsbThreads } from '../ycsb/thread-runner';
import { MAX_THREADS } from '../shared-control';
import { writeOut } from './output';
import { DEFAULT_SEED, findWorkload, WORKLOADS, SCALE_WORKLOAD } from '../ycsb/workload-spec';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** --threads: 1 .. MAX_THREADS - 1 (the thread that opens the store keeps a slot). */
function threadCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n >= MAX_THREADS) {
    throw new InvalidArgumentError(`expected an integer from 1 to ${MAX_THREADS - 1}`);
  }
  return n;
}

function specNamed(name: string) {
  const spec = findWorkload(name);
  if (!spec) {
    throw new Error(`unknown workload ${name}; known: ${[...WORKLOADS, SCALE_WORKLOAD].map((w) => w.name).join(', ')}`);
  }
  return spec;
}

export function registerWorkloadCommands(program: Command): void {
  const defaultWorkloadDir = defaultFolders().workload;

  program
    .command('workload')
    .description('generate YCSB workload files (the course family by default)')
    .option('-n, --name <names...>', 'workloads to generate (default: the whole family)')
    .option('-o, --out <dir>', 'output folder', defaultWorkloadDir)
    .option('-s, --seed <n>', 'random seed of the run files', integer, DEFAULT_SEED)
    .option('-f, --force', 'rewrite files that exist', false)
    .action((opts: { name?: string[]; out: string; seed: number; force: boolean }) => {
      const specs = opts.name ? opts.name.map(specNamed) : WORKLOADS;
      for (const spec of specs) {
        for (const file of generateWorkload(opts.out, spec, opts.seed, opts.force)) writeOut(`wrote ${file}\n`);
      }
    });

  program
    .command('ycsb')
    .description('run a YCSB load + run workload on a fresh store and report OPS')
    .option('-w, --workload <name>', 'a workload of the family, generated into --workload-dir if missing')
    .option('--workload-dir <dir>', 'where named workloads live', defaultWorkloadDir)
    .option('-l, --load <file>', 'load-phase workload file')
    .option('-r, --run <file>', 'run-phase workload file')
    .option('-d, --dir <dir>', 'store folder (an existing store there is destroyed first)', defaultFolders().ycsbStore)
    .addOption(
      new Option('--durability <mode>', 'persistence guarantee').choices(['process', 'sync', 'log']).default('process'),
    )
    .option('--log-dir <dir>', "durability 'log': the log folder (default: log inside --dir)")
    .option('--check', 'run the full consistency check at the end', false)
    .option('--json', 'print one JSON object instead of the table', false)
    .option('-t, --threads <n>', 'worker threads sharing the store (1: the calling thread alone)', threadCount, 1)
    .option(
      '--warm-up <n>',
      'first run the first n operations of each phase on a scratch store, so that V8 has compiled the code before the clocks start (reported as such)',
      integer,
      0,
    )
    .action(
      async (opts: {
        workload?: string;
        workloadDir: string;
        load?: string;
        run?: string;
        dir: string;
        durability: 'process' | 'sync' | 'log';
        logDir?: string;
        check: boolean;
        json: boolean;
        threads: number;
        warmUp: number;
      }) => {
        let { load, run } = opts;
        if (opts.workload) {
          if (load || run) throw new Error('give either --workload or --load/--run, not both');
          const spec = specNamed(opts.workload);
          for (const file of generateWorkload(opts.workloadDir, spec, DEFAULT_SEED))
            process.stderr.write(`generated ${file}\n`);
          load = loadFile(opts.workloadDir, spec);
          run = runFile(opts.workloadDir, spec);
        }
        if (!load || !run) throw new Error('need --workload NAME, or both --load FILE and --run FILE');
        if (opts.durability === 'log' && opts.threads > 1)
          throw new Error('--durability log runs on one thread: worker threads cannot share a logged store yet');
        fs.mkdirSync(opts.dir, { recursive: true });
        const options = {
          loadFile: load,
          runFile: run,
          dir: opts.dir,
          durability: opts.durability,
          logDir: opts.logDir,
          check: opts.check,
          progress: !opts.json,
          warmUp: opts.warmUp,
        };
        let report;
        if (opts.threads > 1) {
          // The same workload on one thread first (a scratch store, removed after), for the speed-up.
          const oneThread = runOneThreadComparison(options);
          report = await runYcsbThreads({ ...options, threads: opts.threads });
          report.oneThread = oneThread;
        } else {
          report = runYcsb(options);
        }
        writeOut((opts.json ? jsonReport(report) : formatReport(report)) + '\n');
        const bad = report.reads.missed + report.reads.mismatched + (report.problems?.length ?? 0);
        if (bad > 0) process.exitCode = 1;
      },
    );
}
