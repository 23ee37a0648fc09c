// The pure half of `make bench`'s thread rows: ratios worked out within each round, their table,
// and the sentence on which thread targets a run met, computed from the numbers.

import {
  roundRatios,
  speedup,
  speedupTable,
  targetsSentence,
  TARGET_ROUNDS,
  TARGET_SPEEDUP,
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

test('the targets sentence names the targets met, against each baseline, from the medians', () => {
  const main: ThreadSpeedups = {
    workload: '220w',
    rounds: TARGET_ROUNDS,
    overOne: both(TARGET_SPEEDUP, 1.2), // exactly at the target counts as met
    overUnshared: both(1.59, 1.7),
    overTyped: both(1.01, 0.99),
  };
  const scale: ThreadSpeedups = {
    workload: '1000w',
    rounds: TARGET_ROUNDS,
    overOne: both(1.7, 1.65),
    overUnshared: both(1.1, 1.61),
  };
  const text = targetsSentence(main, scale);
  expect(text).toContain('against 1 worker thread on: 220w load, 1000w load, 1000w run (3 of 3)');
  expect(text).toContain('against the unshared single thread on: 1000w run (1 of 3)');
  expect(text).toContain('on 220w, load and run): not met.'); // the run phase is under the typed-array table
  expect(text).toContain('- 220w load: 1.60x of 1 worker thread, 1.59x of the unshared single thread');
  expect(text).toContain('- stretch, 220w: load 1.01x, run 0.99x of the typed-array table');
  expect(text).not.toContain('indicative');
  const stretched = targetsSentence({ ...main, overTyped: both(1, 1.3) }, scale);
  expect(stretched).toContain('load and run): met.');
});

test('the warm-up verdict is a sentence of its own, beside the cold one, and only when warm rounds ran', () => {
  const cold: ThreadSpeedups = { workload: '220w', rounds: TARGET_ROUNDS, overOne: both(1.41, 1.3) };
  expect(targetsSentence(cold, undefined)).not.toContain('warm-up');
  const warm = targetsSentence({ ...cold, warmOverOne: both(1.65, 1.8), warmOverTyped: both(0.95, 1.2) }, undefined);
  expect(warm).toContain('against 1 worker thread on: none (0 of 3)'); // the cold verdict is unchanged
  expect(warm).toContain(
    "After a warm-up of both (the code compiled before the clocks; the figures above are cold processes'), 2 worker threads reached 1.65x (load) and 1.80x (run) of 1 worker thread on 220w: the 220w load target met that way; the stretch not met (load 0.95x, run 1.20x of the typed-array table).",
  );
  const short = targetsSentence({ ...cold, warmOverOne: both(1.59, 2) }, undefined);
  expect(short).toContain(
    '1.59x (load) and 2.00x (run) of 1 worker thread on 220w: the 220w load target not met that way.',
  );
});

test('missing sections and short runs are said, not counted as met', () => {
  const main: ThreadSpeedups = { workload: '220w', rounds: 2, overOne: both(2, 2) };
  const text = targetsSentence(main, undefined);
  expect(text).toContain('against 1 worker thread on: 220w load (1 of 3)');
  expect(text).toContain('against the unshared single thread on: none (0 of 3)');
  expect(text).toContain('- the scale workload load: not measured (no scale section in this run)');
  expect(text).toContain('not measured against the unshared single thread');
  expect(text).toContain(
    'stretch (2 worker threads at or above the typed-array table on 220w, load and run): not measured',
  );
  expect(text).toContain(`fewer rounds than the ${TARGET_ROUNDS} the targets ask for`);
});
