// The pure half of `make report`: what a workload's child process reports (every run), how the
// runs are summarized (median, min, max, the too-short flag), and the Markdown tables and chart
// data made from them. No files, clocks or processes here, so the tests can call all of it.

import type { Durability, PmEHashStats } from '../include-types/store';
import type { ReadReport } from '../src/ycsb/expectations';
import type { PhaseReport } from '../src/ycsb/runner';
import { OP_NAMES } from '../src/ycsb/workload';
import { roundRatios } from './bench-summary';
import { fmt as int } from './measure';
import type { BarChart, BarPoint } from './svg-chart';

/**
 * A phase whose median run lasts less than this is marked "too short to time reliably" (its
 * numbers are still shown). On the project's shared 2-core machine one interruption inside the
 * timed loop (the scheduler giving the core to another process for a time slice of a few ms, a
 * V8 young-generation collection of about 1 ms, a page fault storm on a new page file) costs
 * milliseconds: at 10 ms or more that moves a phase by a fraction, below it a phase of 1-2 ms
 * (the 10w run phases) can come out twice as fast or slow from one event. The runs' spread then
 * says more about the machine than about the store.
 */
export const TOO_SHORT_SECONDS = 0.01;

/** One timed (or warm-up) run of a workload on a fresh store, as the child process reports it. */
export interface RunResult {
  load: PhaseReport;
  run: PhaseReport;
  reads: ReadReport;
  stats: PmEHashStats;
  /** What PmEHash.check() found at the end of the run: empty when consistent. */
  problems: string[];
}

/** The one JSON line of a workload's child process (bench/report-worker.ts). */
export interface WorkloadRuns {
  workload: string;
  durability: Durability;
  /** Worker threads sharing the store (runYcsbThreads); absent or 0: the unshared single-thread path. */
  threads?: number;
  /** Seconds and bytes of parsing the two files, once, before any run (not in the phases). */
  parse: { bytes: number; seconds: number };
  /** Runs made before the timed ones, on a fresh store each: shown apart, never in the medians. */
  warmups: RunResult[];
  runs: RunResult[];
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface PhaseSummary {
  ops: number;
  runs: number;
  seconds: Spread;
  opsPerSec: Spread;
  /** The median run lasted less than TOO_SHORT_SECONDS. */
  tooShort: boolean;
}

export interface WorkloadSummary {
  workload: string;
  load: PhaseSummary;
  run: PhaseSummary;
}

/** How a report was made: printed on the chart and in the README. */
export interface ReportMeta {
  date: string;
  machine: string;
  node: string;
  durability: Durability;
  runs: number;
  warmups: number;
}

/** Median (the mean of the middle two for an even count), min and max; throws on no values. */
export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) throw new RangeError('no values to summarize');
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return { median: s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2, min: s[0], max: s[s.length - 1] };
}

export function summarizePhase(phases: readonly PhaseReport[]): PhaseSummary {
  const seconds = spread(phases.map((p) => p.seconds));
  return {
    ops: phases[0].ops,
    runs: phases.length,
    seconds,
    opsPerSec: spread(phases.map((p) => p.opsPerSec)),
    tooShort: seconds.median < TOO_SHORT_SECONDS,
  };
}

export function summarize(w: WorkloadRuns): WorkloadSummary {
  return {
    workload: w.workload,
    load: summarizePhase(w.runs.map((r) => r.load)),
    run: summarizePhase(w.runs.map((r) => r.run)),
  };
}

/** Every wrong answer of a workload's runs (warm-ups included): the report refuses to print any. */
export function incorrect(w: WorkloadRuns): string[] {
  const all = [...w.warmups.map((r) => ['warm-up', r] as const), ...w.runs.map((r, i) => [`run ${i + 1}`, r] as const)];
  const what = w.threads ? `${w.workload} (${threadsName(w.threads)})` : w.workload;
  return all.flatMap(([name, r]) => [
    ...(r.reads.missed + r.reads.mismatched > 0
      ? [`${what} ${name}: ${r.reads.missed} reads missed, ${r.reads.mismatched} mismatched`]
      : []),
    ...r.problems.map((p) => `${what} ${name}: check(): ${p}`),
  ]);
}

const ms = (s: number): string => `${(s * 1e3).toFixed(s < 0.01 ? 2 : 1)} ms`;

