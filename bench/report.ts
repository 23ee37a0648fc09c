// `make report`: runs the whole workload family on fresh stores and writes report/README.md (a
// table per workload) and report/ops.svg (load and run OPS per workload).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectDir } from '../src/files';
import { generateWorkload, loadFile, runFile } from '../src/ycsb/generator';
import { OP_NAMES } from '../src/ycsb/workload';
import { runYcsb, type PhaseReport, type YcsbReport } from '../src/ycsb/runner';
import { DEFAULT_SEED, WORKLOADS } from '../src/ycsb/workload-spec';
import { fmt as int, machine, scratchDir, today } from './measure';
import { barChartSvg } from './svg-chart';

function mix(p: PhaseReport): string {
  return OP_NAMES.filter((op) => p.mix[op] > 0)
    .map((op) => `${op} ${int(p.mix[op])} (${((100 * p.mix[op]) / p.ops).toFixed(1)}%)`)
    .join(', ');
}

function section(name: string, r: YcsbReport): string {
  const s = r.stats;
  return [
    `## ${name}`,
    '',
    '| phase | operations | seconds | ops/s | mix |',
    '|---|---:|---:|---:|---|',
    `| load | ${int(r.load.ops)} | ${r.load.seconds.toFixed(3)} | ${int(r.load.opsPerSec)} | ${mix(r.load)} |`,
    `| run | ${int(r.run.ops)} | ${r.run.seconds.toFixed(3)} | ${int(r.run.opsPerSec)} | ${mix(r.run)} |`,
    '',
    `Reads: ${int(r.reads.found)} returned the expected value, ${int(r.reads.missed)} missed, ${int(r.reads.mismatched)} mismatched. ` +
      `Store: global depth ${s.globalDepth}, ${int(s.buckets)} buckets in ${int(s.pageFiles)} page files, ${int(s.keys)} keys, load factor ${s.loadFactor.toFixed(3)}; ` +
      `check(): ${r.problems?.length === 0 ? 'consistent' : `${r.problems?.length} problems`}.`,
    '',
  ].join('\n');
}

function main(): void {
  const root = projectDir();
  const outDir = path.join(root, 'report');
  const wlDir = path.join(root, 'workload');
  fs.mkdirSync(outDir, { recursive: true });
  const storeDir = scratchDir('report');
  const results: Array<[string, YcsbReport]> = [];
  try {
    for (const spec of WORKLOADS) {
      generateWorkload(wlDir, spec, DEFAULT_SEED);
      const r = runYcsb({ loadFile: loadFile(wlDir, spec), runFile: runFile(wlDir, spec), dir: storeDir, check: true });
      if (r.reads.missed + r.reads.mismatched + (r.problems?.length ?? 0) > 0)
        throw new Error(`${spec.name}: incorrect results`);
      results.push([spec.name, r]);
      process.stderr.write(`${spec.name}: load ${int(r.load.opsPerSec)} ops/s, run ${int(r.run.opsPerSec)} ops/s\n`);
    }
  } finally {
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
  const labels = results.map(([n]) => n);
  fs.writeFileSync(
    path.join(outDir, 'ops.svg'),
    barChartSvg({
      title: 'PmEHash YCSB throughput per workload',
      unit: 'operations per second',
      labels,
      series: [
        { name: 'load phase', color: '#4878a8', points: results.map(([, r]) => ({ value: r.load.opsPerSec })) },
        { name: 'run phase', color: '#e0883a', points: results.map(([, r]) => ({ value: r.run.opsPerSec })) },
      ],
    }),
  );
  const summary = [
    '| workload | load ops/s | run ops/s | run mix | read misses |',
    '|---|---:|---:|---|---:|',
    ...results.map(
      ([n, r]) =>
        `| ${n} | ${int(r.load.opsPerSec)} | ${int(r.run.opsPerSec)} | ${mix(r.run)} | ${int(r.reads.missed + r.reads.mismatched)} |`,
    ),
  ].join('\n');
  const text = [
    '# PmEHash YCSB report',
    '',
    `Written by \`make report\` from a real run on ${today()}. Machine: ${machine()}. ` +
      'Each workload ran once on a fresh store in tmpfs (`/dev/shm`), durability `process`; parsing is not counted in the phase times.',
    '',
    '![load and run OPS per workload](ops.svg)',
    '',
    summary,
    '',
    ...results.map(([n, r]) => section(n, r)),
  ].join('\n');
  fs.writeFileSync(path.join(outDir, 'README.md'), text);
  process.stdout.write(`wrote ${path.join(outDir, 'README.md')} and ${path.join(outDir, 'ops.svg')}\n`);
}

main();
