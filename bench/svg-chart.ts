// A small SVG writer for grouped bar charts (one group per label, one bar per series).

export interface BarSeries {
  name: string;
  color: string;
  values: number[];
}

export interface BarChart {
  title: string;
  unit: string;
  labels: string[];
  series: BarSeries[];
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at least `max`. */
function niceMax(max: number): number {
  const p = 10 ** Math.floor(Math.log10(max || 1));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max)!;
}

function compact(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

export function barChartSvg(chart: BarChart): string {
  const width = 900;
  const height = 420;
  const m = { top: 50, right: 20, bottom: 80, left: 70 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const top = niceMax(Math.max(...chart.series.flatMap((s) => s.values)));
  const y = (v: number): number => m.top + plotH - (v / top) * plotH;
  const groupW = plotW / chart.labels.length;
  const barW = (groupW * 0.8) / chart.series.length;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  for (let t = 0; t <= 5; t++) {
    const v = (top * t) / 5;
    out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${m.left - 6}" y="${y(v) + 4}" text-anchor="end">${compact(v)}</text>`);
  }
  out.push(
    `<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escape(chart.unit)}</text>`,
  );
  chart.labels.forEach((label, g) => {
    const x0 = m.left + g * groupW + groupW * 0.1;
    chart.series.forEach((s, k) => {
      const v = s.values[g];
      const x = x0 + k * barW;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(m.top + plotH - y(v)).toFixed(1)}" fill="${s.color}"><title>${escape(`${label} ${s.name}: ${Math.round(v)}`)}</title></rect>`,
      );
      out.push(
        `<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(y(v) - 4).toFixed(1)}" text-anchor="middle" font-size="10">${compact(v)}</text>`,
      );
    });
    out.push(
      `<text x="${(x0 + (barW * chart.series.length) / 2).toFixed(1)}" y="${m.top + plotH + 18}" text-anchor="middle">${escape(label)}</text>`,
    );
  });
  out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${m.top + plotH}" y2="${m.top + plotH}" stroke="#333"/>`);
  chart.series.forEach((s, k) => {
    const x = m.left + k * 140;
    out.push(`<rect x="${x}" y="${height - 30}" width="14" height="14" fill="${s.color}"/>`);
    out.push(`<text x="${x + 20}" y="${height - 19}">${escape(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
