// `make report`: the whole workload family, each workload in a fresh process (bench/report-worker.ts)
// that makes --warmups warm-up runs (default 1) and then --runs timed runs (default 5), each on a
// fresh store; then the thread scaling of --thread-workloads (default 220w): as many warm-up and
// timed rounds, each running the unshared single thread, 1 and 2 worker threads once, each run
// in a fresh process (bench/report-threads-worker.ts) on a fresh store. Writes report/README.md
// (median, min and max per phase, speed-ups worked out per round), report/ops.svg and
// report/threads.svg (median bars, min-max whiskers, and how and where it was measured).
//   node dist/bench/report.js [--runs N] [--warmups N] [--workloads a,b] [--thread-workloads a,b | none] [--out DIR]

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectDir } from '../src/files';
import { generateWorkload, loadFile, runFile } from '../src/ycsb/generator';
import { DEFAULT_SEED, findWorkload, WORKLOADS, type WorkloadSpec } from '../src/ycsb/workload-spec';
import { arg, fmt, machine, scratchDir, today } from './measure';
import {
  incorrect,
  reportMarkdown,
  summarize,
  threadScalingChart,
  threadSpeedups,
  threadsName,
  throughputChart,
  type Figure,
  type ReportMeta,
  type ThreadRun,
  type ThreadScaling,
  type WorkloadRuns,
} from './report-summary';
import { DURABILITY } from './report-worker';
import { barChartSvg } from './svg-chart';

/** The worker-thread counts of the thread chart (besides the unshared single thread). */
const THREAD_COUNTS = [1, 2];
/**
 * The thread chart's workloads by default: 220w only. The 1000w scale workload would add about
 * two minutes of runs (and its generation when missing) to a report of about a minute;
 * `--thread-workloads 220w-rw-50-50,1000w-rw-50-50` adds it.
 */
const DEFAULT_THREAD_WORKLOADS = ['220w-rw-50-50'];

