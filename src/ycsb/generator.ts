// Writes YCSB core-workload files: the load file inserts fnv64(0 .. records-1) in order; the run
// file mixes operations with keys from a scrambled zipfian over the records inserted so far
// (YCSB's CoreWorkload with requestdistribution=zipfian, insertorder=hashed).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { halvesToString } from '../uint64';
import { fnv64, fnvOut } from './fnv64';
import { SeededRandom } from './random';
import type { WorkloadSpec } from './workload-spec';
import { ScrambledZipfian } from './zipfian';

const CHUNK = 1 << 20;
const RUN_OPS = ['READ', 'UPDATE', 'INSERT'];

/** Buffered writer of `OP key\n` lines. */
class LineWriter {
  private readonly buf = Buffer.allocUnsafe(CHUNK + 64);
  private used = 0;
  private readonly fd: number;

  /** Lines go to `file`.tmp, renamed to `file` on close: a file present is a whole file. */
  constructor(private readonly file: string) {
    this.fd = fs.openSync(`${file}.tmp`, 'w');
  }

  line(op: string, lo: number, hi: number): void {
    this.used += this.buf.write(op, this.used, 'latin1');
    this.buf[this.used++] = 0x20;
    this.used += this.buf.write(halvesToString(lo, hi), this.used, 'latin1');
    this.buf[this.used++] = 0x0a;
    if (this.used >= CHUNK) this.flush();
  }

  private flush(): void {
    fs.writeSync(this.fd, this.buf, 0, this.used);
    this.used = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
    fs.renameSync(`${this.file}.tmp`, this.file);
  }
}

export function loadFile(dir: string, spec: WorkloadSpec): string {
  return path.join(dir, `${spec.name}-load.txt`);
}

export function runFile(dir: string, spec: WorkloadSpec): string {
  return path.join(dir, `${spec.name}-run.txt`);
}

export function generateLoad(file: string, records: number): void {
  const out = new LineWriter(file);
  for (let i = 0; i < records; i++) {
    fnv64(i);
    out.line('INSERT', fnvOut[0], fnvOut[1]);
  }
  out.close();
}

/**
 * The run file. The operation mix is exact (each kind's count is its share of the operations,
 * rounded) in a seeded random order, so small files match the requested mix too; keys follow
 * YCSB: READ/UPDATE draw a scrambled-zipfian record among those inserted so far, INSERT takes
 * the next record number.
 */
export function generateRun(file: string, spec: WorkloadSpec, seed: number): void {
  const random = new SeededRandom(seed);
  const kinds = new Uint8Array(spec.operations); // 0 READ, 1 UPDATE, 2 INSERT
  const reads = Math.round(spec.operations * spec.read);
  const updates = Math.round(spec.operations * spec.update);
  kinds.fill(1, reads, reads + updates);
  kinds.fill(2, reads + updates);
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random.nextDouble() * (i + 1));
    const t = kinds[i];
    kinds[i] = kinds[j];
    kinds[j] = t;
  }
  // YCSB sizes the key chooser for the records plus twice the inserts it expects, with
  // inclusive bounds [0, records + expectedNewKeys]: hence the + 1.
  const expectedNewKeys = Math.floor(spec.operations * spec.insert * 2);
  const chooser = new ScrambledZipfian(spec.records + expectedNewKeys + 1, random);
  let inserted = spec.records; // records 0 .. inserted-1 exist
  const out = new LineWriter(file);
  for (let n = 0; n < spec.operations; n++) {
    let record: number;
    if (kinds[n] === 2) {
      record = inserted++;
    } else {
      do record = chooser.next();
      while (record >= inserted);
    }
    fnv64(record);
    out.line(RUN_OPS[kinds[n]], fnvOut[0], fnvOut[1]);
  }
  out.close();
}

/** Writes both files of `spec` into `dir` (skipping those present unless `force`). Returns what was written. */
export function generateWorkload(dir: string, spec: WorkloadSpec, seed: number, force = false): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const load = loadFile(dir, spec);
  if (force || !fs.existsSync(load)) {
    generateLoad(load, spec.records);
    written.push(load);
  }
  const run = runFile(dir, spec);
  if (force || !fs.existsSync(run)) {
    generateRun(run, spec, seed);
    written.push(run);
  }
  return written;
}
