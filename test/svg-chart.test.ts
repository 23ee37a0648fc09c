// The report's SVG writer: one bar per value, labels escaped, an axis that covers the data, a
// min-max whisker on each bar that has a range, flagged bars and the note lines.

import { barChartSvg, type BarChart } from '../bench/svg-chart';

/** The numbers of every `name="..."` attribute of the elements with class `cls`, in order. */
function attrs(svg: string, cls: string, name: string): number[] {
  return [...svg.matchAll(new RegExp(`<[a-z]+ class="${cls}"[^>]* ${name}="([\\d.]+)"`, 'g'))].map((m) => Number(m[1]));
}

/** Each whisker's top and bottom y (SVG y grows downwards). */
function whiskers(svg: string): Array<{ top: number; bottom: number }> {
  return [...svg.matchAll(/<path class="whisker" d="M[\d.]+ ([\d.]+)H[\d.]+M[\d.]+ [\d.]+V([\d.]+)/g)].map((m) => ({
    top: Number(m[1]),
    bottom: Number(m[2]),
  }));
}

test('a grouped bar chart has a bar per value, escaped labels and a covering axis', () => {
  const svg = barChartSvg({
    title: 'A <b> & c',
    unit: 'ops/s',
    labels: ['w1', 'w2', 'w3'],
    series: [
      { name: 'load', color: '#111', points: [{ value: 1_000 }, { value: 2_500_000 }, { value: 30 }] },
      { name: 'run', color: '#222', points: [{ value: 4 }, { value: 5 }, { value: 3_400_000 }] },
    ],
  });
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).toContain('A &lt;b&gt; &amp; c');
  expect(svg.match(/<rect class="bar"[^>]*><title>/g)).toHaveLength(6);
  expect(svg).toContain('>5M</text>'); // the axis top is the nice number above 3.4M
  expect(svg).toContain('<title>w3 run: 3400000</title>');
  expect(svg).not.toContain('class="whisker"'); // no ranges, no whiskers
  const heights = [...svg.matchAll(/height="([\d.]+)" fill="#222"/g)].map((m) => Number(m[1]));
  expect(heights[2]).toBeGreaterThan(heights[0]);
});

const ranged: BarChart = {
  title: 'medians',
  subtitle: 'bar: median of 5 timed runs',
  unit: 'ops/s',
  labels: ['a', 'b'],
  series: [
    {
      name: 'load',
      color: '#111',
      points: [
        { value: 2_000_000, low: 1_000_000, high: 6_000_000 },
        { value: 3_000_000, low: 2_900_000, high: 3_100_000 },
      ],
    },
    {
      name: 'run',
      color: '#222',
      points: [{ value: 4_000_000, low: 500_000, high: 4_500_000, flagged: true }, { value: 1 }],
    },
  ],
  notes: ['2026-01-01 · a machine, Node v20.1.2', 'durability process · 5 timed runs'],
  flagNote: 'too short to time',
};

test('each bar with a range has a whisker from its min to its max, around its median', () => {
  const svg = barChartSvg(ranged);
  const ws = whiskers(svg);
  expect(ws).toHaveLength(3); // the fourth bar has no range
  const barTops = attrs(svg, 'bar', 'y');
  expect(barTops).toHaveLength(4);
  // min <= median <= max, in SVG coordinates: max highest (smallest y), then the median, then min.
  // Bars and whiskers come in the same order (a load, a run, b load); the median is the bar's top.
  ws.forEach((w, i) => {
    expect(w.top).toBeLessThan(w.bottom);
    expect(w.top).toBeLessThanOrEqual(barTops[i]);
    expect(barTops[i]).toBeLessThanOrEqual(w.bottom);
  });
  // The axis covers the highest max (6M), not just the highest median (4M): a 10M top.
  expect(svg).toContain('>10M</text>');
  expect(svg).toContain('<title>a load: 2000000 (min 1M, max 6M)</title>');
  // A whisker is as long as its range: 5M of 10M is half the 290-pixel plot.
  expect(ws[0].bottom - ws[0].top).toBeCloseTo(145, 0);
});

test('the notes, the subtitle and the flag footnote are printed; a flagged bar is faded and starred', () => {
  const svg = barChartSvg(ranged);
  const notes = [...svg.matchAll(/<text class="note"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  expect(notes).toEqual([...ranged.notes!, '* too short to time']);
  expect(svg).toContain('>bar: median of 5 timed runs</text>');
  expect(svg.match(/fill-opacity="0.45"/g)).toHaveLength(1);
  expect(svg).toContain('>*4M</text>');
  // No flagged bar, no footnote.
  const calm = barChartSvg({ ...ranged, series: [ranged.series[0]] });
  expect(calm).not.toContain('too short to time');
  // The notes sit inside the picture.
  const height = Number(/height="(\d+)"/.exec(svg)![1]);
  const ys = [...svg.matchAll(/<text class="note" x="[\d.]+" y="([\d.]+)"/g)].map((m) => Number(m[1]));
  expect(Math.max(...ys)).toBeLessThan(height);
});

test('legend entries with long names do not overlap; short ones keep their 140-pixel step', () => {
  const legend = (names: string[]): number[] =>
    attrs(
      barChartSvg({
        title: 't',
        unit: 'u',
        labels: ['a'],
        series: names.map((name) => ({ name, color: '#111', points: [{ value: 1 }] })),
      }),
      'legend',
      'x',
    );
  expect(legend(['load phase', 'run phase'])).toEqual([70, 210]);
  const names = ['unshared single thread', '1 worker thread', '2 worker threads'];
  const xs = legend(names);
  expect(xs).toHaveLength(3);
  // Each name (20 px after its swatch, up to 7 px a character) ends before the next swatch.
  names.slice(0, -1).forEach((name, i) => expect(xs[i] + 20 + name.length * 7).toBeLessThan(xs[i + 1]));
});
