// The YCSB report: a human-readable table, or one JSON object.

import { OP_NAMES } from './workload';
import type { PhaseReport, YcsbReport } from './runner';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function phaseRow(name: string, p: PhaseReport): string[] {
  const mix = OP_NAMES.map((op) => `${int(p.mix[op])} (${p.ops ? ((100 * p.mix[op]) / p.ops).toFixed(1) : '0.0'}%)`);
  return [name, int(p.ops), p.seconds.toFixed(3), int(p.opsPerSec), ...mix, int(p.failed)];
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))
    .join('\n');
}

export function formatReport(r: YcsbReport): string {
  const s = r.stats;
  const lines = [
    `pmehash YCSB  load ${r.files.load}  run ${r.files.run}`,
    `store ${r.dir} (durability ${r.durability}${r.threads > 1 ? `, ${r.threads} worker threads` : ''})`,
    ...(r.warmUp
      ? [
          `warm-up   ${int(r.warmUp.load)} load and ${int(r.warmUp.run)} run operations (the first of each phase) ran on a scratch store before the clocks: V8 had compiled the code (without --warm-up, the figures are a cold process's)`,
        ]
      : []),
    '',
    table([
      ['phase', 'ops', 'seconds', 'ops/s', ...OP_NAMES, 'failed'],
      phaseRow('load', r.load),
      phaseRow('run', r.run),
    ]),
    '',
    ...(r.threads > 1
      ? [
          `threads   load ops per thread ${r.load.perThread!.map(int).join(', ')}; run ops per thread ${r.run.perThread!.map(int).join(', ')}`,
        ]
      : []),
    ...(r.oneThread
      ? [
          `speed-up  ${r.threads} threads / 1 thread (same workload, unshared store): load ${(r.load.opsPerSec / r.oneThread.load.opsPerSec).toFixed(2)}x (${int(r.oneThread.load.opsPerSec)} ops/s on 1 thread), run ${(r.run.opsPerSec / r.oneThread.run.opsPerSec).toFixed(2)}x (${int(r.oneThread.run.opsPerSec)})`,
        ]
      : []),
    `reads     ${int(r.reads.found)} returned the expected value, ${int(r.reads.missed)} missed, ${int(r.reads.mismatched)} mismatched`,
    `store     global depth ${s.globalDepth}, ${int(s.buckets)} buckets, ${int(s.pageFiles)} page files, ${int(s.keys)} keys, load factor ${s.loadFactor.toFixed(3)}`,
    `parsing   ${(r.parse.bytes / 1e6).toFixed(1)} MB in ${r.parse.seconds.toFixed(3)} s (${int(r.parse.mbPerSec)} MB/s, not counted in the phases)`,
  ];
  if (r.problems)
    lines.push(
      `check     ${r.problems.length === 0 ? 'consistent' : `${r.problems.length} problem(s): ${r.problems.slice(0, 3).join('; ')}`}`,
    );
  return lines.join('\n');
}

export function jsonReport(r: YcsbReport): string {
  return JSON.stringify(r);
}
