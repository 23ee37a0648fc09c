// The pure half of `make bench`'s thread rows: speed-ups worked out within each round (one
// contender's OPS over another's in the same round, then the median, min and max of those
// ratios), their table, and the sentence that says which of the thread targets a run met,
// computed from the numbers. No processes, clocks or files here, so the tests can call all of it.

import { spread, type Spread } from './measure';

/** 2 worker threads must reach this multiple of one thread's OPS (the target). */
export const TARGET_SPEEDUP = 1.6;
/** Rounds the target asks for: a run with fewer says its verdicts are indicative only. */
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

/** What one section of the bench measured of 2 worker threads against the others. */
export interface ThreadSpeedups {
  workload: string;
  rounds: number;
  /** 2 worker threads / 1 worker thread (the same shared-store code path). */
  overOne?: Speedup;
  /** 2 worker threads / the unshared single-thread store (what `pmehash ycsb` runs with one thread). */
  overUnshared?: Speedup;
  /** 2 worker threads / the typed-array table in memory (the stretch goal). */
  overTyped?: Speedup;
  /** overOne, both after a warm-up (YcsbOptions.warmUp): the code compiled before the clocks. */
  warmOverOne?: Speedup;
  /** overTyped, the threads after a warm-up. */
  warmOverTyped?: Speedup;
}

type Phase = 'load' | 'run';

const list = (xs: readonly string[]): string => (xs.length ? xs.join(', ') : 'none');

/**
 * Which targets the run met, in words computed from the numbers: 2 worker threads at
 * >= TARGET_SPEEDUP x the OPS of one thread on the main workload's load phase and on the scale
 * workload's load and run phases (medians of the per-round ratios), against 1 worker thread and
 * against the unshared single thread; and the stretch, 2 threads at or above the typed-array
 * table on both phases of the main workload. A sentence, then a line per target.
 */
export function targetsSentence(main: ThreadSpeedups, scale: ThreadSpeedups | undefined): string {
  const targets: Array<[ThreadSpeedups | undefined, Phase]> = [
    [main, 'load'],
    [scale, 'load'],
    [scale, 'run'],
  ];
  const name = (t: ThreadSpeedups | undefined, phase: Phase): string =>
    `${t?.workload ?? 'the scale workload'} ${phase}`;
  const met = (s: Speedup | undefined, phase: Phase): boolean => s !== undefined && s[phase].median >= TARGET_SPEEDUP;
  const metOne = targets.filter(([t, phase]) => met(t?.overOne, phase)).map(([t, phase]) => name(t, phase));
  const metUnshared = targets.filter(([t, phase]) => met(t?.overUnshared, phase)).map(([t, phase]) => name(t, phase));
  const typed = main.overTyped;
  const stretch = typed
    ? typed.load.median >= 1 && typed.run.median >= 1
      ? 'met'
      : 'not met'
    : 'not measured (no typed-array table in this run)';
  const value = (s: Speedup | undefined, phase: Phase, of: string): string =>
    s ? `${x(s[phase].median)} of ${of}` : `not measured against ${of}`;
  const rounds = Math.min(main.rounds, scale?.rounds ?? main.rounds);
  const lines = [
    `In this run (${rounds} round${rounds === 1 ? '' : 's'}), 2 worker threads reached ${TARGET_SPEEDUP}x the OPS of one thread ` +
      `(medians of the per-round ratios) against 1 worker thread on: ${list(metOne)} (${metOne.length} of ${targets.length}); ` +
      `against the unshared single thread on: ${list(metUnshared)} (${metUnshared.length} of ${targets.length}). ` +
      `The stretch (2 worker threads at or above the typed-array table on ${main.workload}, load and run): ${stretch}.` +
      (rounds < TARGET_ROUNDS
        ? ` This run had fewer rounds than the ${TARGET_ROUNDS} the targets ask for: the verdicts are indicative only.`
        : ''),
    '',
    ...targets.map(([t, phase]) =>
      t
        ? `- ${name(t, phase)}: ${value(t.overOne, phase, '1 worker thread')}, ${value(t.overUnshared, phase, 'the unshared single thread')}`
        : `- ${name(t, phase)}: not measured (no scale section in this run)`,
    ),
    ...(typed
      ? [
          `- stretch, ${main.workload}: load ${x(typed.load.median)}, run ${x(typed.run.median)} of the typed-array table`,
        ]
      : []),
  ];
  const warmOne = main.warmOverOne;
  if (warmOne) {
    const warmTyped = main.warmOverTyped;
    lines.push(
      '',
      `After a warm-up of both (the code compiled before the clocks; the figures above are cold processes'), 2 worker threads reached ` +
        `${x(warmOne.load.median)} (load) and ${x(warmOne.run.median)} (run) of 1 worker thread on ${main.workload}: ` +
        `the ${main.workload} load target ${warmOne.load.median >= TARGET_SPEEDUP ? 'met' : 'not met'} that way` +
        (warmTyped
          ? `; the stretch ${warmTyped.load.median >= 1 && warmTyped.run.median >= 1 ? 'met' : 'not met'} (load ${x(warmTyped.load.median)}, run ${x(warmTyped.run.median)} of the typed-array table).`
          : '.'),
    );
  }
  return lines.join('\n');
}
