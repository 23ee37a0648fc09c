// `make bench-scale`: PmEHash load and run OPS and nanoseconds per operation at 1w, 10w, 220w
// and 1000w (10,000,000 records, 1,000,000 run operations), to show the cost per operation as
// the table grows. Each point is the median of --runs runs (default 5: the 1000w point varies by
// up to 30% from run to run on a shared 2-core machine), in processes of its own.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectDir } from '../src/files';
import { generateWorkload, loadFile, runFile } from '../src/ycsb/generator';
import { DEFAULT_SEED, findWorkload } from '../src/ycsb/workload-spec';
import type { ContenderResult } from './contender';
import { arg, fmt, machine, measure, median, scratchDir, today } from './measure';

const POINTS = ['1w-rw-50-50', '10w-rw-50-50', '220w-rw-50-50', '1000w-rw-50-50'];

function main(): void {
  const runs = Number(arg('--runs') ?? 5);
  const out = arg('--out');
  const wlDir = path.join(projectDir(), 'workload');
  const scratch = scratchDir('scale');
  const rows: string[] = [];
  try {
    for (const name of POINTS) {
      const spec = findWorkload(name)!;
      generateWorkload(wlDir, spec, DEFAULT_SEED);
      const rs: ContenderResult[] = [];
      for (let r = 0; r < runs; r++)
        rs.push(measure('pmehash', loadFile(wlDir, spec), runFile(wlDir, spec), path.join(scratch, name)));
      const l = median(rs.map((r) => r.load.opsPerSec));
      const rr = median(rs.map((r) => r.run.opsPerSec));
      rows.push(
        `| ${name} | ${fmt(spec.records)} | ${fmt(l)} | ${(1e9 / l).toFixed(0)} | ${fmt(rr)} | ${(1e9 / rr).toFixed(0)} | ${median(rs.map((r) => r.reopenSeconds ?? NaN)).toFixed(3)} | ${fmt(median(rs.map((r) => r.peakRssMB)))} |`,
      );
      process.stderr.write(`${rows[rows.length - 1]}\n`);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const text = [
    `PmEHash (durability process), ${runs} runs per point, medians.`,
    '',
    '| workload | records | load ops/s | load ns/op | run ops/s | run ns/op | reopen s | peak RSS MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Machine: ${machine()}. Date: ${today()}.`,
  ].join('\n');
  process.stdout.write(text + '\n');
  if (out) fs.writeFileSync(out, `# Scaling results\n\nWritten by \`make bench-scale\` from a real run.\n\n${text}\n`);
}

main();
