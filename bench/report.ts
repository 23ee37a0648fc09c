// `make report`: the whole workload family, each workload in a fresh process (bench/report-worker.ts)
// that makes --warmups warm-up runs (default 1) and then --runs timed runs (default 5), each on a
// fresh store. Writes
// report/README.md (median, min and max per phase) and report/ops.svg (median bars, min-max
// whiskers, and how and where it was measured).
//   node dist/bench/report.js [--runs N] [--warmups N] [--out DIR]

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectDir } from '../src/files';
import { generateWorkload, loadFile, runFile } from '../src/ycsb/generator';
import { DEFAULT_SEED, WORKLOADS, type WorkloadSpec } from '../src/ycsb/workload-spec';
import { arg, fmt, machine, scratchDir, today } from './measure';
import {
  incorrect,
  reportMarkdown,
  summarize,
  throughputChart,
  type Figure,
  type ReportMeta,
  type WorkloadRuns,
} from './report-summary';
import { barChartSvg } from './svg-chart';

/** Runs one workload in a child process of its own; its stores go in `dir`. */
function runWorkload(spec: WorkloadSpec, wlDir: string, dir: string, runs: number, warmups: number): WorkloadRuns {
  const worker = path.join(__dirname, 'report-worker.js');
  const args = [spec.name, loadFile(wlDir, spec), runFile(wlDir, spec), dir, String(runs), String(warmups)];
  const r = spawnSync(process.execPath, ['--expose-gc', worker, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${spec.name} failed: ${r.stderr || r.signal}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** The report's charts. A later chart (threads, say) is one more entry. */
function figures(results: readonly WorkloadRuns[], meta: ReportMeta): Figure[] {
  return [{ file: 'ops.svg', alt: 'load and run OPS per workload', svg: barChartSvg(throughputChart(results, meta)) }];
}

/** A whole number of at least `min` after `--name`, else `fallback`. */
function count(name: string, fallback: number, min: number): number {
  const n = Number(arg(name) ?? fallback);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${name} must be a whole number of at least ${min}`);
  return n;
}

function main(): void {
  const runs = count('--runs', 5, 1);
  const warmups = count('--warmups', 1, 0);
  const root = projectDir();
  const outDir = path.resolve(arg('--out') ?? path.join(root, 'report'));
  const wlDir = path.join(root, 'workload');
  fs.mkdirSync(outDir, { recursive: true });
  const scratch = scratchDir('report');
  const results: WorkloadRuns[] = [];
  try {
    for (const spec of WORKLOADS) {
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
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const meta: ReportMeta = {
    date: today(),
    machine: machine(),
    node: process.version,
    durability: results[0].durability,
    runs,
    warmups,
  };
  const figs = figures(results, meta);
  for (const f of figs) fs.writeFileSync(path.join(outDir, f.file), f.svg);
  fs.writeFileSync(path.join(outDir, 'README.md'), reportMarkdown(results, meta, figs));
  process.stdout.write(
    `wrote ${[...figs.map((f) => f.file), 'README.md'].map((f) => path.join(outDir, f)).join(', ')}\n`,
  );
}

main();
