// `make bench`: every contender on the same parsed workload, each in a process of its own,
// three runs each; prints medians and the ratios PmEHash / contender, and writes RESULTS.md.
//   node dist/bench/bench.js [--workload NAME | --load FILE --run FILE] [--runs N] [--out FILE]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectDir } from '../src/files';
import { generateWorkload, loadFile, runFile } from '../src/ycsb/generator';
import { DEFAULT_SEED, findWorkload } from '../src/ycsb/workload-spec';
import { CONTENDERS, type ContenderName, type ContenderResult } from './contender';
import { arg, fmt, machine, measure, median, scratchDir, today } from './measure';

const LABELS: Record<ContenderName, string> = {
  pmehash: 'PmEHash (durability process)',
  'pmehash-sync': 'PmEHash (durability sync, first 20,000 ops of each phase)',
  'lmdb-per-op': 'lmdb-js, one committed putSync per op (noSync)',
  'lmdb-per-phase': 'lmdb-js, one transaction per phase (noSync)',
  'map-bigint': 'Map<bigint, bigint> (in memory)',
  'typed-table': 'typed-array open addressing (in memory)',
};

function main(): void {
  const runs = Number(arg('--runs') ?? 3);
  let load = arg('--load');
  let run = arg('--run');
  const name = arg('--workload') ?? '220w-rw-50-50';
  if (!load || !run) {
    const spec = findWorkload(name);
    if (!spec) throw new Error(`unknown workload ${name}`);
    const dir = path.join(projectDir(), 'workload');
    generateWorkload(dir, spec, DEFAULT_SEED);
    load = loadFile(dir, spec);
    run = runFile(dir, spec);
  }
  const only = arg('--only')?.split(',') as ContenderName[] | undefined;
  const scratch = scratchDir('bench');
  const results = new Map<ContenderName, ContenderResult[]>();
  try {
    for (const c of only ?? CONTENDERS) {
      const rs: ContenderResult[] = [];
      for (let i = 0; i < runs; i++) {
        const r = measure(c, load, run, path.join(scratch, c));
        if (r.reads.missed + r.reads.mismatched > 0)
          throw new Error(`${c}: ${r.reads.missed} missed and ${r.reads.mismatched} mismatched reads`);
        rs.push(r);
        process.stderr.write(
          `${c} run ${i + 1}/${runs}: load ${fmt(r.load.opsPerSec)} ops/s, run ${fmt(r.run.opsPerSec)} ops/s\n`,
        );
      }
      results.set(c, rs);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  const med = (c: ContenderName, f: (r: ContenderResult) => number | undefined): number =>
    median(results.get(c)!.map((r) => f(r) ?? NaN));
  const base = results.has('pmehash')
    ? { load: med('pmehash', (r) => r.load.opsPerSec), run: med('pmehash', (r) => r.run.opsPerSec) }
    : undefined;
  const rows = [...results.keys()].map((c) => {
    const l = med(c, (r) => r.load.opsPerSec);
    const r = med(c, (x) => x.run.opsPerSec);
    const ratio = (mine: number | undefined, theirs: number) =>
      mine && c !== 'pmehash' && c !== 'pmehash-sync' ? `${(mine / theirs).toFixed(2)}x` : '';
    return `| ${LABELS[c]} | ${fmt(l)} | ${fmt(r)} | ${ratio(base?.load, l)} | ${ratio(base?.run, r)} | ${fmt(med(c, (x) => x.peakRssMB))} |`;
  });
  const lines = [
    `Workload: \`${path.basename(load)}\` + \`${path.basename(run)}\`, ${runs} runs each, medians; every contender verified every READ (0 missed, 0 mismatched).`,
    '',
    '| contender | load ops/s | run ops/s | PmEHash / it (load) | PmEHash / it (run) | peak RSS MB |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
  ];
  if (results.has('pmehash')) {
    const reopen = med('pmehash', (r) => r.reopenSeconds);
    const bytes = med('pmehash', (r) => r.storeBytes);
    const keys = med('pmehash', (r) => r.keys);
    lines.push(
      '',
      `PmEHash: reopen (recover) ${reopen.toFixed(3)} s; store files ${(bytes / 1e6).toFixed(1)} MB = ${(bytes / (keys * 16)).toFixed(2)}x the raw 16 bytes of its ${fmt(keys)} pairs; workload parsing ${fmt(med('pmehash', (r) => r.parseMBps))} MB/s.`,
    );
  }
  lines.push(
    '',
    `Stores in ${path.dirname(scratch)}${scratch.startsWith('/dev/shm') ? ' (tmpfs: msync there costs only the system call)' : ''}. Machine: ${machine()}. Date: ${today()}.`,
  );
  const table = lines.join('\n');
  process.stdout.write(table + '\n');
  const out = arg('--out');
  if (out) {
    fs.writeFileSync(out, `# Benchmark results\n\nWritten by \`make bench\` from a real run.\n\n${table}\n`);
    process.stderr.write(`wrote ${out}\n`);
  }
}

main();
