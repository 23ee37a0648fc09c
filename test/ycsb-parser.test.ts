// The workload parser on tricky but valid lines, and on every kind of bad input.

import * as path from 'node:path';
import * as fs from 'node:fs';
import { CHUNK_BYTES, parseWorkload, parseWorkloadFile, WorkloadError } from '../src/ycsb/parser';
import { OP_DELETE, OP_INSERT, OP_READ, OP_UPDATE, type Workload } from '../src/ycsb/workload';
import { thrown } from './helpers/thrown';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

function keys(w: Workload): bigint[] {
  return Array.from({ length: w.count }, (_, i) => (BigInt(w.keyHi[i]) << 32n) | BigInt(w.keyLo[i]));
}

const parse = (text: string) => parseWorkload(Buffer.from(text, 'latin1'), 'w.txt');

test('edge keys parse exactly', () => {
  const edge = [
    0n,
    1n,
    4294967295n,
    4294967296n,
    2n ** 53n + 1n,
    999999999999999n,
    1000000000000000n,
    2n ** 63n,
    2n ** 64n - 1n,
  ];
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
  const e = thrown<WorkloadError>(() => parse(text));
  expect(e).toBeInstanceOf(WorkloadError);
  expect(e.file).toBe('w.txt');
  expect(e.line).toBe(line);
  expect(e.message).toMatch(new RegExp(`^w\\.txt:${line}: `));
  expect(e.message).toMatch(problem);
});

test('a bad line is quoted with its control bytes escaped and its length bounded, file and line named', () => {
  const e = thrown<WorkloadError>(() => parse('INSERT 1\n\x1b[2J\rX 5\x00"\\\n'));
  expect(e.message).toBe('w.txt:2: unknown operation: "\\x1b[2J\\rX 5\\x00\\"\\\\"');
  expect([...e.message].every((c) => c >= ' ' && c <= '~')).toBe(true); // printable ASCII only
  const long = thrown<WorkloadError>(() => parse(`READ ${'7'.repeat(30)}\x07${'x'.repeat(200)}\n`));
  expect(long.message).toMatch(/^w\.txt:1: key exceeds 2\^64-1: "READ 7{30}\\x07x{44}"\.\.\.$/);
  expect(thrown<WorkloadError>(() => parse('SCAN 5\r\n')).message).toBe('w.txt:1: unknown operation: "SCAN 5"');
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

describe('files are read in chunks', () => {
  // Lines of every length from 8 to 40 bytes, CRLF and blank lines among them, so that chunk
  // boundaries fall at every position inside a line.
  function text(lines: number): string {
    const ops = ['INSERT', 'READ', 'UPDATE', 'DELETE'];
    let out = '';
    for (let i = 0; i < lines; i++) {
      if (i % 97 === 0) out += '\n';
      const key = (BigInt(i) * 0x9e3779b97f4a7c15n) % 10n ** BigInt(1 + (i % 19)); // 1 to 19 digits
      out += `${ops[i % 4]}${' '.repeat(1 + (i % 3))}${key}${i % 5 === 0 ? '\r\n' : '\n'}`;
    }
    return out;
  }

  test('a file of several chunks parses exactly like the same bytes in memory', () => {
    const body = text(200_000);
    expect(body.length).toBeGreaterThan(3 * CHUNK_BYTES);
    const file = path.join(tempDir('parse'), 'big.txt');
    fs.writeFileSync(file, body + 'READ 7'); // and a last line without a newline
    const fromFile = parseWorkloadFile(file);
    const inMemory = parseWorkload(Buffer.from(body + 'READ 7', 'latin1'), file);
    expect(fromFile.count).toBe(200_001);
    expect(fromFile.bytes).toBe(body.length + 6);
    expect(Buffer.from(fromFile.ops)).toEqual(Buffer.from(inMemory.ops));
    expect(keys(fromFile)).toEqual(keys(inMemory));
    expect(keys(fromFile)[200_000]).toBe(7n);
  });

  test('an error after the first chunk names its line', () => {
    const body = text(100_000);
    const lines = body.split('\n').length - 1;
    const file = path.join(tempDir('parse'), 'bad.txt');
    fs.writeFileSync(file, `${body}INSERT 12x\n`);
    expect(() => parseWorkloadFile(file)).toThrow(
      new RegExp(`bad\\.txt:${lines + 1}: key is not an unsigned decimal number: "INSERT 12x"`),
    );
  });

  test('a line longer than a chunk is refused with its line number', () => {
    const file = path.join(tempDir('parse'), 'long.txt');
    fs.writeFileSync(file, `READ 1\nREAD ${'1'.repeat(CHUNK_BYTES)}\n`);
    expect(() => parseWorkloadFile(file)).toThrow(/long\.txt:2: line longer than/);
  });
});
