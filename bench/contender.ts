// One benchmark measurement in a process of its own (so that peak RSS and JIT state belong to
// one contender): argv = contender name, load file, run file, scratch folder. Parses the
// workload and prepares keys before any clock starts; prints one JSON line. The C contender
// (bench/same-layout.c) is a program of its own that prints the same line. The thread
// contenders hand the files to runYcsbThreads, which parses and deals them before its clocks.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PmEHash } from '../src';
import type { Durability } from '../include-types/store';
import { projectDir } from '../src/files';
import { ExpectationTable, judgeRead as judge, type ReadExpectations } from '../src/ycsb/expectations';
import { parseWorkloadFile } from '../src/ycsb/parser';
import * as workload from '../src/ycsb/workload';
import { prefixOf, type Workload } from '../src/ycsb/workload';
import { freshStore, runPhase, runWarmUp, type ReadReport } from '../src/ycsb/runner';
import { runYcsbThreads } from '../src/ycsb/thread-runner';
import { runIndependentStores } from './independent-stores';
import { JsSameLayoutStore } from './js-same-layout';
import { TypedTable } from './typed-table';

// The operation codes as this module's own consts, as the PmEHash runner has them (see
// "Constants on the hot path" in src/bucket.ts): imported by name, every case of the contenders'
// switches would read them from the workload module's exports at every operation.
const { OP_DELETE, OP_INSERT, OP_READ, OP_UPDATE } = workload;

/** Every contender, in the order each round of `make bench` runs them. */
export const CONTENDERS = [
  'pmehash',
  'pmehash-threads-1',
  'pmehash-threads-2',
  'independent-2',
  'pmehash-warm',
  'pmehash-threads-1-warm',
  'pmehash-threads-2-warm',
  'c-same-layout',
  'js-same-layout',
  'typed-table',
  'map-bigint',
  'pmehash-sync',
  'lmdb-per-phase',
  'lmdb-per-op',
  'pmehash-log',
  'pmehash-log-batch',
  'lmdb-async',
  'pmehash-file',
] as const;
export type ContenderName = (typeof CONTENDERS)[number];

/** The worker threads of each thread contender: one store shared by them (runYcsbThreads). */
export const THREAD_CONTENDERS: Partial<Record<ContenderName, number>> = {
  'pmehash-threads-1': 1,
  'pmehash-threads-2': 2,
  'pmehash-threads-1-warm': 1,
  'pmehash-threads-2-warm': 2,
};

/**
 * The "-warm" contenders first run this many operations of each phase on a scratch store
 * (YcsbOptions.warmUp), so that V8 has compiled their code when the clocks start; the others are
 * cold processes. 300,000 is about a seventh of the 220w load and six sevenths of its run
 * (1,000,000 gave the same, 9 interleaved rounds). The warm rows' peak RSS includes the warm-up's
 * scratch store.
 */
export const WARM_UP = 300_000;
const isWarm = (name: ContenderName): boolean => name.endsWith('-warm');

export interface PhaseResult {
  ops: number;
  seconds: number;
  opsPerSec: number;
  /** Operations each worker thread ran (thread contenders only). */
  perThread?: number[];
}

export interface ContenderResult {
  name: ContenderName;
  load: PhaseResult;
  run: PhaseResult;
  reads: ReadReport;
  peakRssMB: number;
  parseMBps: number;
  reopenSeconds?: number;
  storeBytes?: number;
  keys?: number;
}

/**
 * Where the contenders that make a disk durable keep it (durability 'log''s log, lmdb-async's
 * database): on the project's own disk, not the tmpfs of the stores, since the fdatasync of a
 * disk is their cost. PMEHASH_BENCH_DISK overrides it.
 */
export function benchDiskDir(label: string): string {
  const root = process.env.PMEHASH_BENCH_DISK ?? path.join(projectDir(), 'data');
  return path.join(root, `bench-${label}-${process.pid}`);
}

/** Operations of each batch of the pmehash-log-batch contender's load, each followed by flush(). */
export const LOG_BATCH = 1000;

/** Durability 'sync' msyncs every persist: it runs on a prefix of each phase to stay bounded. */
const SYNC_PREFIX = 20_000;

const now = (): bigint => process.hrtime.bigint();
const since = (t: bigint): number => Number(process.hrtime.bigint() - t) / 1e9;
const phase = (ops: number, seconds: number): PhaseResult => ({ ops, seconds, opsPerSec: ops / seconds });