/** The star of a too-short phase and its footnote, in the tables and on the chart. */
export const TOO_SHORT_NOTE = `median run under ${TOO_SHORT_SECONDS * 1e3} ms: too short to time reliably (numbers kept, but one pause moves them)`;
const star = (p: PhaseSummary): string => (p.tooShort ? ' \\*' : '');

const runsText = (n: number, what: string): string => `${n} ${what} run${n === 1 ? '' : 's'}`;
const roundsText = (n: number, what: string): string => `${n} ${what} round${n === 1 ? '' : 's'}`;

export function mix(p: PhaseReport): string {
  return OP_NAMES.filter((op) => p.mix[op] > 0)
    .map((op) => `${op} ${int(p.mix[op])} (${((100 * p.mix[op]) / p.ops).toFixed(1)}%)`)
    .join(', ');
}

/** One line per workload: median, min and max ops/s of both phases. */
export function summaryTable(ws: readonly WorkloadRuns[]): string {
  const rows = ws.map((w) => {
    const s = summarize(w);
    const cells = (p: PhaseSummary) =>
      `${int(p.opsPerSec.median)}${star(p)} | ${int(p.opsPerSec.min)} | ${int(p.opsPerSec.max)}`;
    return `| ${w.workload} | ${s.load.runs} | ${cells(s.load)} | ${cells(s.run)} | ${mix(w.runs[0].run)} |`;
  });
  return [
    '| workload | runs | load ops/s median | min | max | run ops/s median | min | max | run mix |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

/** A workload's own section: each phase's spread, the warm-up apart, reads, store and check. */
export function workloadSection(w: WorkloadRuns): string {
  const s = summarize(w);
  const row = (name: string, p: PhaseSummary, r: PhaseReport) =>
    `| ${name} | ${int(p.ops)} | ${p.runs} | ${ms(p.seconds.median)} | ${int(p.opsPerSec.median)}${star(p)} | ${int(p.opsPerSec.min)} | ${int(p.opsPerSec.max)} | ${mix(r)} |`;
  const warm = (name: string, r: PhaseReport) =>
    `| ${name} (warm-up) | ${int(r.ops)} | 1 | ${ms(r.seconds)} | ${int(r.opsPerSec)} | | | not in the medians |`;
  const last = w.runs[w.runs.length - 1];
  const st = last.stats;
  const sum = (f: (r: RunResult) => number): number => w.runs.reduce((n, r) => n + f(r), 0);
  const problems = sum((r) => r.problems.length);
  return [
    `## ${w.workload}`,
    '',
    '| phase | operations | runs | median time | median ops/s | min ops/s | max ops/s | mix |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    row('load', s.load, last.load),
    row('run', s.run, last.run),
    ...w.warmups.flatMap((r) => [warm('load', r.load), warm('run', r.run)]),
    '',
    `Reads over the ${w.runs.length} runs: ${int(sum((r) => r.reads.found))} returned the expected value, ` +
      `${int(sum((r) => r.reads.missed))} missed, ${int(sum((r) => r.reads.mismatched))} mismatched; ` +
      `check() after each run: ${problems === 0 ? 'consistent' : `${problems} problems`}. ` +
      `Store after a run: global depth ${st.globalDepth}, ${int(st.buckets)} buckets in ${int(st.pageFiles)} page files, ` +
      `${int(st.keys)} keys, load factor ${st.loadFactor.toFixed(3)}. ` +
      `Parsing ${(w.parse.bytes / 1e6).toFixed(1)} MB took ${ms(w.parse.seconds)}, once, before the runs.` +
      (s.load.tooShort || s.run.tooShort ? `\n\n\\* ${TOO_SHORT_NOTE}.` : ''),
    '',
  ].join('\n');
}

/**
 * The chart's note lines: when, on what, and how each bar was measured; `rounds` for a chart
 * whose configurations ran in interleaved rounds in one process (the thread chart).
 */
export function chartNotes(meta: ReportMeta, rounds = false): string[] {
  const machine = meta.machine.includes(meta.node) ? meta.machine : `${meta.machine}, Node ${meta.node}`;
  if (rounds)
    return [
      `${meta.date} · ${machine}`,
      `durability ${meta.durability} · ${roundsText(meta.warmups, 'warm-up')} (not plotted), then ${roundsText(meta.runs, 'timed')}; ` +
        'each round runs every configuration once',
      'each run in a fresh process, on a fresh store (shared by the worker threads)',
    ];
  return [
    `${meta.date} · ${machine}`,
    `durability ${meta.durability} · each workload in a fresh process: ${runsText(meta.warmups, 'warm-up')} (not plotted), ` +
      `then ${runsText(meta.runs, 'timed')}, each on a fresh store`,
  ];
}

/** The throughput chart: per workload, load and run ops/s, median bars with min-max whiskers. */
export function throughputChart(ws: readonly WorkloadRuns[], meta: ReportMeta): BarChart {
  const summaries = ws.map(summarize);
  const point = (p: PhaseSummary): BarPoint => ({
    value: p.opsPerSec.median,
    low: p.opsPerSec.min,
    high: p.opsPerSec.max,
    flagged: p.tooShort,
  });
  return {
    title: 'PmEHash YCSB throughput per workload',
    subtitle: `bar: median of ${runsText(meta.runs, 'timed')}; whisker: slowest to fastest run`,
    unit: 'operations per second',
    labels: summaries.map((s) => s.workload),
    series: [
      { name: 'load phase', color: '#4878a8', points: summaries.map((s) => point(s.load)) },
      { name: 'run phase', color: '#e0883a', points: summaries.map((s) => point(s.run)) },
    ],
    notes: chartNotes(meta),
    flagNote: `${TOO_SHORT_NOTE}; such bars are faded`,
  };
}

/** The one JSON line of a thread chart run's child process (bench/report-threads-worker.ts). */
export interface ThreadRun {
  parse: { bytes: number; seconds: number };
  result: RunResult;
}

/**
 * Thread scaling of one workload: the unshared single thread and each worker-thread count, in
 * interleaved rounds (each run in a process of its own): runs[i] of every configuration is
 * round i, so ratios can be worked out within each round.
 */
export interface ThreadScaling {
  workload: string;
  /** Ascending by threads: the unshared path (threads absent or 0) first. */
  configs: WorkloadRuns[];
}

/** A configuration's name on the chart and in the tables. */
export function threadsName(threads: number | undefined): string {
  if (!threads) return 'unshared single thread';
  return `${threads} worker thread${threads === 1 ? '' : 's'}`;
}

/** One speed-up of a workload: the most threads over another configuration, per round. */
export interface ThreadSpeedupRow {
  label: string;
  load: Spread;
  run: Spread;
}

/** The most threads over each other configuration, as ratios within each round (median, min, max). */
export function threadSpeedups(t: ThreadScaling): ThreadSpeedupRow[] {
  const top = t.configs.reduce((a, b) => ((b.threads ?? 0) > (a.threads ?? 0) ? b : a));
  const ops = (w: WorkloadRuns, phase: 'load' | 'run'): number[] => w.runs.map((r) => r[phase].opsPerSec);
  return [...t.configs]
    .filter((c) => c !== top)
    .sort((a, b) => (b.threads ?? 0) - (a.threads ?? 0))
    .map((c) => ({
      label: `${threadsName(top.threads)} / ${threadsName(c.threads)}`,
      load: roundRatios(ops(top, 'load'), ops(c, 'load')),
      run: roundRatios(ops(top, 'run'), ops(c, 'run')),
    }));
}

const ratio = (v: number): string => `${v.toFixed(2)}x`;

const THREAD_COLORS = ['#9a9a9a', '#6a9fd0', '#23578c', '#0b2f55'];

/** The thread chart: per workload and phase, a bar per configuration (median, min-max whisker). */
export function threadScalingChart(ts: readonly ThreadScaling[], meta: ReportMeta): BarChart {
  const configs = ts[0]?.configs.map((c) => c.threads ?? 0) ?? [];
  for (const t of ts)
    if (t.configs.map((c) => c.threads ?? 0).join() !== configs.join())
      throw new RangeError(
        `${t.workload}: thread configurations ${t.configs.map((c) => c.threads ?? 0).join()}, not ${configs.join()}`,
      );
  const groups = ts.flatMap((t) => {
    const s = t.configs.map(summarize);
    return (['load', 'run'] as const).map((phase) => ({
      label: `${t.workload} ${phase}`,
      phases: s.map((x) => x[phase]),
    }));
  });
  const point = (p: PhaseSummary): BarPoint => ({
    value: p.opsPerSec.median,
    low: p.opsPerSec.min,
    high: p.opsPerSec.max,
    flagged: p.tooShort,
  });
  const speedupNotes = ts.flatMap((t) =>
    threadSpeedups(t).map(
      (r) =>
        `${t.workload}, ${r.label}: load ${ratio(r.load.median)}, run ${ratio(r.run.median)} (median of the per-round ratios)`,
    ),
  );
  return {
    title: 'PmEHash thread scaling: one store shared by worker threads',
    subtitle: `bar: median of ${roundsText(meta.runs, 'timed')}; whisker: slowest to fastest round`,
    unit: 'operations per second',
    labels: groups.map((g) => g.label),
    series: configs.map((threads, k) => ({
      name: threadsName(threads),
      color: THREAD_COLORS[Math.min(k, THREAD_COLORS.length - 1)],
      points: groups.map((g) => point(g.phases[k])),
    })),
    notes: [...chartNotes(meta, true), ...speedupNotes],
    flagNote: `${TOO_SHORT_NOTE}; such bars are faded`,
  };
}

/** The README's thread section: each configuration's spread, then the speed-ups per round. */
export function threadScalingSection(ts: readonly ThreadScaling[], meta: ReportMeta): string {
  const rows = ts.flatMap((t) =>
    t.configs.map((c) => {
      const s = summarize(c);
      const cells = (p: PhaseSummary) =>
        `${int(p.opsPerSec.median)}${star(p)} | ${int(p.opsPerSec.min)} | ${int(p.opsPerSec.max)}`;
      return `| ${t.workload} | ${threadsName(c.threads)} | ${cells(s.load)} | ${cells(s.run)} |`;
    }),
  );
  const range = (s: Spread): string => `${s.min.toFixed(2)}-${s.max.toFixed(2)}x`;
  const speedups = ts.flatMap((t) =>
    threadSpeedups(t).map(
      (r) =>
        `| ${t.workload} | ${r.label} | ${ratio(r.load.median)} | ${range(r.load)} | ${ratio(r.run.median)} | ${range(r.run)} |`,
    ),
  );
  const anyShort = ts.some((t) => t.configs.map(summarize).some((s) => s.load.tooShort || s.run.tooShort));
  return [
    '## Thread scaling',
    '',
    `${roundsText(meta.warmups, 'warm-up')} (not counted), then ${roundsText(meta.runs, 'timed')}; ` +
      'each round runs every configuration once, in this order, so that a slow spell of the machine falls on all of them alike; ' +
      'each run is a fresh process (as in `make bench`: no configuration inherits warm code) on a fresh store, ' +
      'which the worker threads share (`store.share()`, `PmEHash.attach()`). ' +
      'Parsing, and dealing the operations to the threads, come before the clocks; a phase lasts until the last thread finishes.',
    '',
    '| workload | configuration | load ops/s median | min | max | run ops/s median | min | max |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    ...(anyShort ? ['', `\\* ${TOO_SHORT_NOTE}.`] : []),
    '',
    '| workload | speed-up (ratio within each round) | load median | load min-max | run median | run min-max |',
    '|---|---|---:|---:|---:|---:|',
    ...speedups,
    '',
  ].join('\n');
}

/** A chart of the report: its file in the report folder and the README's words for it. */
export interface Figure {
  file: string;
  alt: string;
  svg: string;
}

/** report/README.md: how it was made, the figures, the summary table, a section per workload. */
export function reportMarkdown(
  ws: readonly WorkloadRuns[],
  meta: ReportMeta,
  figures: readonly Figure[],
  threads: readonly ThreadScaling[] = [],
): string {
  const anyShort = ws.map(summarize).some((s) => s.load.tooShort || s.run.tooShort);
  return [
    '# PmEHash YCSB report',
    '',
    `Written by \`make report\` on ${meta.date}. Machine: ${meta.machine}. ` +
      `Each workload ran in a fresh process (Node ${meta.node}), which parsed its files once, made ${runsText(meta.warmups, 'warm-up')} ` +
      `and then ${runsText(meta.runs, 'timed')}, each on a fresh store in tmpfs (\`/dev/shm\`), durability \`${meta.durability}\`. ` +
      'Tables give the median, the slowest and the fastest run; parsing is not counted in the phase times, ' +
      'and every READ of every run returned the expected value.',
    '',
    ...figures.flatMap((f) => [`![${f.alt}](${f.file})`, '']),
    ...(ws.length ? [summaryTable(ws)] : []),
    ...(anyShort ? ['', `\\* ${TOO_SHORT_NOTE}.`] : []),
    '',
    ...(threads.length ? [threadScalingSection(threads, meta)] : []),
    ...ws.map(workloadSection),
  ].join('\n');
}
