// Child process of the full-disk test, in one of two modes.
//
// fill DIR BUCKETS_PER_PAGE DURABILITY BALLAST: creates a store in DIR (on a small tmpfs), and
// when BALLAST is not '-' fills the file system with that file right away, so that the next
// allocation of any size fails. Then inserts keys until an insert throws, checks the store,
// reads every acknowledged key back, removes every fourth, inserts a few again (those that fit),
// closes, and prints a JSON summary with the final key/value set. A SIGBUS here shows up as the
// child's signal, not as a dead Jest worker.
//
// verify DIR EXPECTED: reopens the store and compares it with the pairs in the JSON file
// EXPECTED ([[key, value], ...] as decimal strings); prints a JSON summary.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PmEHash } from '../../src';
import { CATALOG_FILE, pageFileId } from '../../src/files';
import { Random } from './random';

const INSERT_LIMIT = 1_000_000; // far more than a 2 MiB file system holds

function describe(err: unknown): { name: string; code?: string; message: string } {
  const e = err as Error & { code?: string };
  return { name: e.name, code: e.code, message: e.message };
}

/** Writes `file` in 4 KiB blocks until its file system is full. */
function fillWithBallast(file: string): number {
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  let bytes = 0;
  try {
    for (;;) bytes += fs.writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}

/** What the folder holds on disk: catalog bytes and page files (a half-created one would show). */
function files(dir: string): { catalogBytes: number; pageFiles: number } {
  return {
    catalogBytes: fs.statSync(path.join(dir, CATALOG_FILE)).size,
    pageFiles: fs.readdirSync(dir).filter((name) => pageFileId(name) > 0).length,
  };
}

function fill(dir: string, bucketsPerPage: number, durability: 'process' | 'sync', ballast: string): void {
  const store = new PmEHash({ dir, bucketsPerPage, durability });
  const ballastBytes = ballast === '-' ? 0 : fillWithBallast(ballast);
  const rnd = new Random(7);
  const acked = new Map<bigint, bigint>();
  let failure: unknown;
  let failedKey = 0n;
  for (let i = 0; i < INSERT_LIMIT && failure === undefined; i++) {
    const key = rnd.uint64();
    const value = rnd.uint64();
    try {
      if (store.insert({ key, value }) === 0) acked.set(key, value);
    } catch (err) {
      failure = err;
      failedKey = key;
    }
  }
  const out: { value?: bigint } = {};
  const failedKeyAbsent = store.search(failedKey, out) === -1;
  const atFailure = { stats: store.stats(), files: files(dir), problems: store.check() };
  let readBack = 0;
  let wrong = 0;
  for (const [key, value] of acked) {
    if (store.search(key, out) !== 0) continue;
    if (out.value === value) readBack++;
    else wrong++;
  }

  // Remove every fourth acknowledged key, then insert some back (new values) and some new keys;
  // an insert that needs space the file system does not have is refused with PMEHASH_IO.
  const removed: bigint[] = [];
  let removeFailed = 0;
  [...acked.keys()].forEach((key, i) => {
    if (i % 4 !== 0) return;
    if (store.remove(key) === 0) {
      acked.delete(key);
      removed.push(key);
    } else removeFailed++;
  });
  let reinserted = 0;
  const refused: string[] = [];
  const again = [
    ...removed.slice(0, 50).map((key) => [key, key ^ 1n]),
    ...Array.from({ length: 50 }, () => [rnd.uint64(), rnd.uint64()]),
  ];
  for (const [key, value] of again) {
    try {
      if (store.insert({ key, value }) === 0) {
        acked.set(key, value);
        reinserted++;
      }
    } catch (err) {
      refused.push(describe(err).code ?? 'no code');
    }
  }
  const atEnd = { stats: store.stats(), files: files(dir), problems: store.check() };
  store.close();
  process.stdout.write(
    JSON.stringify({
      ballastBytes,
      failure: failure === undefined ? null : describe(failure),
      failedKeyAbsent,
      atFailure,
      acknowledged: atFailure.stats.keys,
      readBack,
      wrong,
      removed: removed.length,
      removeFailed,
      reinserted,
      refused,
      atEnd,
      pairs: [...acked].map(([k, v]) => [k.toString(), v.toString()]),
    }) + '\n',
  );
}

function verify(dir: string, expectedFile: string): void {
  const expected = new Map<string, string>(JSON.parse(fs.readFileSync(expectedFile, 'utf8')));
  const store = new PmEHash({ dir });
  let missing = 0;
  let wrong = 0;
  let extra = 0;
  const seen = new Set<string>();
  for (const [key, value] of store.entries()) {
    const k = key.toString();
    seen.add(k);
    if (!expected.has(k)) extra++;
    else if (expected.get(k) !== value.toString()) wrong++;
  }
  for (const k of expected.keys()) if (!seen.has(k)) missing++;
  const result = {
    keys: store.stats().keys,
    expected: expected.size,
    missing,
    wrong,
    extra,
    problems: store.check(),
    repairs: store.repairs,
  };
  store.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

const [mode, dir] = [process.argv[2], process.argv[3]];
if (mode === 'fill') fill(dir, Number(process.argv[4]), process.argv[5] as 'process' | 'sync', process.argv[6]);
else if (mode === 'verify') verify(dir, process.argv[4]);
else throw new Error(`unknown mode ${mode}`);
