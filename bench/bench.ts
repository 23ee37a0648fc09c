// `make bench`: every contender on the same parsed workload, each run in a process of its own.
// The runs go in rounds: each round runs every contender once, in turn, so that a slow spell of
// this shared machine falls on all of them alike. Prints medians, min-max spreads and the ratios
// PmEHash / contender (worked out within each round, then medianed), and writes RESULTS.md.
// Then a second, smaller section on the scale workload (1000w, generated into workload/ when
// missing) with only PmEHash unshared, on 1 and on 2 worker threads, and the machine's reference
// (2 threads on stores of their own, bench/independent-stores.ts); both sections give the
// thread speed-ups per round, and RESULTS.md ends with which thread targets the run met.
//   node dist/bench/bench.js [--workload NAME | --load FILE --run FILE] [--runs N] [--only a,b]
//                            [--scale-workload NAME | --no-scale] [--out FILE]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectDir } from '../src/files';
import { generateWorkload, loadFile, runFile } from '../src/ycsb/generator';
import { DEFAULT_SEED, findWorkload, SCALE_WORKLOAD } from '../src/ycsb/workload-spec';
import { speedup, speedupTable, targetsSentence, type PhaseOps, type ThreadSpeedups } from './bench-summary';
import { CONTENDERS, LOG_BATCH, WARM_UP, type ContenderName, type ContenderResult } from './contender';
import { arg, fmt, machine, measure, median, scratchDir, spread, today } from './measure';
import { C_COMPILERS, compileSameLayout, findCCompiler } from './same-layout';

const LABELS: Record<ContenderName, string> = {
  pmehash: 'PmEHash (durability process)',
  'pmehash-threads-1': 'PmEHash, 1 worker thread on a shared store',
  'pmehash-threads-2': 'PmEHash, 2 worker threads on a shared store',
  'independent-2': 'PmEHash, 2 worker threads, each on a store of its own (nothing shared)',
  'pmehash-warm': 'PmEHash (durability process), after a warm-up',
  'pmehash-threads-1-warm': 'PmEHash, 1 worker thread on a shared store, after a warm-up',
  'pmehash-threads-2-warm': 'PmEHash, 2 worker threads on a shared store, after a warm-up',
  'c-same-layout': 'C with the same layout, no persistence (bench/same-layout.c)',
  'js-same-layout': 'JavaScript with the same layout, no persistence (bench/js-same-layout.ts)',
  'typed-table': 'typed-array open addressing (in memory)',
  'map-bigint': 'Map<bigint, bigint> (in memory)',
  'pmehash-sync': 'PmEHash (durability sync, first 20,000 ops of each phase)',
  'lmdb-per-phase': 'lmdb-js, one transaction per phase (noSync)',
  'lmdb-per-op': 'lmdb-js, one committed putSync per op (noSync)',
  'pmehash-log': "PmEHash (durability log, the log on the project's disk)",
  'pmehash-log-batch': `PmEHash (durability log), the load as batches of ${LOG_BATCH.toLocaleString('en-US')}, each followed by flush()`,
  'lmdb-async': "lmdb-js, its default durable async commits (on the project's disk)",
  'pmehash-file': 'PmEHash (durability process) on the written backend, without mmap-io (src/written-files.ts)',
};

/** The contenders PmEHash is not compared with in the table: itself, its other durability, its threads (they get speed-ups). */
const UNRATIOED: ContenderName[] = [
  'pmehash',
  'pmehash-sync',
  'pmehash-threads-1',
  'pmehash-threads-2',
  'independent-2',
  'pmehash-warm',
  'pmehash-threads-1-warm',
  'pmehash-threads-2-warm',
  'pmehash-log',
  'pmehash-log-batch',
  'pmehash-file',
];

/** The contenders of the scale section. */
const SCALE_CONTENDERS: ContenderName[] = ['pmehash', 'pmehash-threads-1', 'pmehash-threads-2', 'independent-2'];

/** results.get(c)[round] */
type Results = Map<ContenderName, ContenderResult[]>;

interface Files {
  workload: string;
  load: string;
  run: string;
}

/** The files of a named workload, generated into workload/ when missing. */
function workloadFiles(name: string): Files {
  const spec = findWorkload(name);
  if (!spec) throw new Error(`unknown workload ${name}`);
  const dir = path.join(projectDir(), 'workload');
  generateWorkload(dir, spec, DEFAULT_SEED);
  return { workload: name, load: loadFile(dir, spec), run: runFile(dir, spec) };
}

