// The report's pure half: medians, min and max of runs, the too-short flag, the refusal of wrong
// answers, and the tables, notes and charts made from a workload's runs, the thread chart's too.

import {
  chartNotes,
  incorrect,
  reportMarkdown,
  spread,
  summarize,
  summaryTable,
  threadScalingChart,
  threadScalingSection,
  threadSpeedups,
  threadsName,
  throughputChart,
  TOO_SHORT_SECONDS,
  workloadSection,
  type ReportMeta,
  type RunResult,
  type ThreadScaling,
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
    stats: {
      backend: 'mmap',
      globalDepth: 15,
      catalogSize: 32768,
      buckets: 9919,
      pageFiles: 10,
      keys: 105_000,
      loadFactor: 0.706,
    },
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

/** Thread scaling of one workload: the unshared path, 1 and 2 worker threads, 3 rounds of load and run seconds. */
function scaling(name: string, rounds: Array<[number, number][]>): ThreadScaling {
  return {
    workload: name,
    configs: [0, 1, 2].map((threads) => ({
      ...workload(
        name,
        rounds.map((r) => run(...r[threads])),
      ),
      threads,
    })),
  };
}

// Round 2 is a slow spell for everyone; per round, 2 threads load 2x, 2.5x and 1.5x as fast as 1.
const twoTwenty = scaling('220w', [
  [
    [0.4, 0.08],
    [0.5, 0.1],
    [0.25, 0.05],
  ],
  [
    [0.8, 0.08],
    [1.0, 0.1],
    [0.4, 0.05],
  ],
  [
    [0.5, 0.08],
    [0.6, 0.1],
    [0.4, 0.1],
  ],
]);
const threeRounds: ReportMeta = { ...meta, runs: 3 };

test('thread configurations are named by their worker threads, the unshared path apart', () => {
  expect(threadsName(undefined)).toBe('unshared single thread');
  expect(threadsName(0)).toBe('unshared single thread');
  expect(threadsName(1)).toBe('1 worker thread');
  expect(threadsName(2)).toBe('2 worker threads');
});

test('thread speed-ups are the most threads over each other configuration, worked out within each round', () => {
  const [overOne, overUnshared] = threadSpeedups(twoTwenty);
  expect(overOne.label).toBe('2 worker threads / 1 worker thread');
  expect(overOne.load.median).toBeCloseTo(2); // the ratio of the medians would be 0.6 / 0.4 = 1.5
  expect(overOne.load.min).toBeCloseTo(1.5);
  expect(overOne.load.max).toBeCloseTo(2.5);
  expect(overOne.run).toEqual({ median: 2, min: 1, max: 2 });
  expect(overUnshared.label).toBe('2 worker threads / unshared single thread');
  expect(overUnshared.load.median).toBeCloseTo(1.6);
  expect(overUnshared.run.median).toBeCloseTo(1.6);
  expect(overUnshared.run.min).toBeCloseTo(0.8);
});

test('the thread chart: a group per workload and phase, a bar and whisker per configuration, speed-ups in the notes', () => {
  const chart = threadScalingChart(
    [
      twoTwenty,
      scaling(
        '1000w',
        twoTwenty.configs[0].runs.map(() => [
          [1, 1],
          [1, 1],
          [0.5, 0.5],
        ]),
      ),
    ],
    threeRounds,
  );
  expect(chart.labels).toEqual(['220w load', '220w run', '1000w load', '1000w run']);
  expect(chart.series.map((s) => s.name)).toEqual(['unshared single thread', '1 worker thread', '2 worker threads']);
  // 2 threads on 220w load: median of 400,000, 250,000, 250,000 ops/s; fastest 400,000, slowest 250,000.
  expect(chart.series[2].points[0]).toEqual({ value: 250_000, low: 250_000, high: 400_000, flagged: false });
  expect(chart.series[0].points[1].value).toBeCloseTo(125_000); // unshared 220w run
  const svg = barChartSvg(chart);
  expect(svg.match(/<rect class="bar"/g)).toHaveLength(12);
  expect(svg.match(/class="whisker"/g)).toHaveLength(12);
  const notes = [...svg.matchAll(/<text class="note"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  expect(notes[0]).toContain('2026-01-02');
  expect(notes[0]).toContain('Node v20.9.9');
  expect(notes[1]).toContain('durability process');
  expect(notes[1]).toContain(
    '1 warm-up round (not plotted), then 3 timed rounds; each round runs every configuration once',
  );
  expect(notes[2]).toContain('each run in a fresh process');
  // Each note fits the 900-pixel picture (about 6 pixels a character at 11 px, from x = 70).
  notes.forEach((n) => expect(n.length).toBeLessThanOrEqual(130));
  expect(notes).toContain(
    '220w, 2 worker threads / 1 worker thread: load 2.00x, run 2.00x (median of the per-round ratios)',
  );
  expect(notes).toContain(
    '1000w, 2 worker threads / unshared single thread: load 2.00x, run 2.00x (median of the per-round ratios)',
  );
  expect(svg).toContain('median of 3 timed rounds');
  // Every workload must have the same configurations, or the bars would not line up.
  const odd = { ...twoTwenty, configs: twoTwenty.configs.slice(1) };
  expect(() => threadScalingChart([twoTwenty, odd], threeRounds)).toThrow(RangeError);
});

test('the README has a thread section with every configuration and the per-round speed-ups, and names threads in errors', () => {
  const section = threadScalingSection([twoTwenty], threeRounds);
  expect(section).toContain('## Thread scaling');
  expect(section).toContain(
    '| 220w | unshared single thread | 200,000 | 125,000 | 250,000 | 125,000 | 125,000 | 125,000 |',
  );
  expect(section).toContain('| 220w | 2 worker threads | 250,000 | 250,000 | 400,000 | 200,000 | 100,000 | 200,000 |');
  expect(section).toContain('| 220w | 2 worker threads / 1 worker thread | 2.00x | 1.50-2.50x | 2.00x | 1.00-2.00x |');
  expect(section).toContain(
    '| 220w | 2 worker threads / unshared single thread | 1.60x | 1.25-2.00x | 1.60x | 0.80-1.60x |',
  );
  const md = reportMarkdown([tenW], threeRounds, [{ file: 'threads.svg', alt: 'threads', svg: '' }], [twoTwenty]);
  expect(md).toContain('![threads](threads.svg)');
  expect(md).toContain(section);
  expect(reportMarkdown([tenW], threeRounds, [])).not.toContain('Thread scaling');
  const bad = twoTwenty.configs[2];
  const broken = { ...bad, runs: [{ ...bad.runs[0], reads: { found: 0, missed: 2, mismatched: 0 } }] };
  expect(incorrect(broken)).toEqual(['220w (2 worker threads) run 1: 2 reads missed, 0 mismatched']);
});