/** Runs `worker` with `args` in a child process of its own and parses its one JSON line. */
function child<T>(what: string, worker: string, args: string[]): T {
  const file = path.join(__dirname, worker);
  const r = spawnSync(process.execPath, ['--expose-gc', file, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr || r.signal}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

/** Runs one workload in a child process of its own; its stores go in `dir`. */
function runWorkload(spec: WorkloadSpec, wlDir: string, dir: string, runs: number, warmups: number): WorkloadRuns {
  const args = [spec.name, loadFile(wlDir, spec), runFile(wlDir, spec), dir, String(runs), String(warmups)];
  return child(spec.name, 'report-worker.js', args);
}

/**
 * The thread scaling of one workload: warm-up and timed rounds, each running every configuration
 * (the unshared path, then THREAD_COUNTS) once, each run in a child process of its own.
 */
function runThreads(spec: WorkloadSpec, wlDir: string, dir: string, runs: number, warmups: number): ThreadScaling {
  const files = [loadFile(wlDir, spec), runFile(wlDir, spec)];
  const configs: WorkloadRuns[] = [0, ...THREAD_COUNTS].map((threads) => ({
    workload: spec.name,
    durability: DURABILITY,
    threads,
    parse: { bytes: 0, seconds: 0 },
    warmups: [],
    runs: [],
  }));
  for (let round = 0; round < warmups + runs; round++) {
    for (const c of configs) {
      const what = `${spec.name} ${threadsName(c.threads)} round ${round + 1}`;
      const r = child<ThreadRun>(what, 'report-threads-worker.js', [...files, dir, String(c.threads)]);
      c.parse = r.parse;
      (round < warmups ? c.warmups : c.runs).push(r.result);
    }
  }
  return { workload: spec.name, configs };
}

/** The report's charts: the family's throughput, and the thread scaling when there is one. */
function figures(results: readonly WorkloadRuns[], threads: readonly ThreadScaling[], meta: ReportMeta): Figure[] {
  return [
    ...(results.length
      ? [{ file: 'ops.svg', alt: 'load and run OPS per workload', svg: barChartSvg(throughputChart(results, meta)) }]
      : []),
    ...(threads.length
      ? [
          {
            file: 'threads.svg',
            alt: 'load and run OPS of the unshared single thread, 1 and 2 worker threads',
            svg: barChartSvg(threadScalingChart(threads, meta)),
          },
        ]
      : []),
  ];
}

/** A whole number of at least `min` after `--name`, else `fallback`. */
function count(name: string, fallback: number, min: number): number {
  const n = Number(arg(name) ?? fallback);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${name} must be a whole number of at least ${min}`);
  return n;
}

/** The workloads named after `--name` (comma-separated; `none` or empty: none), else `fallback`. */
function workloads(name: string, fallback: readonly WorkloadSpec[]): WorkloadSpec[] {
  const value = arg(name);
  if (value === undefined) return [...fallback];
  if (value === '' || value === 'none') return [];
  return value.split(',').map((n) => {
    const spec = findWorkload(n);
    if (!spec) throw new RangeError(`${name}: unknown workload ${n}`);
    return spec;
  });
}

function main(): void {
  const runs = count('--runs', 5, 1);
  const warmups = count('--warmups', 1, 0);
  const family = workloads('--workloads', WORKLOADS);
  const threadSpecs = workloads(
    '--thread-workloads',
    DEFAULT_THREAD_WORKLOADS.map((n) => findWorkload(n)!),
  );
  if (family.length + threadSpecs.length === 0) throw new RangeError('nothing to report: no workloads');
  const root = projectDir();
  const outDir = path.resolve(arg('--out') ?? path.join(root, 'report'));
  const wlDir = path.join(root, 'workload');
  fs.mkdirSync(outDir, { recursive: true });
  const scratch = scratchDir('report');
  const results: WorkloadRuns[] = [];
  const threads: ThreadScaling[] = [];
  try {
    for (const spec of family) {
      generateWorkload(wlDir, spec, DEFAULT_SEED);
      const w = runWorkload(spec, wlDir, path.join(scratch, spec.name), runs, warmups);
      const wrong = incorrect(w);
      if (wrong.length > 0) throw new Error(`incorrect results:\n${wrong.join('\n')}`);
      results.push(w);
      const s = summarize(w);
      process.stderr.write(
        `${spec.name}: load ${fmt(s.load.opsPerSec.median)} ops/s (${fmt(s.load.opsPerSec.min)}-${fmt(s.load.opsPerSec.max)}), ` +
          `run ${fmt(s.run.opsPerSec.median)} ops/s (${fmt(s.run.opsPerSec.min)}-${fmt(s.run.opsPerSec.max)}), ${runs} runs\n`,
      );
    }
    for (const spec of threadSpecs) {
      generateWorkload(wlDir, spec, DEFAULT_SEED);
      const t = runThreads(spec, wlDir, path.join(scratch, `${spec.name}-threads`), runs, warmups);
      const wrong = t.configs.flatMap(incorrect);
      if (wrong.length > 0) throw new Error(`incorrect results:\n${wrong.join('\n')}`);
      threads.push(t);
      for (const r of threadSpeedups(t))
        process.stderr.write(
          `${spec.name} ${r.label}: load ${r.load.median.toFixed(2)}x, run ${r.run.median.toFixed(2)}x (${runs} rounds)\n`,
        );
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const meta: ReportMeta = {
    date: today(),
    machine: machine(),
    node: process.version,
    durability: (results[0] ?? threads[0].configs[0]).durability,
    runs,
    warmups,
  };
  const figs = figures(results, threads, meta);
  for (const f of figs) fs.writeFileSync(path.join(outDir, f.file), f.svg);
  fs.writeFileSync(path.join(outDir, 'README.md'), reportMarkdown(results, meta, figs, threads));
  process.stdout.write(
    `wrote ${[...figs.map((f) => f.file), 'README.md'].map((f) => path.join(outDir, f)).join(', ')}\n`,
  );
}

main();
