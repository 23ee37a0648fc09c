// The pure half of `make bench`'s thread rows: speed-ups worked out within each round (one
// contender's OPS over another's in the same round, then the median, min and max of those
// ratios), their table, and the sentence that says which of the thread targets a run met,
// computed from the numbers. No processes, clocks or files here, so the tests can call all of it.

import { spread, type Spread } from './measure';

/** Rounds the targets ask for: a run with fewer says its verdicts are indicative only. */
export const TARGET_ROUNDS = 5;

/** The per-round ratios of both phases. */
export interface Speedup {
  load: Spread;
  run: Spread;
}

/** One phase's OPS of the rounds of a contender, in round order. */
export interface PhaseOps {
  load: number[];
  run: number[];
}

/** num[i] / den[i] for each round i, summarized; both lists must cover the same rounds. */
export function roundRatios(num: readonly number[], den: readonly number[]): Spread {
  if (num.length !== den.length || num.length === 0)
    throw new RangeError(`ratios need the same rounds on both sides (${num.length} and ${den.length})`);
  return spread(num.map((n, i) => n / den[i]));
}

export function speedup(num: PhaseOps, den: PhaseOps): Speedup {
  return { load: roundRatios(num.load, den.load), run: roundRatios(num.run, den.run) };
}

const x = (v: number): string => `${v.toFixed(2)}x`;
const range = (s: Spread): string => `${s.min.toFixed(2)}-${s.max.toFixed(2)}x`;

/** A Markdown table of speed-ups: a row per (label, speed-up), medians and min-max. */
export function speedupTable(rows: ReadonlyArray<{ label: string; speedup: Speedup }>): string {
  return [
    '| speed-up (OPS ratio within each round) | load median | load min-max | run median | run min-max |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      ({ label, speedup: s }) =>
        `| ${label} | ${x(s.load.median)} | ${range(s.load)} | ${x(s.run.median)} | ${range(s.run)} |`,
    ),
  ].join('\n');
}

/** What one section of the bench measured of the worker threads against the others. */
export interface ThreadSpeedups {
  workload: string;
  rounds: number;
  /** 2 worker threads / 1 worker thread (the same shared store). */
  overOne?: Speedup;
  /** 2 worker threads / the unshared single-thread store (what `pmehash ycsb` runs with one thread). */
  overUnshared?: Speedup;
  /** 1 worker thread on a shared store / the unshared single-thread store: the threads' tax. */
  oneOverUnshared?: Speedup;
  /** 2 worker threads / 2 worker threads on stores of their own (the machine's reference). */
  overReference?: Speedup;
  /** overOne, both after a warm-up (YcsbOptions.warmUp): the code compiled before the clocks. */
  warmOverOne?: Speedup;
}

type Phase = 'load' | 'run';

/** One thread target: a ratio of ThreadSpeedups, on the main or the scale workload, and its bar. */
interface Target {
  ratio: 'oneOverUnshared' | 'overUnshared' | 'overReference';
  section: 'main' | 'scale';
  phase: Phase;
  atLeast: number;
}

const RATIO_NAMES: Record<Target['ratio'], string> = {
  oneOverUnshared: '1 worker thread on a shared store / the unshared single thread',
  overUnshared: '2 worker threads on a shared store / the unshared single thread',
  overReference: '2 worker threads on a shared store / 2 on stores of their own',
};

/**
 * The thread targets (medians of the per-round ratios): 1 worker thread on a shared store at
 * 0.92x or more of the unshared store, every phase; 2 worker threads at 1.5x or more of it on
 * the main workload's load and the scale workload's phases, 1.2x on the main run phase (short,
 * so noisy); and 2 worker threads at 0.9x or more of the reference.
 */
export const THREAD_TARGETS: readonly Target[] = [
  ...(['main', 'scale'] as const).flatMap((section) =>
    (['load', 'run'] as const).map((phase): Target => ({ ratio: 'oneOverUnshared', section, phase, atLeast: 0.92 })),
  ),
  { ratio: 'overUnshared', section: 'main', phase: 'load', atLeast: 1.5 },
  { ratio: 'overUnshared', section: 'main', phase: 'run', atLeast: 1.2 },
  { ratio: 'overUnshared', section: 'scale', phase: 'load', atLeast: 1.5 },
  { ratio: 'overUnshared', section: 'scale', phase: 'run', atLeast: 1.5 },
  ...(['main', 'scale'] as const).flatMap((section) =>
    (['load', 'run'] as const).map((phase): Target => ({ ratio: 'overReference', section, phase, atLeast: 0.9 })),
  ),
];

/**
 * Which thread targets the run met, in words computed from the numbers: a sentence with the
 * count, then a line per target with its median and bar; a target whose ratio the run did not
 * measure is said so and not counted as met. Then, when warm rounds ran, 2 worker threads over 1
 * after a warm-up, for information.
 */
export function targetsSentence(main: ThreadSpeedups, scale: ThreadSpeedups | undefined): string {
  const sections = { main, scale };
  const verdicts = THREAD_TARGETS.map((target) => {
    const section = sections[target.section];
    const s = section?.[target.ratio];
    const where = `${section?.workload ?? 'the scale workload'} ${target.phase}`;
    const what = `${RATIO_NAMES[target.ratio]}, ${where}`;
    if (!s) return { met: false, line: `- ${what}: not measured in this run (target ${x(target.atLeast)})` };
    const met = s[target.phase].median >= target.atLeast;
    return {
      met,
      line: `- ${what}: ${x(s[target.phase].median)} (${range(s[target.phase])}), target ${x(target.atLeast)}: ${met ? 'met' : 'not met'}`,
    };
  });
  const rounds = Math.min(main.rounds, scale?.rounds ?? main.rounds);
  const metCount = verdicts.filter((v) => v.met).length;
  const lines = [
    `In this run (${rounds} round${rounds === 1 ? '' : 's'}; medians of the per-round ratios), ` +
      `${metCount} of ${verdicts.length} thread targets were met.` +
      (rounds < TARGET_ROUNDS
        ? ` This run had fewer rounds than the ${TARGET_ROUNDS} the targets ask for: the verdicts are indicative only.`
        : ''),
    '',
    ...verdicts.map((v) => v.line),
  ];
  const warmOne = main.warmOverOne;
  if (warmOne) {
    lines.push(
      '',
      `After a warm-up of both (the code compiled before the clocks; the figures above are cold processes'), 2 worker threads reached ` +
        `${x(warmOne.load.median)} (load) and ${x(warmOne.run.median)} (run) of 1 worker thread on ${main.workload}.`,
    );
  }
  return lines.join('\n');
}
