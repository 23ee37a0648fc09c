// `make bench-scale`: PmEHash load and run OPS and nanoseconds per operation at 1w, 10w, 220w
// and 1000w (10,000,000 records, 1,000,000 run operations), to show the cost per operation as
// the table grows. Each point is the median of --runs runs (default 3), in processes of its own.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { projectDir } from '../src/files';
import { generateWorkload, loadFile, runFile } from '../src/ycsb/generator';
import { DEFAULT_SEED, findWorkload } from '../src/ycsb/workload-spec';
import type { ContenderResult } from './contender';

const POINTS = ['1w-rw-50-50', '10w-rw-50-50', '220w-rw-50-50', '1000w-rw-50-50'];
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): void {
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 3;
  const o = process.argv.indexOf('--out');
  const wlDir = path.join(projectDir(), 'workload');
  const scratch = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'pmehash-scale-'));
  const rows: string[] = [];
  try {
    for (const name of POINTS) {
      const spec = findWorkload(name)!;
      generateWorkload(wlDir, spec, DEFAULT_SEED);
      const rs: ContenderResult[] = [];
      for (let r = 0; r < runs; r++) {
        const p = spawnSync(process.execPath, [path.join(__dirname, 'contender.js'), 'pmehash', loadFile(wlDir, spec), runFile(wlDir, spec), path.join(scratch, name)], { encoding: 'utf8' });
        if (p.status !== 0) throw new Error(`${name}: ${p.stderr}`);
        rs.push(JSON.parse(p.stdout));
      }
      const l = median(rs.map((r) => r.load.opsPerSec));
      const rr = median(rs.map((r) => r.run.opsPerSec));
      rows.push(`| ${name} | ${fmt(spec.records)} | ${fmt(l)} | ${(1e9 / l).toFixed(0)} | ${fmt(rr)} | ${(1e9 / rr).toFixed(0)} | ${median(rs.map((r) => r.reopenSeconds ?? NaN)).toFixed(3)} | ${fmt(median(rs.map((r) => r.peakRssMB)))} |`);
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
    `Machine: ${os.cpus().length} x ${os.cpus()[0]?.model}, Node ${process.version}. Date: ${new Date().toISOString().slice(0, 10)}.`,
  ].join('\n');
  process.stdout.write(text + '\n');
  if (o >= 0) fs.writeFileSync(process.argv[o + 1], `# Scaling results\n\nWritten by \`make bench-scale\` from a real run.\n\n${text}\n`);
}

main();