/** `runs` rounds, each running every contender once in turn, on fresh stores under `scratch`. */
function runRounds(
  files: Files,
  contenders: readonly ContenderName[],
  runs: number,
  scratch: string,
  sameLayoutBinary: string | undefined,
): Results {
  const results: Results = new Map(contenders.map((c) => [c, []]));
  for (let round = 0; round < runs; round++) {
    for (const c of contenders) {
      const r = measure(c, files.load, files.run, path.join(scratch, c), sameLayoutBinary);
      if (r.reads.missed + r.reads.mismatched > 0)
        throw new Error(`${c}: ${r.reads.missed} missed and ${r.reads.mismatched} mismatched reads`);
      results.get(c)!.push(r);
      process.stderr.write(
        `${files.workload} round ${round + 1}/${runs} ${c}: load ${fmt(r.load.opsPerSec)} ops/s, run ${fmt(r.run.opsPerSec)} ops/s\n`,
      );
    }
  }
  return results;
}

const loadOps = (r: ContenderResult): number => r.load.opsPerSec;
const runOps = (r: ContenderResult): number => r.run.opsPerSec;
const phaseOps = (rs: readonly ContenderResult[]): PhaseOps => ({ load: rs.map(loadOps), run: rs.map(runOps) });

/** The contender table of one section, with PmEHash / contender per round, then medianed. */
function contenderTable(results: Results, files: Files, runs: number): string[] {
  const contenders = [...results.keys()];
  const med = (c: ContenderName, f: (r: ContenderResult) => number | undefined): number =>
    median(results.get(c)!.map((r) => f(r) ?? NaN));
  const range = (c: ContenderName, f: (r: ContenderResult) => number): string => {
    const s = spread(results.get(c)!.map(f));
    return `${fmt(s.min)}-${fmt(s.max)}`;
  };
  /** a / b for one phase: the ratio of each round (every round runs every contender), then their median. */
  const roundRatio = (a: ContenderResult[], b: ContenderResult[], f: (r: ContenderResult) => number): number =>
    median(a.map((r, round) => f(r) / f(b[round])));
  /** PmEHash / c for one phase; undefined without both. */
  const ratio = (c: ContenderName, f: (r: ContenderResult) => number): number | undefined => {
    const base = results.get('pmehash');
    const other = results.get(c);
    if (!base || !other || UNRATIOED.includes(c)) return undefined;
    return roundRatio(base, other, f);
  };
  const x = (v: number | undefined): string => (v === undefined ? '' : `${v.toFixed(2)}x`);
  const rows = contenders.map(
    (c) =>
      `| ${LABELS[c]} | ${fmt(med(c, loadOps))} | ${range(c, loadOps)} | ${fmt(med(c, runOps))} | ${range(c, runOps)} | ` +
      `${x(ratio(c, loadOps))} | ${x(ratio(c, runOps))} | ${fmt(med(c, (r) => r.peakRssMB))} |`,
  );
  const lines = [
    `Workload: \`${path.basename(files.load)}\` + \`${path.basename(files.run)}\`, ${runs} round${runs === 1 ? '' : 's'} (each runs every contender once, in this order); medians, and the slowest to the fastest run; ratios worked out within each round, then medianed. Every contender verified every READ (0 missed, 0 mismatched).`,
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
    const warm = results.get('pmehash-warm');
    const c = results.get('c-same-layout')!;
    if (warm) {
      const warmRatio = (f: (r: ContenderResult) => number): string => (roundRatio(warm, c, f) * 100).toFixed(0);
      lines.push(
        '',
        `After a warm-up (the first ${fmt(WARM_UP)} operations of each phase on a scratch store, so that V8 has compiled the code before the clocks), PmEHash runs at ${warmRatio(loadOps)}% (load) and ${warmRatio(runOps)}% (run) of it.`,
      );
    }
  }
  const jsLoad = ratio('js-same-layout', loadOps);
  const jsRun = ratio('js-same-layout', runOps);
  if (jsLoad !== undefined && jsRun !== undefined) {
    const js = results.get('js-same-layout')!;
    const c = results.get('c-same-layout');
    const ofC = (f: (r: ContenderResult) => number): string => (roundRatio(js, c!, f) * 100).toFixed(0);
    lines.push(
      '',
      `PmEHash runs at ${(jsLoad * 100).toFixed(0)}% (load) and ${(jsRun * 100).toFixed(0)}% (run) of the same layout in JavaScript without persistence (bench/js-same-layout.ts: the C program's store in TypeScript, with PmEHash's hash, probe and prefetch, but no persist points, log records or free list)` +
        (c ? `, which itself runs at ${ofC(loadOps)}% (load) and ${ofC(runOps)}% (run) of the C program.` : '.'),
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
  return lines;
}

/** Durability 'log' against its targets (issue 27): medians of per-round ratios. */
function logSection(results: Results): string[] {
  const log = results.get('pmehash-log');
  const batch = results.get('pmehash-log-batch');
  const base = results.get('pmehash');
  const lmdb = results.get('lmdb-async');
  const lines: string[] = [];
  const ratio = (a: ContenderResult[], b: ContenderResult[], f: (r: ContenderResult) => number): number =>
    median(a.map((r, round) => f(r) / f(b[round])));
  const range = (a: ContenderResult[], b: ContenderResult[], f: (r: ContenderResult) => number): string => {
    const s = spread(a.map((r, round) => f(r) / f(b[round])));
    return `${s.min.toFixed(2)}-${s.max.toFixed(2)}`;
  };
  const row = (
    label: string,
    a: ContenderResult[],
    b: ContenderResult[],
    phases: Array<'load' | 'run'>,
    bar: number,
  ) => {
    for (const p of phases) {
      const f = p === 'load' ? loadOps : runOps;
      const v = ratio(a, b, f);
      lines.push(
        `| ${label}, ${p} | ${v.toFixed(2)}x | ${range(a, b, f)} | ${bar}x | ${v >= bar ? 'met' : 'not met'} |`,
      );
    }
  };
  if (log && base) row('log / process', log, base, ['load', 'run'], 0.7);
  if (log && lmdb) row('log / lmdb-js async', log, lmdb, ['load', 'run'], 5);
  if (batch && lmdb) row(`log, batches of ${fmt(LOG_BATCH)} + flush() / lmdb-js async`, batch, lmdb, ['load'], 5);
  if (lines.length === 0 && !batch) return [];
  const out = [
    '',
    "## Durability 'log'",
    '',
    '| ratio (medians of per-round ratios) | median | range | target | |',
    '|---|---:|---:|---:|---|',
    ...lines,
  ];
  if (batch) {
    const ops = median(batch.map(loadOps));
    out.push(
      '',
      `Batches of ${fmt(LOG_BATCH)} operations, each followed by flush(), on the load: ${fmt(ops)} ops/s (target 1,000,000: ${ops >= 1e6 ? 'met' : 'not met'}).`,
    );
  }
  return out;
}

/** The thread speed-ups of one section (those whose contenders ran), as a table and as numbers. */
function threadSection(results: Results, files: Files, runs: number): { lines: string[]; speedups: ThreadSpeedups } {
  const ops = (c: ContenderName): PhaseOps | undefined => {
    const rs = results.get(c);
    return rs ? phaseOps(rs) : undefined;
  };
  const two = ops('pmehash-threads-2');
  const one = ops('pmehash-threads-1');
  const unshared = ops('pmehash');
  const typed = ops('typed-table');
  const independent = ops('independent-2');
  const twoWarm = ops('pmehash-threads-2-warm');
  const oneWarm = ops('pmehash-threads-1-warm');
  const unsharedWarm = ops('pmehash-warm');
  const speedups: ThreadSpeedups = {
    workload: files.workload,
    rounds: runs,
    overOne: two && one ? speedup(two, one) : undefined,
    overUnshared: two && unshared ? speedup(two, unshared) : undefined,
    oneOverUnshared: one && unshared ? speedup(one, unshared) : undefined,
    overReference: two && independent ? speedup(two, independent) : undefined,
    warmOverOne: twoWarm && oneWarm ? speedup(twoWarm, oneWarm) : undefined,
  };
  const rows = [
    { label: '2 worker threads / 1 worker thread', speedup: speedups.overOne },
    { label: '2 worker threads / unshared single thread', speedup: speedups.overUnshared },
    { label: '1 worker thread / unshared single thread', speedup: speedups.oneOverUnshared },
    {
      label: '2 worker threads / typed-array table (in memory)',
      speedup: two && typed ? speedup(two, typed) : undefined,
    },
    {
      label: 'reference: 2 threads on stores of their own / unshared single thread',
      speedup: independent && unshared ? speedup(independent, unshared) : undefined,
    },
    { label: '2 worker threads on the shared store / 2 on stores of their own', speedup: speedups.overReference },
    { label: 'after a warm-up: 2 worker threads / 1 worker thread', speedup: speedups.warmOverOne },
    {
      label: 'after a warm-up: 1 worker thread / unshared single thread (also warmed)',
      speedup: oneWarm && unsharedWarm ? speedup(oneWarm, unsharedWarm) : undefined,
    },
    {
      label: 'after a warm-up: 2 worker threads / typed-array table (in memory)',
      speedup: twoWarm && typed ? speedup(twoWarm, typed) : undefined,
    },
  ].filter((r): r is { label: string; speedup: NonNullable<typeof r.speedup> } => r.speedup !== undefined);
  if (rows.length === 0) return { lines: [], speedups };
  const lines = ['', speedupTable(rows)];
  const last = results.get('pmehash-threads-2')?.at(-1);
  if (last?.load.perThread && last.run.perThread)
    lines.push(
      '',
      `The 2 worker threads' shares (last round): load ${last.load.perThread.map(fmt).join(' + ')}, run ${last.run.perThread.map(fmt).join(' + ')} operations; a phase lasts until the last thread finishes.`,
    );
  return { lines, speedups };
}

function main(): void {
  const runs = Number(arg('--runs') ?? 5);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a positive integer`);
  let files: Files;
  const loadArg = arg('--load');
  const runArg = arg('--run');
  if (loadArg && runArg)
    files = { workload: path.basename(loadArg).replace(/-load\.txt$/, ''), load: loadArg, run: runArg };
  else files = workloadFiles(arg('--workload') ?? '220w-rw-50-50');
  const only = arg('--only')?.split(',');
  const unknown = only?.filter((c) => !(CONTENDERS as readonly string[]).includes(c));
  if (unknown?.length) throw new Error(`unknown contender ${unknown.join(', ')} (known: ${CONTENDERS.join(', ')})`);
  let contenders = only ? [...new Set(only as ContenderName[])] : [...CONTENDERS];
  const notes: string[] = [];

  // The scale section: on unless --no-scale; its contenders are those of SCALE_CONTENDERS that --only keeps.
  const scaleName = process.argv.includes('--no-scale') ? undefined : (arg('--scale-workload') ?? SCALE_WORKLOAD.name);
  const scaleContenders = SCALE_CONTENDERS.filter((c) => contenders.includes(c));
  let scaleFiles: Files | undefined;
  if (scaleName && scaleContenders.length === 0)
    notes.push(`No ${scaleName} section: --only names none of ${SCALE_CONTENDERS.join(', ')}.`);
  else if (scaleName) {
    process.stderr.write(`${scaleName}: generating the workload files when missing\n`);
    scaleFiles = workloadFiles(scaleName);
  }

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
  let results: Results;
  let scaleResults: Results | undefined;
  try {
    results = runRounds(files, contenders, runs, scratch, sameLayoutBinary);
    if (scaleFiles) scaleResults = runRounds(scaleFiles, scaleContenders, runs, scratch, undefined);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }

  const mainThreads = threadSection(results, files, runs);
  const lines = [
    `## ${files.workload}`,
    '',
    ...contenderTable(results, files, runs),
    ...mainThreads.lines,
    ...logSection(results),
  ];
  let scaleThreads: ThreadSpeedups | undefined;
  if (scaleFiles && scaleResults) {
    const t = threadSection(scaleResults, scaleFiles, runs);
    scaleThreads = t.speedups;
    lines.push(
      '',
      `## ${scaleFiles.workload}: threads`,
      '',
      ...contenderTable(scaleResults, scaleFiles, runs),
      ...t.lines,
    );
  }
  if (results.has('pmehash-threads-2') || scaleResults?.has('pmehash-threads-2'))
    lines.push('', '## Thread targets', '', targetsSentence(mainThreads.speedups, scaleThreads));
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