function folderBytes(dir: string): number {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

function runPmEHash(
  load: Workload,
  run: Workload,
  le: ReadExpectations,
  re: ReadExpectations,
  dir: string,
  durability: Durability,
  warm = false,
  logDir?: string,
) {
  const prepared = { load, run, loadExpected: le, runExpected: re, parseSeconds: 0 };
  if (warm) runWarmUp(prepared, WARM_UP, dir, durability);
  const store = freshStore(dir, durability, undefined, logDir);
  const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
  const l = runPhase(store, load, le, reads, 'load', false);
  const r = runPhase(store, run, re, reads, 'run', false);
  const keys = store.stats().keys;
  store.close();
  const t = now();
  const reopened = new PmEHash({ dir, durability, logDir });
  const reopenSeconds = since(t);
  reopened.close();
  return {
    load: phase(l.ops, l.seconds),
    run: phase(r.ops, r.seconds),
    reads,
    reopenSeconds,
    storeBytes: folderBytes(dir),
    keys,
  };
}

/** PmEHash shared by `threads` worker threads (src/ycsb/thread-runner.ts), which parse and deal the files. */
async function runPmEHashThreads(loadFile: string, runFile: string, dir: string, threads: number, warm: boolean) {
  const report = await runYcsbThreads({ loadFile, runFile, dir, threads, warmUp: warm ? WARM_UP : 0 });
  const t = now();
  const reopened = new PmEHash({ dir });
  const reopenSeconds = since(t);
  reopened.close();
  const p = (r: typeof report.load): PhaseResult => ({ ...phase(r.ops, r.seconds), perThread: r.perThread });
  return {
    load: p(report.load),
    run: p(report.run),
    reads: report.reads,
    parseMBps: report.parse.mbPerSec,
    reopenSeconds,
    storeBytes: folderBytes(dir),
    keys: report.stats.keys,
  };
}

/** Operations whose buckets are prefetched together, as in src/ycsb/runner.ts. */
const BATCH = 8;

/** What runTableBatch carries from one call to the next: the index of the next READ's expectation. */
interface BatchAt {
  read: number;
}

/** The in-memory tables a contender drives with runTableBatch (values as int32 bits in `out`). */
interface BenchTable {
  insert(lo: number, hi: number, vLo: number, vHi: number): number;
  update(lo: number, hi: number, vLo: number, vHi: number): number;
  search(lo: number, hi: number, out: Int32Array): number;
  /** Touches what operations [from, to) will use, before they run (a no-op for a table that does not prefetch). */
  prefetch(lo: Uint32Array, hi: Uint32Array, from: number, to: number): void;
}

/**
 * Runs operations [from, to) of `w` on `table`, after its prefetch. A function per batch, as the
 * PmEHash runner's runBatch: V8 then compiles the READ path, which the load phase never ran, into
 * the next call, instead of running the rest of a one-call phase loop unoptimized. Each
 * contender runs in a process of its own, so each process sees one kind of table here.
 */
function runTableBatch(
  table: BenchTable,
  w: Workload,
  expected: ReadExpectations,
  reads: ReadReport,
  out: Int32Array,
  at: BatchAt,
  from: number,
  to: number,
): void {
  const { ops, keyLo, keyHi } = w;
  table.prefetch(keyLo, keyHi, from, to);
  let r = at.read;
  for (let i = from; i < to; i++) {
    const lo = keyLo[i] | 0; // int32 bits, as the PmEHash runner passes them
    const hi = keyHi[i] | 0;
    switch (ops[i]) {
      case OP_INSERT:
        table.insert(lo, hi, lo, hi);
        break;
      case OP_UPDATE:
        table.update(lo, hi, ~lo, ~hi);
        break;
      case OP_READ: {
        const found = table.search(lo, hi, out) === 0;
        judge(reads, expected[r++], found, out[0] === lo && out[1] === hi, out[0] === ~lo && out[1] === ~hi);
        break;
      }
      case OP_DELETE:
        throw new Error('the in-memory and JavaScript same-layout contenders do not delete');
    }
  }
  at.read = r;
}

/** Both phases on `table`, in batches of BATCH operations. */
function runTable(table: BenchTable, load: Workload, run: Workload, le: ReadExpectations, re: ReadExpectations) {
  const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
  const out = new Int32Array(2);
  const go = (w: Workload, expected: ReadExpectations): PhaseResult => {
    const at: BatchAt = { read: 0 };
    const t = now();
    for (let from = 0; from < w.count; from += BATCH)
      runTableBatch(table, w, expected, reads, out, at, from, Math.min(from + BATCH, w.count));
    return phase(w.count, since(t));
  };
  return { load: go(load, le), run: go(run, re), reads };
}

export function runJsSameLayout(
  load: Workload,
  run: Workload,
  le: ReadExpectations,
  re: ReadExpectations,
  dir: string,
) {
  const store = new JsSameLayoutStore(dir);
  return { ...runTable(store, load, run, le, re), keys: store.keys, storeBytes: store.storeBytes };
}

function runTypedTable(load: Workload, run: Workload, le: ReadExpectations, re: ReadExpectations) {
  const table = new TypedTable(load.count + run.count);
  return { ...runTable(table, load, run, le, re), keys: table.size };
}

const MASK64 = (1n << 64n) - 1n;

function bigKeys(w: Workload): { keys: bigint[]; complements: bigint[] } {
  const keys = new Array<bigint>(w.count);
  const complements = new Array<bigint>(w.count);
  for (let i = 0; i < w.count; i++) {
    keys[i] = (BigInt(w.keyHi[i]) << 32n) | BigInt(w.keyLo[i]);
    complements[i] = w.ops[i] === OP_INSERT ? 0n : keys[i] ^ MASK64;
  }
  return { keys, complements };
}

function runMap(load: Workload, run: Workload, le: ReadExpectations, re: ReadExpectations) {
  const map = new Map<bigint, bigint>();
  const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
  const prepared = [bigKeys(load), bigKeys(run)]; // key preparation, before the clocks
  const go = (
    w: Workload,
    expected: ReadExpectations,
    { keys, complements }: { keys: bigint[]; complements: bigint[] },
  ): PhaseResult => {
    let r = 0;
    const t = now();
    for (let i = 0; i < w.count; i++) {
      const k = keys[i];
      switch (w.ops[i]) {
        case OP_INSERT:
          if (!map.has(k)) map.set(k, k);
          break;
        case OP_UPDATE:
          if (map.has(k)) map.set(k, complements[i]);
          break;
        case OP_READ: {
          const v = map.get(k);
          judge(reads, expected[r++], v !== undefined, v === k, v === complements[i]);
          break;
        }
        case OP_DELETE:
          map.delete(k);
          break;
      }
    }
    return phase(w.count, since(t));
  };
  return { load: go(load, le, prepared[0]), run: go(run, re, prepared[1]), reads, keys: map.size };
}

function bufferKeys(w: Workload): { keys: Buffer[]; complements: Buffer[] } {
  const keys = new Array<Buffer>(w.count);
  const complements = new Array<Buffer>(w.count);
  for (let i = 0; i < w.count; i++) {
    const b = Buffer.allocUnsafe(8);
    b.writeUInt32LE(w.keyLo[i], 0);
    b.writeUInt32LE(w.keyHi[i], 4);
    keys[i] = b;
    if (w.ops[i] !== OP_INSERT) {
      const c = Buffer.allocUnsafe(8);
      c.writeUInt32LE(~w.keyLo[i] >>> 0, 0);
      c.writeUInt32LE(~w.keyHi[i] >>> 0, 4);
      complements[i] = c;
    }
  }
  return { keys, complements };
}

type LmdbOpen = (typeof import('lmdb'))['open'];

/** Judges what lmdb gave a READ: the loaded value is the key itself, an updated one its complement. */
function judgeLmdbRead(
  reads: ReadReport,
  expected: number,
  v: Buffer | undefined,
  key: Buffer,
  complement: Buffer,
): void {
  judge(reads, expected, v !== undefined, v !== undefined && v.equals(key), v !== undefined && v.equals(complement));
}

/**
 * lmdb, loaded only by the lmdb contenders. Imported at the top, it was loaded into every
 * contender's process, and PmEHash's peak RSS on 220w was 1-2.5 MB higher (3 runs each).
 */
function loadLmdb(): LmdbOpen {
  // Not import(): TypeScript then reads lmdb's ESM typings, which it rejects (export =).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('lmdb') as typeof import('lmdb')).open;
}

function runLmdb(
  openLmdb: LmdbOpen,
  load: Workload,
  run: Workload,
  le: ReadExpectations,
  re: ReadExpectations,
  dir: string,
  perPhase: boolean,
) {
  fs.rmSync(dir, { recursive: true, force: true });
  const db = openLmdb<Buffer, Buffer>({ path: dir, noSync: true, keyEncoding: 'binary', encoding: 'binary' });
  const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
  const prepared = [bufferKeys(load), bufferKeys(run)];
  const ops = (
    w: Workload,
    expected: ReadExpectations,
    { keys, complements }: { keys: Buffer[]; complements: Buffer[] },
    put: (k: Buffer, v: Buffer) => void,
  ): void => {
    let r = 0;
    for (let i = 0; i < w.count; i++) {
      const k = keys[i];
      switch (w.ops[i]) {
        case OP_INSERT:
          if (db.getBinary(k) === undefined) put(k, k);
          break;
        case OP_UPDATE:
          if (db.getBinary(k) !== undefined) put(k, complements[i]);
          break;
        case OP_READ:
          judgeLmdbRead(reads, expected[r++], db.getBinary(k), k, complements[i]);
          break;
        case OP_DELETE:
          db.removeSync(k);
          break;
      }
    }
  };
  const go = (w: Workload, expected: ReadExpectations, p: { keys: Buffer[]; complements: Buffer[] }): PhaseResult => {
    const t = now();
    if (perPhase) db.transactionSync(() => ops(w, expected, p, (k, v) => db.put(k, v)));
    else ops(w, expected, p, (k, v) => db.putSync(k, v));
    return phase(w.count, since(t));
  };
  const result = { load: go(load, le, prepared[0]), run: go(run, re, prepared[1]), reads, keys: db.getCount() };
  db.close();
  return result;
}

/**
 * Durability 'log' with the load as batches of LOG_BATCH puts, each followed by flush() (every
 * batch durable when it returns); the run phase as the runner does it, then one flush().
 */
function runPmEHashLogBatches(load: Workload, run: Workload, re: ReadExpectations, dir: string, logDir: string) {
  const store = freshStore(dir, 'log', undefined, logDir);
  const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
  // The operations are made before the clock, as the runner's keys are parsed before it.
  const batches: Array<Array<{ type: 'put'; key: bigint; value: bigint }>> = [];
  for (let from = 0; from < load.count; from += LOG_BATCH) {
    const batch = [];
    for (let i = from; i < Math.min(from + LOG_BATCH, load.count); i++) {
      const key = (BigInt(load.keyHi[i]) << 32n) | BigInt(load.keyLo[i]);
      batch.push({ type: 'put' as const, key, value: key });
    }
    batches.push(batch);
  }
  const t = now();
  for (const batch of batches) {
    store.batch(batch);
    store.flush();
  }
  const l = phase(load.count, since(t));
  const r = runPhase(store, run, re, reads, 'run', false);
  const keys = store.stats().keys;
  store.close();
  return { load: l, run: phase(r.ops, r.seconds), reads, keys };
}

/**
 * lmdb-js as its users run it by default: durable asynchronous commits (the puts of an
 * event-loop turn in one transaction, one fsync), on the project's disk. A READ or UPDATE of a
 * key written since the last commit waits for the commit (lmdb-js reads what is committed); a
 * phase ends when its last write is durable.
 */
async function runLmdbAsync(
  openLmdb: LmdbOpen,
  load: Workload,
  run: Workload,
  le: ReadExpectations,
  re: ReadExpectations,
  dir: string,
) {
  fs.rmSync(dir, { recursive: true, force: true });
  const db = openLmdb<Buffer, Buffer>({ path: dir, keyEncoding: 'binary', encoding: 'binary' });
  const reads: ReadReport = { found: 0, missed: 0, mismatched: 0 };
  const go = async (
    w: Workload,
    expected: ReadExpectations,
    { keys, complements }: { keys: Buffer[]; complements: Buffer[] },
  ): Promise<PhaseResult> => {
    const t = now();
    let pending: Promise<unknown> | undefined;
    /** Keys written since the last commit this loop waited for (latin1 strings of their bytes). */
    const written = new Set<string>();
    const write = (k: Buffer, p: Promise<unknown>) => {
      pending = p;
      written.add(k.toString('latin1'));
    };
    let r = 0;
    for (let i = 0; i < w.count; i++) {
      const k = keys[i];
      const op = w.ops[i];
      if (op !== OP_INSERT && op !== OP_DELETE && pending && written.has(k.toString('latin1'))) {
        await pending;
        pending = undefined;
        written.clear();
      }
      switch (op) {
        case OP_INSERT:
          write(
            k,
            db.ifNoExists(k, () => db.put(k, k)),
          );
          break;
        case OP_UPDATE:
          if (db.getBinary(k) !== undefined) write(k, db.put(k, complements[i]));
          break;
        case OP_READ:
          judgeLmdbRead(reads, expected[r++], db.getBinary(k), k, complements[i]);
          break;
        case OP_DELETE:
          write(k, db.remove(k));
          break;
      }
    }
    if (pending) await pending;
    return phase(w.count, since(t));
  };
  const l = await go(load, le, bufferKeys(load));
  const r = await go(run, re, bufferKeys(run));
  const result = { load: l, run: r, reads, keys: db.getCount() };
  await db.close();
  return result;
}

async function main(): Promise<void> {
  const [name, loadFile, runFile, dir] = process.argv.slice(2) as [ContenderName, string, string, string];
  fs.mkdirSync(dir, { recursive: true });
  if (name === 'independent-2') {
    const r = await runIndependentStores(loadFile, runFile, dir, 2);
    const p = (x: typeof r.load): PhaseResult => ({ ...phase(x.ops, x.seconds), perThread: x.perThread });
    const out: ContenderResult = {
      name,
      load: p(r.load),
      run: p(r.run),
      reads: r.reads,
      parseMBps: 0,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
    };
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  const threads = THREAD_CONTENDERS[name];
  if (threads !== undefined) {
    const result = await runPmEHashThreads(loadFile, runFile, dir, threads, isWarm(name));
    const out: ContenderResult = { name, ...result, peakRssMB: process.resourceUsage().maxRSS / 1024 };
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  const t = now();
  let load = parseWorkloadFile(loadFile);
  let run = parseWorkloadFile(runFile);
  const parseMBps = (load.bytes + run.bytes) / 1e6 / since(t);
  if (name === 'pmehash-sync') {
    load = prefixOf(load, SYNC_PREFIX);
    run = prefixOf(run, SYNC_PREFIX);
  }
  const table = new ExpectationTable(load.count + run.count);
  const le = table.replay(load);
  const re = table.replay(run);
  let result;
  switch (name) {
    case 'pmehash':
      result = runPmEHash(load, run, le, re, dir, 'process');
      break;
    case 'pmehash-warm':
      result = runPmEHash(load, run, le, re, dir, 'process', true);
      break;
    case 'pmehash-sync':
      result = runPmEHash(load, run, le, re, dir, 'sync');
      break;
    case 'pmehash-file':
      process.env.PMEHASH_BACKEND = 'file'; // the written backend, as where mmap-io cannot be loaded
      result = runPmEHash(load, run, le, re, dir, 'process');
      break;
    case 'pmehash-log':
    case 'pmehash-log-batch': {
      const logDir = benchDiskDir('log');
      try {
        result =
          name === 'pmehash-log'
            ? runPmEHash(load, run, le, re, dir, 'log', false, logDir)
            : runPmEHashLogBatches(load, run, re, dir, logDir);
      } finally {
        fs.rmSync(logDir, { recursive: true, force: true });
      }
      break;
    }
    case 'lmdb-async': {
      const dbDir = benchDiskDir('lmdb');
      try {
        result = await runLmdbAsync(loadLmdb(), load, run, le, re, dbDir);
      } finally {
        fs.rmSync(dbDir, { recursive: true, force: true });
      }
      break;
    }
    case 'js-same-layout':
      result = runJsSameLayout(load, run, le, re, dir);
      break;
    case 'typed-table':
      result = runTypedTable(load, run, le, re);
      break;
    case 'map-bigint':
      result = runMap(load, run, le, re);
      break;
    case 'lmdb-per-op':
      result = runLmdb(loadLmdb(), load, run, le, re, dir, false);
      break;
    case 'lmdb-per-phase':
      result = runLmdb(loadLmdb(), load, run, le, re, dir, true);
      break;
    case 'c-same-layout':
      throw new Error('c-same-layout is the program compiled from bench/same-layout.c (see bench/measure.ts)');
    default:
      throw new Error(`unknown contender ${name}`);
  }
  const out: ContenderResult = { name, ...result, parseMBps, peakRssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (require.main === module)
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
