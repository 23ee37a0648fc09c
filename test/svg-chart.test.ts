// The report's SVG writer: one bar per value, labels escaped, an axis that covers the data.

import { barChartSvg } from '../bench/svg-chart';

test('a grouped bar chart has a bar per value, escaped labels and a covering axis', () => {
  const svg = barChartSvg({
    title: 'A <b> & c',
    unit: 'ops/s',
    labels: ['w1', 'w2', 'w3'],
    series: [
      { name: 'load', color: '#111', values: [1_000, 2_500_000, 30] },
      { name: 'run', color: '#222', values: [4, 5, 3_400_000] },
    ],
  });
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).toContain('A &lt;b&gt; &amp; c');
  expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(6);
  expect(svg).toContain('>5M</text>'); // the axis top is the nice number above 3.4M
  expect(svg).toContain('<title>w3 run: 3400000</title>');
  const heights = [...svg.matchAll(/height="([\d.]+)" fill="#222"/g)].map((m) => Number(m[1]));
  expect(heights[2]).toBeGreaterThan(heights[0]);
});
