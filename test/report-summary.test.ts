// The report's pure half: medians, min and max of runs, the too-short flag, the refusal of wrong
// answers, and the tables, notes and chart made from a workload's runs.

import {
  chartNotes,
  incorrect,
  reportMarkdown,
  spread,
  summarize,
  summaryTable,
  throughputChart,
  TOO_SHORT_SECONDS,
  workloadSection,
  type ReportMeta,
  type RunResult,
  type WorkloadRuns,
} from '../bench/report-summary';
import { barChartSvg } from '../bench/svg-chart';
import type { PhaseReport } from '../src/ycsb/runner';

function phase(ops: number, seconds: number, read = 0): PhaseReport {
  return {
    ops,
    seconds,
    opsPerSec: ops / seconds,
    mix: { INSERT: ops - read, READ: read, UPDATE: 0, DELETE: 0 },
    failed: 0,
  };
}

/** A run whose load phase takes `loadSeconds` for 100,000 inserts, run `runSeconds` for 10,000 ops. */
function run(loadSeconds: number, runSeconds: number): RunResult {
  return {
    load: phase(100_000, loadSeconds),
    run: phase(10_000, runSeconds, 5_000),
    reads: { found: 5_000, missed: 0, mismatched: 0 },
    stats: { globalDepth: 15, catalogSize: 32768, buckets: 9919, pageFiles: 10, keys: 105_000, loadFactor: 0.706 },
    problems: [],
  };
}

function workload(name: string, runs: RunResult[]): WorkloadRuns {
  return {
    workload: name,
    durability: 'process',
    parse: { bytes: 2_000_000, seconds: 0.005 },
    warmups: [run(0.05, 0.004)],
    runs,
  };
}

const meta: ReportMeta = {
  date: '2026-01-02',
  machine: '2 x Test CPU, 4 GiB, Node v20.9.9, linux 6.0',
  node: 'v20.9.9',
  durability: 'process',
  runs: 5,
  warmups: 1,
};

// Load phases of 20 to 50 ms (well timed), run phases of 1 to 3 ms (too short), in no order.
const tenW = workload('10w-rw-50-50', [
  run(0.02, 0.002),
  run(0.05, 0.001),
  run(0.025, 0.003),
  run(0.04, 0.0015),
  run(0.03, 0.0025),
]);

test('spread: the median is the middle value (the mean of the middle two for an even count), with min and max', () => {
  expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
  expect(spread([10, 40, 20, 30])).toEqual({ median: 25, min: 10, max: 40 });
  expect(spread([7])).toEqual({ median: 7, min: 7, max: 7 });
  expect(spread([5, 1, 1, 1, 100])).toEqual({ median: 1, min: 1, max: 100 }); // one outlier does not move it
  expect(() => spread([])).toThrow(RangeError);
});

test('summarize: every phase gets median, min and max ops/s over the timed runs, not the warm-up', () => {
  const s = summarize(tenW);
  expect(s.load.runs).toBe(5);
  expect(s.load.ops).toBe(100_000);
  expect(s.load.seconds).toEqual({ median: 0.03, min: 0.02, max: 0.05 });
  expect(s.load.opsPerSec.median).toBeCloseTo(100_000 / 0.03);
  expect(s.load.opsPerSec.min).toBeCloseTo(100_000 / 0.05); // the slowest run
  expect(s.load.opsPerSec.max).toBeCloseTo(100_000 / 0.02); // the fastest run; the warm-up's 0.004 s run phase is not in
  expect(s.run.opsPerSec.max).toBeCloseTo(10_000 / 0.001);
  expect(s.run.opsPerSec.min).toBeCloseTo(10_000 / 0.003);
});

test('a phase is too short to time when its median run is under the threshold', () => {
  expect(TOO_SHORT_SECONDS).toBe(0.01);
  const s = summarize(tenW);
  expect(s.load.tooShort).toBe(false);
  expect(s.run.tooShort).toBe(true);
  // The median decides, not one fast or slow run.
  const t = TOO_SHORT_SECONDS;
  const edge = summarize(workload('w', [run(t / 2, t), run(t, t * 0.99), run(t * 3, t * 0.98)]));
  expect(edge.load.tooShort).toBe(false); // median exactly at the threshold
  expect(edge.run.tooShort).toBe(true);
});

