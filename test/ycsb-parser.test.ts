// The workload parser on tricky but valid lines, and on every kind of bad input.

import * as path from 'node:path';
import * as fs from 'node:fs';
import { OP_DELETE, OP_INSERT, OP_READ, OP_UPDATE, parseWorkload, parseWorkloadFile, WorkloadError, type Workload } from '../src/ycsb/parser';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

function keys(w: Workload): bigint[] {
  return Array.from({ length: w.count }, (_, i) => (BigInt(w.keyHi[i]) << 32n) | BigInt(w.keyLo[i]));
}

const parse = (text: string) => parseWorkload(Buffer.from(text, 'latin1'), 'w.txt');

test('edge keys parse exactly', () => {
  const edge = [0n, 1n, 4294967295n, 4294967296n, 2n ** 53n + 1n, 999999999999999n, 1000000000000000n, 2n ** 63n, 2n ** 64n - 1n];
  const w = parse(edge.map((k) => `INSERT ${k}\n`).join(''));
  expect(w.count).toBe(edge.length);
  expect(keys(w)).toEqual(edge);
});

test('all four operations, CRLF endings, blank lines, spaces and a missing final newline', () => {
  const w = parse('INSERT 5\r\nREAD 5\r\n\r\n  UPDATE\t18446744073709551615  \r\nDELETE 7\n\n\nREAD 0');
  expect(Array.from(w.ops)).toEqual([OP_INSERT, OP_READ, OP_UPDATE, OP_DELETE, OP_READ]);
  expect(keys(w)).toEqual([5n, 5n, 2n ** 64n - 1n, 7n, 0n]);
});

test('an empty file is an empty workload', () => {
  expect(parse('').count).toBe(0);
  expect(parse('\n\n').count).toBe(0);
});

test.each([
  ['unknown operation', 'INSERT 1\nSCAN 5\n', 2, /unknown operation/],
  ['lower-case operation', 'insert 1\n', 1, /unknown operation/],
  ['operation glued to the key', 'INSERT1\n', 1, /unknown operation/],
  ['missing key', 'INSERT 1\nREAD\nREAD 2\n', 2, /missing key/],
  ['missing key before CRLF', 'READ \r\n', 1, /missing key/],
  ['non-numeric key', 'READ 12x4\n', 1, /not an unsigned decimal/],
  ['negative key', 'READ -4\n', 1, /not an unsigned decimal/],
  ['two keys', 'READ 1 2\n', 1, /not an unsigned decimal/],
  ['key 2^64', 'INSERT 1\nINSERT 2\nINSERT 18446744073709551616\n', 3, /exceeds 2\^64-1/],
  ['key of 25 digits', 'READ 1234567890123456789012345\n', 1, /exceeds 2\^64-1/],
])('%s is reported with file and line', (_label, text, line, problem) => {
  let error: unknown;
  try {
    parse(text);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(WorkloadError);
  const e = error as WorkloadError;
  expect(e.file).toBe('w.txt');
  expect(e.line).toBe(line);
  expect(e.message).toMatch(new RegExp(`^w\\.txt:${line}: `));
  expect(e.message).toMatch(problem);
});

test('a missing file is a WorkloadError naming it', () => {
  const file = path.join(tempDir('parse'), 'nope.txt');
  expect(() => parseWorkloadFile(file)).toThrow(WorkloadError);
  expect(() => parseWorkloadFile(file)).toThrow(/nope\.txt: cannot read workload file \(ENOENT\)/);
});

test('parses a large file of short lines (arrays grow past their first estimate)', () => {
  const file = path.join(tempDir('parse'), 'short.txt');
  fs.writeFileSync(file, 'READ 1\n'.repeat(100_000));
  const w = parseWorkloadFile(file);
  expect(w.count).toBe(100_000);
  expect(w.ops.every((op) => op === OP_READ)).toBe(true);
});
