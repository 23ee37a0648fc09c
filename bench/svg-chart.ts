// A small SVG writer for grouped bar charts (one group per label, one bar per series): each bar
// is a median with a whisker from its lowest to its highest run, and the chart carries note lines
// under the legend (when, where and how it was measured). A pure function: data in, SVG text out.

/** One bar: the plotted value (a median) and, when it summarizes several runs, their range. */
export interface BarPoint {
  value: number;
  /** The whisker, drawn when both are given: the lowest and the highest run. */
  low?: number;
  high?: number;
  /** Drawn faded, its label starred: the chart's `flagNote` says why. */
  flagged?: boolean;
}

export interface BarSeries {
  name: string;
  color: string;
  points: BarPoint[];
}

export interface BarChart {
  title: string;
  /** A line under the title, e.g. what a bar and a whisker are. */
  subtitle?: string;
  unit: string;
  labels: string[];
  series: BarSeries[];
  /** Lines printed under the legend: date, machine, settings. */
  notes?: string[];
  /** The footnote of flagged bars (printed after a star when any bar is flagged). */
  flagNote?: string;
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

const NOTE_LINE = 16;
/** The legend: entries at least this far apart, and a generous width per character of a name. */
const LEGEND_STEP = 140;
const LEGEND_CHAR = 7;

export function barChartSvg(chart: BarChart): string {
  const flagged = chart.series.some((s) => s.points.some((p) => p.flagged));
  const notes = [...(chart.notes ?? []), ...(flagged && chart.flagNote ? [`* ${chart.flagNote}`] : [])];
  const width = 900;
  const m = { top: chart.subtitle ? 66 : 50, right: 20, bottom: 80 + NOTE_LINE * notes.length, left: 70 };
  const height = m.top + 290 + m.bottom;
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const top = niceMax(Math.max(...chart.series.flatMap((s) => s.points.map((p) => Math.max(p.value, p.high ?? 0)))));
  const y = (v: number): number => m.top + plotH - (v / top) * plotH;
  const base = m.top + plotH;
  const groupW = plotW / chart.labels.length;
  const barW = (groupW * 0.8) / chart.series.length;
  const f = (n: number): string => n.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escape(chart.title)}</text>`,
  ];
  if (chart.subtitle)
    out.push(`<text class="subtitle" x="${width / 2}" y="44" text-anchor="middle">${escape(chart.subtitle)}</text>`);
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
      const p = s.points[g];
      const x = x0 + k * barW;
      const mid = x + barW / 2 - 1;
      const range =
        p.low !== undefined && p.high !== undefined ? ` (min ${compact(p.low)}, max ${compact(p.high)})` : '';
      const tip = `${label} ${s.name}: ${Math.round(p.value)}${range}${p.flagged ? ' *' : ''}`;
      out.push(
        `<rect class="bar" x="${f(x)}" y="${f(y(p.value))}" width="${f(barW - 2)}" height="${f(base - y(p.value))}" fill="${s.color}"${p.flagged ? ' fill-opacity="0.45"' : ''}><title>${escape(tip)}</title></rect>`,
      );
      let labelY = y(p.value);
      if (p.low !== undefined && p.high !== undefined) {
        const cap = barW * 0.15;
        out.push(
          `<path class="whisker" d="M${f(mid - cap)} ${f(y(p.high))}H${f(mid + cap)}M${f(mid)} ${f(y(p.high))}V${f(y(p.low))}M${f(mid - cap)} ${f(y(p.low))}H${f(mid + cap)}" stroke="#222" fill="none"/>`,
        );
        labelY = Math.min(labelY, y(p.high));
      }
      out.push(
        `<text x="${f(mid)}" y="${f(labelY - 4)}" text-anchor="middle" font-size="10">${p.flagged ? '*' : ''}${compact(p.value)}</text>`,
      );
    });
    out.push(
      `<text x="${f(x0 + (barW * chart.series.length) / 2)}" y="${base + 18}" text-anchor="middle">${escape(label)}</text>`,
    );
  });
  out.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${base}" y2="${base}" stroke="#333"/>`);
  const legendY = base + 44;
  let legendX = m.left;
  for (const s of chart.series) {
    out.push(`<rect class="legend" x="${legendX}" y="${legendY}" width="14" height="14" fill="${s.color}"/>`);
    out.push(`<text x="${legendX + 20}" y="${legendY + 11}">${escape(s.name)}</text>`);
    // The next entry starts after this one's name (at most LEGEND_CHAR pixels a character at 12 px).
    legendX += Math.max(LEGEND_STEP, 20 + Math.ceil(s.name.length * LEGEND_CHAR) + 24);
  }
  notes.forEach((line, i) => {
    out.push(
      `<text class="note" x="${m.left}" y="${legendY + 36 + i * NOTE_LINE}" font-size="11" fill="#444">${escape(line)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
