// The pure half of `make bench`'s thread rows: ratios worked out within each round, their table,
// and the sentence on which thread targets a run met, computed from the numbers.

import {
  roundRatios,
  speedup,
  speedupTable,
  targetsSentence,
  TARGET_ROUNDS,
  type ThreadSpeedups,
} from '../bench/bench-summary';

test('roundRatios divides within each round, then takes median, min and max', () => {
  // Round 2 is slow for both: its ratio is still 2, and the median of the ratios is 2,
  // where the ratio of the medians would be 8/4.5.
  expect(roundRatios([10, 2, 8], [5, 1, 4])).toEqual({ median: 2, min: 2, max: 2 });
  expect(roundRatios([3, 4, 9, 2], [2, 2, 3, 2])).toEqual({ median: 1.75, min: 1, max: 3 });
  expect(() => roundRatios([1, 2], [1])).toThrow(RangeError);
  expect(() => roundRatios([], [])).toThrow(RangeError);
});

test('the speed-up table gives each row its medians and min-max ranges', () => {
  const s = speedup({ load: [4, 3, 5], run: [2, 2, 3] }, { load: [2, 2, 2], run: [2, 1, 2] });
  const table = speedupTable([{ label: '2 / 1', speedup: s }]);
  expect(table.split('\n')[2]).toBe('| 2 / 1 | 2.00x | 1.50-2.50x | 1.50x | 1.00-2.00x |');
});

const flat = (v: number) => ({ median: v, min: v, max: v });
const both = (load: number, run: number) => ({ load: flat(load), run: flat(run) });

test('the targets sentence counts the thread targets met from the medians, a line per target with its bar', () => {
  const main: ThreadSpeedups = {
    workload: '220w',
    rounds: TARGET_ROUNDS,
    oneOverUnshared: both(0.92, 0.91), // exactly at the bar counts as met
    overUnshared: both(1.49, 1.2),
    overReference: both(0.95, 0.9),
  };
  const scale: ThreadSpeedups = {
    workload: '1000w',
    rounds: TARGET_ROUNDS,
    oneOverUnshared: both(1, 1),
    overUnshared: both(1.5, 1.6),
    overReference: both(0.8, 1),
  };
  const text = targetsSentence(main, scale);
  expect(text.split('\n')[0]).toBe(
    'In this run (5 rounds; medians of the per-round ratios), 9 of 12 thread targets were met.',
  );
  expect(text).toContain(
    '- 1 worker thread on a shared store / the unshared single thread, 220w load: 0.92x (0.92-0.92x), target 0.92x: met',
  );
  expect(text).toContain('the unshared single thread, 220w run: 0.91x (0.91-0.91x), target 0.92x: not met');
  expect(text).toContain('- 2 worker threads on a shared store / the unshared single thread, 220w load: 1.49x');
  expect(text).toContain('220w run: 1.20x (1.20-1.20x), target 1.20x: met');
  expect(text).toContain('/ 2 on stores of their own, 1000w load: 0.80x (0.80-0.80x), target 0.90x: not met');
  expect(text).not.toContain('indicative');
  expect(text).not.toContain('warm-up');
});

test('the warm-up figure is a sentence of its own, only when warm rounds ran', () => {
  const cold: ThreadSpeedups = { workload: '220w', rounds: TARGET_ROUNDS, overOne: both(1.41, 1.3) };
  expect(targetsSentence(cold, undefined)).not.toContain('warm-up');
  const warm = targetsSentence({ ...cold, warmOverOne: both(1.65, 1.8) }, undefined);
  expect(warm).toContain(
    "After a warm-up of both (the code compiled before the clocks; the figures above are cold processes'), 2 worker threads reached 1.65x (load) and 1.80x (run) of 1 worker thread on 220w.",
  );
});

test('missing sections and short runs are said, not counted as met', () => {
  const main: ThreadSpeedups = { workload: '220w', rounds: 2, oneOverUnshared: both(2, 2) };
  const text = targetsSentence(main, undefined);
  expect(text).toContain('2 of 12 thread targets were met');
  expect(text).toContain('the scale workload load: not measured in this run (target 0.92x)');
  expect(text).toContain('/ the unshared single thread, 220w load: not measured in this run (target 1.50x)');
  expect(text).toContain('fewer rounds than the 5 the targets ask for: the verdicts are indicative only');
});
