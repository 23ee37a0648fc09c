// The workload generator: YCSB's fnv64 keys, byte-exact load files, the requested mix,
// zipfian reads of keys that exist, and determinism.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fnv64BigInt } from '../src/ycsb/fnv64';
import { generateLoad, generateRun, generateWorkload } from '../src/ycsb/generator';
import { WORKLOADS, findWorkload } from '../src/ycsb/workload-spec';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

/** An independent reference: FNV-1a 64 over the 8 little-endian bytes, in BigInt, then |x| as int64. */
function referenceFnv64(i: number): bigint {
  let h = 0xcbf29ce484222325n;
  let v = BigInt(i);
  for (let b = 0; b < 8; b++) {
    h ^= v & 0xffn;
    v >>= 8n;
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  const signed = BigInt.asIntN(64, h);
  return signed < 0n ? BigInt.asUintN(64, -signed) : signed;
}

test("fnv64 gives YCSB's known keys", () => {
  expect(fnv64BigInt(0)).toBe(6284781860667377211n);
  expect(fnv64BigInt(1)).toBe(8517097267634966620n);
  for (const i of [2, 255, 256, 65535, 99_999, 100_000, 2 ** 31, 2 ** 32 + 5, 2 ** 40 + 123]) {
    expect(fnv64BigInt(i)).toBe(referenceFnv64(i));
  }
});

test('a 10,000-record load file is exactly the INSERT fnv64(i) lines', () => {
  const file = path.join(tempDir('gen'), 'load.txt');
  generateLoad(file, 10_000);
  let expected = '';
  for (let i = 0; i < 10_000; i++) expected += `INSERT ${referenceFnv64(i)}\n`;
  expect(fs.readFileSync(file, 'latin1')).toBe(expected);
});

test.each(WORKLOADS.filter((w) => w.records <= 100_000).map((w) => [w.name, w]))(
  '%s run file: mix within 2 points, reads hit inserted keys',
  (_name, spec) => {
    const file = path.join(tempDir('gen'), 'run.txt');
    generateRun(file, spec, 7);
    const lines = fs.readFileSync(file, 'latin1').trimEnd().split('\n');
    expect(lines).toHaveLength(spec.operations);
    const counts = { READ: 0, UPDATE: 0, INSERT: 0 } as Record<string, number>;
    const known = new Set<string>();
    for (let i = 0; i < spec.records; i++) known.add(String(referenceFnv64(i)));
    let next = spec.records;
    let strays = 0;
    for (const line of lines) {
      const [op, key] = line.split(' ');
      counts[op]++;
      if (op === 'INSERT') {
        expect(key).toBe(String(referenceFnv64(next++))); // inserts continue the record sequence
        known.add(key);
      } else if (!known.has(key)) {
        strays++;
      }
    }
    expect(strays).toBe(0);
    expect(Math.abs(counts.READ / spec.operations - spec.read)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(counts.UPDATE / spec.operations - spec.update)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(counts.INSERT / spec.operations - spec.insert)).toBeLessThanOrEqual(0.02);
  },
);

test('zipfian reads are skewed: the hottest key is read far more than the average', () => {
  const spec = findWorkload('10w-rw-100-0')!;
  const file = path.join(tempDir('gen'), 'run.txt');
  generateRun(file, spec, 11);
  const freq = new Map<string, number>();
  for (const line of fs.readFileSync(file, 'latin1').trimEnd().split('\n')) freq.set(line, (freq.get(line) ?? 0) + 1);
  const top = Math.max(...freq.values());
  expect(top).toBeGreaterThan(200); // theta 0.99: the first item takes ~4% of 10,000 reads
  expect(freq.size).toBeGreaterThan(5_000); // and the tail is long
});

test('the run file is a function of the seed: the same seed, the same bytes', () => {
  const spec = findWorkload('10w-rw-50-50')!;
  const [a, b, c] = [tempDir('seed'), tempDir('seed'), tempDir('seed')];
  generateWorkload(a, spec, 5);
  generateWorkload(b, spec, 5);
  generateWorkload(c, spec, 6);
  const read = (dir: string, kind: string) => fs.readFileSync(path.join(dir, `${spec.name}-${kind}.txt`));
  expect(read(a, 'load').equals(read(b, 'load'))).toBe(true);
  expect(read(a, 'run').equals(read(b, 'run'))).toBe(true);
  expect(read(a, 'run').equals(read(c, 'run'))).toBe(false);
  expect(fs.readdirSync(a).sort()).toEqual([`${spec.name}-load.txt`, `${spec.name}-run.txt`]); // no .tmp left
});
