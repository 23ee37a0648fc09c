// Writes YCSB core-workload files: the load file inserts fnv64(0 .. records-1) in order; the run
// file draws each operation from the mix and its key from a scrambled zipfian over the records
// inserted so far (YCSB's CoreWorkload with requestdistribution=zipfian, insertorder=hashed).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fnv64, fnvOut } from './fnv64';
import { SeededRandom } from './random';
import type { WorkloadSpec } from './workload-spec';
import { ScrambledZipfian } from './zipfian';

const TWO_32 = 4294967296;
const CHUNK = 1 << 20;

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
    const text = hi < 0x200000 ? String(hi * TWO_32 + lo) : ((BigInt(hi) << 32n) | BigInt(lo)).toString();
    this.used += this.buf.write(text, this.used, 'latin1');
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

export function generateRun(file: string, spec: WorkloadSpec, seed: number): void {
  const random = new SeededRandom(seed);
  // YCSB sizes the key chooser for the records plus twice the inserts it expects, with
  // inclusive bounds [0, records + expectedNewKeys]: hence the + 1.
  const expectedNewKeys = Math.floor(spec.operations * spec.insert * 2);
  const chooser = new ScrambledZipfian(spec.records + expectedNewKeys + 1, random);
  let inserted = spec.records; // records 0 .. inserted-1 exist
  const out = new LineWriter(file);
  for (let n = 0; n < spec.operations; n++) {
    // The operation, as YCSB's DiscreteGenerator picks it: READ, UPDATE, INSERT in that order.
    const u = random.nextDouble();
    let op: string;
    let record: number;
    if (u < spec.read + spec.update) {
      op = u < spec.read ? 'READ' : 'UPDATE';
      do record = chooser.next();
      while (record >= inserted);
    } else {
      op = 'INSERT';
      record = inserted++;
    }
    fnv64(record);
    out.line(op, fnvOut[0], fnvOut[1]);
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