test('incorrect: a missed read or a check() problem in any run, warm-up included, is named', () => {
  expect(incorrect(tenW)).toEqual([]);
  const bad = workload('w', [run(0.02, 0.02), run(0.02, 0.02)]);
  bad.runs[1] = { ...bad.runs[1], reads: { found: 4_999, missed: 1, mismatched: 0 } };
  bad.warmups[0] = { ...bad.warmups[0], problems: ['bucket 1@2: checksum of its kv slots does not match'] };
  expect(incorrect(bad)).toEqual([
    'w warm-up: check(): bucket 1@2: checksum of its kv slots does not match',
    'w run 2: 1 reads missed, 0 mismatched',
  ]);
});

test('the tables show the run count, median, min and max ops/s, star a too-short phase and footnote it', () => {
  const table = summaryTable([tenW]);
  const row = table.split('\n').find((l) => l.startsWith('| 10w-rw-50-50 '))!;
  const cells = row.split('|').map((c) => c.trim());
  // workload, runs, load median, min, max, run median, min, max, mix
  expect(cells.slice(1, 9)).toEqual([
    '10w-rw-50-50',
    '5',
    '3,333,333',
    '2,000,000',
    '5,000,000',
    '5,000,000 \\*',
    '3,333,333',
    '10,000,000',
  ]);
  const section = workloadSection(tenW);
  expect(section).toContain('| load | 100,000 | 5 | 30.0 ms | 3,333,333 | 2,000,000 | 5,000,000 |');
  expect(section).toContain('| run | 10,000 | 5 | 2.00 ms | 5,000,000 \\* | 3,333,333 | 10,000,000 |');
  expect(section).toContain('| load (warm-up) | 100,000 | 1 | 50.0 ms | 2,000,000 |');
  expect(section).toContain('too short to time reliably');
  expect(section).toContain('25,000 returned the expected value, 0 missed, 0 mismatched');
  // A workload with no short phase has no footnote.
  const long = workload('220w', [run(0.5, 0.1), run(0.6, 0.1), run(0.4, 0.1)]);
  expect(workloadSection(long)).not.toContain('too short');
  expect(summaryTable([long])).not.toContain('\\*');
});

test('the chart and the README say when, on what machine, with which Node and durability, and how many runs', () => {
  expect(chartNotes(meta).join('\n')).toMatch(/2026-01-02.*Node v20\.9\.9/);
  expect(chartNotes({ ...meta, machine: '2 x Test CPU' }).join('\n')).toContain('Node v20.9.9'); // added when missing
  const svg = barChartSvg(throughputChart([tenW, tenW], meta));
  const notes = [...svg.matchAll(/<text class="note"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).join('\n');
  expect(notes).toContain('2026-01-02');
  expect(notes).toContain('2 x Test CPU');
  expect(notes).toContain('Node v20.9.9');
  expect(notes).toContain('durability process');
  expect(notes).toContain('1 warm-up run (not plotted), then 5 timed runs');
  expect(notes).toContain('too short to time reliably'); // the run phases are starred
  expect(svg).toContain('median of 5 timed runs');
  expect(svg.match(/class="whisker"/g)).toHaveLength(4); // two workloads, two phases each
  const long = workload('220w', [run(0.5, 0.1), run(0.6, 0.1), run(0.4, 0.1)]);
  const md = reportMarkdown([tenW, long], meta, [{ file: 'ops.svg', alt: 'OPS', svg }]);
  expect(md).toContain('![OPS](ops.svg)');
  expect(md).toContain('on 2026-01-02');
  expect(md).toContain('1 warm-up run and then 5 timed runs');
  expect(md).toContain('durability `process`');
  expect(md).toContain('\\* median run under 10 ms: too short to time reliably'); // one workload has a short phase
  expect(reportMarkdown([long, long], meta, [])).not.toContain('too short');
});
