// `make bench`: every contender on the same parsed workload, each run in a process of its own.
// The runs go in rounds: each round runs every contender once, in turn, so that a slow spell of
// this shared machine falls on all of them alike. Prints medians, min-max spreads and the ratios
// PmEHash / contender (worked out within each round, then medianed), and writes RESULTS.md.
//   node dist/bench/bench.js [--workload NAME | --load FILE --run FILE] [--runs N] [--only a,b] [--out FILE]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectDir } from '../src/files';
import { generateWorkload, loadFile, runFile } from '../src/ycsb/generator';
import { DEFAULT_SEED, findWorkload } from '../src/ycsb/workload-spec';
import { CONTENDERS, type ContenderName, type ContenderResult } from './contender';
import { arg, fmt, machine, measure, median, scratchDir, spread, today } from './measure';
import { C_COMPILERS, compileSameLayout, findCCompiler } from './same-layout';

const LABELS: Record<ContenderName, string> = {
  pmehash: 'PmEHash (durability process)',
  'c-same-layout': 'C with the same layout, no persistence (bench/same-layout.c)',
  'typed-table': 'typed-array open addressing (in memory)',
  'map-bigint': 'Map<bigint, bigint> (in memory)',
  'pmehash-sync': 'PmEHash (durability sync, first 20,000 ops of each phase)',
  'lmdb-per-phase': 'lmdb-js, one transaction per phase (noSync)',
  'lmdb-per-op': 'lmdb-js, one committed putSync per op (noSync)',
};

/** The contenders PmEHash is not compared with (itself, and its other durability). */
const UNRATIOED: ContenderName[] = ['pmehash', 'pmehash-sync'];

function main(): void {
  const runs = Number(arg('--runs') ?? 5);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a positive integer`);
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
  const only = arg('--only')?.split(',');
  const unknown = only?.filter((c) => !(CONTENDERS as readonly string[]).includes(c));
  if (unknown?.length) throw new Error(`unknown contender ${unknown.join(', ')} (known: ${CONTENDERS.join(', ')})`);
  let contenders = only ? [...new Set(only as ContenderName[])] : [...CONTENDERS];
  const notes: string[] = [];

  // The C contender is compiled once per bench run, or skipped (with a note) without a compiler.
  let sameLayoutBinary: string | undefined;
  if (contenders.includes('c-same-layout')) {
    const cc = findCCompiler();
    if (cc) {
      // Not dist/bench/same-layout: require('./same-layout') would load that file before same-layout.js.
      sameLayoutBinary = path.join(__dirname, 'c-same-layout');
      notes.push(`${LABELS['c-same-layout']}: compiled by \`${compileSameLayout(cc, sameLayoutBinary)}\`.`);
    } else {
      contenders = contenders.filter((c) => c !== 'c-same-layout');
      notes.push(`c-same-layout skipped: no C compiler on this machine (looked for ${C_COMPILERS.join(', ')}).`);
      process.stderr.write(notes[notes.length - 1] + '\n');
    }
  }

  const scratch = scratchDir('bench');
  /** results.get(c)[round] */
  const results = new Map<ContenderName, ContenderResult[]>(contenders.map((c) => [c, []]));
  try {
    for (let round = 0; round < runs; round++) {
      for (const c of contenders) {
        const r = measure(c, load, run, path.join(scratch, c), sameLayoutBinary);
        if (r.reads.missed + r.reads.mismatched > 0)
          throw new Error(`${c}: ${r.reads.missed} missed and ${r.reads.mismatched} mismatched reads`);
        results.get(c)!.push(r);
        process.stderr.write(
          `round ${round + 1}/${runs} ${c}: load ${fmt(r.load.opsPerSec)} ops/s, run ${fmt(r.run.opsPerSec)} ops/s\n`,
        );
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  const med = (c: ContenderName, f: (r: ContenderResult) => number | undefined): number =>
    median(results.get(c)!.map((r) => f(r) ?? NaN));
  const range = (c: ContenderName, f: (r: ContenderResult) => number): string => {
    const s = spread(results.get(c)!.map(f));
    return `${fmt(s.min)}-${fmt(s.max)}`;
  };
  /** PmEHash / c for one phase: the ratio of each round, then their median. */
  const ratio = (c: ContenderName, f: (r: ContenderResult) => number): number | undefined => {
    const base = results.get('pmehash');
    if (!base || UNRATIOED.includes(c)) return undefined;
    return median(results.get(c)!.map((r, round) => f(base[round]) / f(r)));
  };
  const x = (v: number | undefined): string => (v === undefined ? '' : `${v.toFixed(2)}x`);
  const loadOps = (r: ContenderResult): number => r.load.opsPerSec;
  const runOps = (r: ContenderResult): number => r.run.opsPerSec;
  const rows = contenders.map(
    (c) =>
      `| ${LABELS[c]} | ${fmt(med(c, loadOps))} | ${range(c, loadOps)} | ${fmt(med(c, runOps))} | ${range(c, runOps)} | ` +
      `${x(ratio(c, loadOps))} | ${x(ratio(c, runOps))} | ${fmt(med(c, (r) => r.peakRssMB))} |`,
  );
  const lines = [
    `Workload: \`${path.basename(load)}\` + \`${path.basename(run)}\`, ${runs} round${runs === 1 ? '' : 's'} (each runs every contender once, in this order); medians, and the slowest to the fastest run; ratios worked out within each round, then medianed. Every contender verified every READ (0 missed, 0 mismatched).`,
    '',
    '| contender | load ops/s | load min-max | run ops/s | run min-max | PmEHash / it (load) | PmEHash / it (run) | peak RSS MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ];
  const ceilingLoad = ratio('c-same-layout', loadOps);
  const ceilingRun = ratio('c-same-layout', runOps);
  if (ceilingLoad !== undefined && ceilingRun !== undefined) {
    lines.push(
      '',
      `PmEHash runs at ${(ceilingLoad * 100).toFixed(0)}% (load) and ${(ceilingRun * 100).toFixed(0)}% (run) of the same-layout ceiling on this machine: the C program with its files, hash, buckets, splits and prefetching, without persistence.`,
    );
  }
  if (results.has('pmehash')) {
    const reopen = med('pmehash', (r) => r.reopenSeconds);
    const bytes = med('pmehash', (r) => r.storeBytes);
    const keys = med('pmehash', (r) => r.keys);
    lines.push(
      '',
      `PmEHash: reopen (recover) ${reopen.toFixed(3)} s; store files ${(bytes / 1e6).toFixed(1)} MB = ${(bytes / (keys * 16)).toFixed(2)}x the raw 16 bytes of its ${fmt(keys)} pairs; workload parsing ${fmt(med('pmehash', (r) => r.parseMBps))} MB/s.`,
    );
  }
  if (notes.length) lines.push('', ...notes);
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
