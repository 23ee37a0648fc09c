// Workload file parser: `OP key` lines into compact typed arrays, straight from the bytes.
// No line is split into strings and no BigInt is made: keys are accumulated digit by digit into
// two uint32 halves. Blank lines, CRLF endings and surrounding spaces are accepted; anything
// else is a WorkloadError naming the file and line.

import * as fs from 'node:fs';
import { OP_DELETE, OP_INSERT, OP_READ, OP_UPDATE, type Workload } from './workload';

/** The first four bytes of each keyword as a little-endian uint32. */
const first4 = (word: string): number => Buffer.from(word, 'latin1').readUInt32LE(0);
const INSE = first4('INSERT');
const READ = first4('READ');
const UPDA = first4('UPDATE');
const DELE = first4('DELETE');
const TWO_32 = 4294967296;
const POW10 = [1, 10, 100, 1000, 10000, 100000];
const NL = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const ZERO = 0x30;

export class WorkloadError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
    this.name = 'WorkloadError';
  }
}

/**
 * Files are read in chunks of this size into one reused buffer, which stays in the CPU cache;
 * reading a whole file into a fresh buffer of its size costs a page fault for every 4 KiB.
 */
export const CHUNK_BYTES = 1 << 20;

export function parseWorkloadFile(file: string): Workload {
  let fd = -1;
  try {
    fd = fs.openSync(file, 'r');
    const builder = new WorkloadBuilder(file, fs.fstatSync(fd).size);
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let kept = 0; // bytes of an unfinished line, moved to the front of the chunk
    for (;;) {
      const n = fs.readSync(fd, chunk, kept, chunk.length - kept, null);
      const filled = kept + n;
      if (n === 0) {
        builder.parseLines(chunk, filled); // the last line, without a final newline
        return builder.finish();
      }
      const lineEnd = chunk.lastIndexOf(NL, filled - 1) + 1;
      if (lineEnd === 0 && filled === chunk.length) {
        throw new WorkloadError(file, builder.lines + 1, `line longer than ${CHUNK_BYTES} bytes`);
      }
      builder.parseLines(chunk, lineEnd);
      kept = filled - lineEnd;
      chunk.copyWithin(0, lineEnd, filled);
    }
  } catch (err) {
    if (err instanceof WorkloadError) throw err;
    throw new WorkloadError(
      file,
      0,
      `cannot read workload file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** Parses a workload held in memory. */
export function parseWorkload(input: Uint8Array, file: string): Workload {
  const builder = new WorkloadBuilder(file, input.length);
  builder.parseLines(input, input.length);
  return builder.finish();
}

function grow<T extends Uint8Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CR;
}

/** Bytes of a bad line an error quotes at most. */
const QUOTED_BYTES = 80;

/** The error for the line holding byte p, quoting the line (only ever built on failure). */
function lineError(buf: Uint8Array, file: string, p: number, line: number, problem: string): WorkloadError {
  const start = buf.lastIndexOf(NL, Math.max(p - 1, 0)) + 1;
  let stop = buf.indexOf(NL, start);
  if (stop < 0) stop = buf.length;
  if (stop > start && buf[stop - 1] === CR) stop--; // a CRLF ending is not part of the line
  return new WorkloadError(file, line, `${problem}: ${quoteBytes(buf.subarray(start, stop))}`);
}

/**
 * A line of input as an error message may show it: in double quotes, printable ASCII as it is,
 * and every other byte escaped (\t, \r, \xNN), so that no control byte of a file reaches the
 * terminal; at most QUOTED_BYTES bytes, then "...".
 */
export function quoteBytes(bytes: Uint8Array): string {
  let text = '';
  const n = Math.min(bytes.length, QUOTED_BYTES);
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    if (c === 0x22 || c === 0x5c) text += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c < 0x7f) text += String.fromCharCode(c);
    else if (c === TAB) text += '\\t';
    else if (c === CR) text += '\\r';
    else text += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `"${text}"${bytes.length > n ? '...' : ''}`;
}

/** Accumulates operations from whole lines, chunk after chunk. */
class WorkloadBuilder {
  /** Lines parsed so far (blank ones included): the number of the last line seen. */
  lines = 0;
  private count = 0;
  private ops: Uint8Array;
  private keyLo: Uint32Array;
  private keyHi: Uint32Array;

  constructor(
    private readonly file: string,
    private readonly bytes: number,
  ) {
    // Arrays sized for typical lines (about 26 bytes), doubled in the rare case of short lines.
    const capacity = (bytes >>> 4) + 16;
    this.ops = new Uint8Array(capacity);
    this.keyLo = new Uint32Array(capacity);
    this.keyHi = new Uint32Array(capacity);
  }

  /** Parses the lines in input[0, end): every one ends with a newline, except maybe the file's last. */
  parseLines(input: Uint8Array, end: number): void {
    // A plain Uint8Array view (not a Buffer subclass) keeps element access monomorphic; it ends
    // at `end`, so that a short last line never reads stale bytes of an earlier chunk.
    const buf = new Uint8Array(input.buffer, input.byteOffset, end);
    const file = this.file;
    let { ops, keyLo, keyHi, count } = this;
    let capacity = ops.length;
    let line = this.lines;
    let p = 0;
    while (p < end) {
      line++;
      while (p < end && isBlank(buf[p])) p++;
      if (p >= end) break;
      if (buf[p] === NL) {
        p++;
        continue; // blank line
      }
      // operation keyword: its first four bytes as one little-endian number, then the rest
      const head4 = (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
      let op: number;
      if (head4 === INSE && buf[p + 4] === 0x52 && buf[p + 5] === 0x54) op = OP_INSERT;
      else if (head4 === READ) op = OP_READ;
      else if (head4 === UPDA && buf[p + 4] === 0x54 && buf[p + 5] === 0x45) op = OP_UPDATE;
      else if (head4 === DELE && buf[p + 4] === 0x54 && buf[p + 5] === 0x45) op = OP_DELETE;
      else throw lineError(buf, file, p, line, 'unknown operation');
      p += op === OP_READ ? 4 : 6;
      if (p < end && buf[p] !== SPACE && buf[p] !== TAB && buf[p] !== NL && buf[p] !== CR)
        throw lineError(buf, file, p, line, 'unknown operation');
      while (p < end && (buf[p] === SPACE || buf[p] === TAB)) p++;
      // key: unsigned decimal. The first 15 digits accumulate exactly in a double (10^15 < 2^53),
      // the rest (at most 5 for a uint64) in a second small number; the two are then combined on
      // uint32 halves: key = head * 10^n + tail.
      const digitsStart = p;
      let head = 0;
      for (; p < end && p - digitsStart < 15; p++) {
        const d = buf[p] - ZERO;
        if (d < 0 || d > 9) break;
        head = head * 10 + d;
      }
      let lo = head >>> 0; // ToUint32: exact modulo 2^32 below 2^53, and much cheaper than %
      let hi = (head - lo) / TWO_32;
      const tailStart = p;
      let tail = 0;
      for (; p < end; p++) {
        const d = buf[p] - ZERO;
        if (d < 0 || d > 9) break;
        tail = tail * 10 + d;
        if (p - tailStart >= 5) throw lineError(buf, file, p, line, 'key exceeds 2^64-1');
      }
      if (p > tailStart) {
        const scale = POW10[p - tailStart];
        const low = lo * scale + tail; // < 2^32 * 10^5: exact
        lo = low >>> 0;
        hi = hi * scale + (low - lo) / TWO_32;
        if (hi >= TWO_32) throw lineError(buf, file, p, line, 'key exceeds 2^64-1');
      }
      const digits = p - digitsStart;
      if (digits === 0)
        throw lineError(
          buf,
          file,
          p,
          line,
          p >= end || buf[p] === NL || buf[p] === CR ? 'missing key' : 'key is not an unsigned decimal number',
        );
      while (p < end && isBlank(buf[p])) p++;
      if (p < end && buf[p] !== NL) throw lineError(buf, file, p, line, 'key is not an unsigned decimal number');
      p++;
      if (count === capacity) {
        capacity *= 2;
        ops = grow(ops, new Uint8Array(capacity));
        keyLo = grow(keyLo, new Uint32Array(capacity));
        keyHi = grow(keyHi, new Uint32Array(capacity));
      }
      ops[count] = op;
      keyLo[count] = lo;
      keyHi[count] = hi;
      count++;
    }
    this.ops = ops;
    this.keyLo = keyLo;
    this.keyHi = keyHi;
    this.count = count;
    this.lines = line;
  }

  finish(): Workload {
    const { file, count, bytes } = this;
    return {
      file,
      count,
      ops: this.ops.subarray(0, count),
      keyLo: this.keyLo.subarray(0, count),
      keyHi: this.keyHi.subarray(0, count),
      bytes,
    };
  }
}
