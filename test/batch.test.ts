// Atomic batches and clear(): a batch of 100,000 operations killed anywhere is there wholly or
// not at all after reopening, made by the thread that opened the store or by a worker thread;
// batch records that do not check are refused, naming the file, with the folder left as it was.
// (Crashes at every persist of small batches and clears, and power losses at line granularity,
// are in crash-points.test.ts and power-loss.test.ts: sequence BATCHES.)

import * as fs from 'node:fs';
import * as path from 'node:path';
import { BATCH_CHECKSUM_OFFSET, BATCH_COUNT_OFFSET, BATCH_STATE_OFFSET, BatchState } from '../include-types/layout';
import { PmEHash } from '../src';
import { PmEHashCorruptError } from '../src/errors';
import { MappedFiles } from '../src/mapped-files';
import { fnv1a32 } from '../src/checksum';
import { FailingFiles } from './helpers/test-files';
import type { BatchOperation } from '../include-types/kv';
import { bigBatch, SMALL_BATCH } from './helpers/batch-kill';
import { removeCompiled, runCompiled } from './helpers/compile';
import { removeTempDirs, snapshot, tempDir } from './helpers/temp';

afterAll(() => {
  removeTempDirs();
  removeCompiled();
});

function contentOf(ops: typeof SMALL_BATCH): Map<bigint, bigint> {
  const map = new Map<bigint, bigint>();
  for (const op of ops) {
    if (op.type === 'put') map.set(BigInt(op.key), BigInt(op.value));
    else map.delete(BigInt(op.key));
  }
  return map;
}

const BEFORE = contentOf(SMALL_BATCH);
const AFTER = contentOf([...SMALL_BATCH, ...bigBatch()]);

/** 'before' or 'after' when the store holds exactly that content, else a description. */
function whichContent(dir: string): string {
  const store = new PmEHash({ dir });
  try {
    const problems = store.check();
    if (problems.length > 0) return `problems: ${problems.join('; ')}`;
    const pairs = new Map(store.entries());
    for (const [name, want] of [
      ['before', BEFORE],
      ['after', AFTER],
    ] as const) {
      if (pairs.size === want.size && [...want].every(([k, v]) => pairs.get(k) === v)) return name;
    }
    return `neither (${pairs.size} pairs)`;
  } finally {
    store.close();
  }
}

describe.each(['owner', 'worker'])('a batch of 100,000 operations made by the %s thread', (who) => {
  test('killed after writing its record, at its commit, midway and at its retirement: all or nothing, twice', () => {
    const full = runCompiled('batch-kill.ts', [tempDir('batch-full'), who, '0']);
    expect({ status: full.status, stderr: full.stderr }).toEqual({ status: 0, stderr: '' });
    const { before, after } = JSON.parse(full.stdout) as { before: number; after: number };
    expect(after - before).toBeGreaterThan(200_000); // two persists an operation, and more
    const points = [1, 2, 3, (after - before) >> 1, after - before].map((k) => before + k);
    const seen: string[] = [];
    for (const n of points) {
      const dir = tempDir('batch-kill');
      const r = runCompiled('batch-kill.ts', [dir, who, String(n)]);
      expect({ n, signal: r.signal, stderr: r.stderr }).toEqual({ n, signal: 'SIGKILL', stderr: '' });
      const first = whichContent(dir);
      expect(['before', 'after']).toContain(first);
      expect(whichContent(dir)).toBe(first); // and nothing changes at the second open
      seen.push(first);
    }
    // Nothing before the commit, all from it on: the first persist writes the record (the
    // worker's slot makes its file first, without a persist), the second commits it.
    expect(seen).toEqual(['before', 'after', 'after', 'after', 'after']);
  }, 300_000);
});

test('a batch and a clear: applied in order, a key put, deleted and put again in one batch ends put', () => {
  const dir = tempDir('batch');
  const store = new PmEHash({ dir });
  store.batch([
    { type: 'put', key: 1n, value: 10n },
    { type: 'put', key: 2n, value: 20n },
    { type: 'del', key: 1n },
    { type: 'put', key: 1n, value: 11n },
    { type: 'del', key: 3n },
  ]);
  expect(new Map(store.entries())).toEqual(
    new Map([
      [1n, 11n],
      [2n, 20n],
    ]),
  );
  store.clear();
  expect(store.size).toBe(0);
  store.batch([]);
  store.close();
  const again = new PmEHash({ dir });
  expect(again.repairs).toEqual([]);
  expect(again.size).toBe(0);
  again.close();
});

test('a commit whose persist fails applies nothing and leaves nothing for a later recovery to apply', () => {
  class FailingCommit extends MappedFiles {
    failAt = 0;
    override persist(buffer: Buffer, offset: number, length: number): void {
      if (this.persists + 1 === this.failAt) throw new Error('EIO: simulated');
      super.persist(buffer, offset, length);
    }
  }
  const dir = tempDir('batch-commit-fails');
  const files = new FailingCommit(false);
  const store = new PmEHash({ dir }, files);
  store.batch([{ type: 'put', key: 1n, value: 1n }]); // the record exists from here on
  files.failAt = files.persists + 2; // step 1 persists the entries, step 2 commits
  expect(() => store.batch([{ type: 'put', key: 2n, value: 2n }])).toThrow(/EIO: simulated/);
  expect(store.has(2n)).toBe(false);
  store.close();
  const reopened = new PmEHash({ dir });
  expect(reopened.repairs).toEqual([]);
  expect(new Map(reopened.entries())).toEqual(new Map([[1n, 1n]]));
  reopened.close();
});

test('a retirement whose persist fails closes the handle, and reports it as PMEHASH_IO', () => {
  class FailingRetire extends MappedFiles {
    armed = false;
    override persist(buffer: Buffer, offset: number, length: number): void {
      // The retirement persists the header line alone (FORMAT.md, batch step 5).
      if (this.armed && offset === 0 && length === 64) throw new Error('EIO: simulated');
      super.persist(buffer, offset, length);
    }
  }
  const dir = tempDir('batch-retire-fails');
  const files = new FailingRetire(false);
  const store = new PmEHash({ dir }, files);
  store.batch([{ type: 'put', key: 1n, value: 1n }]);
  files.armed = true;
  expect(() => store.batch([{ type: 'put', key: 2n, value: 2n }])).toThrow(
    expect.objectContaining({ code: 'PMEHASH_IO', message: expect.stringMatching(/cannot retire the batch record/) }),
  );
  expect(store.isClosed).toBe(true);
  const reopened = new PmEHash({ dir });
  expect(new Map(reopened.entries())).toEqual(
    new Map([
      [1n, 1n],
      [2n, 2n],
    ]),
  );
  reopened.close();
});

describe('a batch record that does not check is refused at open, naming it, and nothing changes', () => {
  /** A closed store that ran a batch, with its batch record changed by `damage`. */
  function damaged(damage: (record: Buffer) => Buffer): { dir: string; record: string } {
    const dir = tempDir('batch-damage');
    const store = new PmEHash({ dir });
    store.batch([
      { type: 'put', key: 5n, value: 6n },
      { type: 'put', key: 7n, value: 8n },
    ]);
    store.close();
    const record = path.join(dir, 'pm_ehash_batch_0');
    fs.writeFileSync(record, damage(fs.readFileSync(record)));
    return { dir, record };
  }

  test.each<[string, (b: Buffer) => Buffer, RegExp]>([
    [
      'a retired record whose state says committed (its checksum was cleared)',
      (b) => (b.writeUInt32LE(BatchState.Committed, BATCH_STATE_OFFSET), b),
      /does not match its checksum/,
    ],
    ['an unknown state', (b) => (b.writeUInt32LE(7, BATCH_STATE_OFFSET), b), /unknown state 7/],
    [
      'a committed record longer than its file',
      (b) => (b.writeUInt32LE(BatchState.Committed, BATCH_STATE_OFFSET), b.writeUInt32LE(1e6, BATCH_COUNT_OFFSET), b),
      /longer than the file/,
    ],
    ['a truncated header', (b) => b.subarray(0, 10), /shorter than its 64-byte header/],
    ['a foreign magic', (b) => (b.write('XXXX', 0, 'latin1'), b), /not a batch record/],
  ])('%s', (_what, damage, message) => {
    const { dir } = damaged(damage);
    const before = snapshot(dir);
    let error: unknown;
    try {
      new PmEHash({ dir }).close();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PmEHashCorruptError);
    expect((error as PmEHashCorruptError).file).toBe('pm_ehash_batch_0');
    expect((error as Error).message).toMatch(message);
    expect(snapshot(dir)).toEqual(before);
  });

  /** The batch record `ops` leave (retired), recommitted by hand: as if its process had died after its commit. */
  function committedRecord(ops: BatchOperation[]): Buffer {
    const dir = tempDir('batch-record');
    const store = new PmEHash({ dir });
    store.batch(ops);
    store.close();
    const record = fs.readFileSync(path.join(dir, 'pm_ehash_batch_0'));
    expect(record.readUInt32LE(BATCH_CHECKSUM_OFFSET)).toBe(0); // retired
    // The checksum of count, flags and entries (FORMAT.md, "Batch record").
    record.writeUInt32LE(fnv1a32(record, 64, 64 + 20 * ops.length, fnv1a32(record, 8, 16)), BATCH_CHECKSUM_OFFSET);
    record.writeUInt32LE(BatchState.Committed, BATCH_STATE_OFFSET);
    return record;
  }

  test('a committed record with a matching checksum is applied again at open, and reported', () => {
    const dir = tempDir('batch-redo');
    new PmEHash({ dir }).close();
    fs.writeFileSync(path.join(dir, 'pm_ehash_batch_0'), committedRecord([{ type: 'put', key: 5n, value: 6n }]));
    const redone = new PmEHash({ dir });
    expect(redone.repairs).toEqual(['applied the batch of 1 operation(s) committed in pm_ehash_batch_0']);
    expect(redone.get(5n)).toBe(6n);
    redone.close();
    const clean = new PmEHash({ dir });
    expect(clean.repairs).toEqual([]);
    clean.close();
  });

  test('a committed record that fails while applied again (a full disk) is retired with its prefix applied: the store opens', () => {
    const ops: BatchOperation[] = Array.from({ length: 3000 }, (_, k) => ({ type: 'put', key: k, value: k }));
    const dir = tempDir('batch-redo-fails');
    new PmEHash({ dir, bucketsPerPage: 4 }).close();
    fs.writeFileSync(path.join(dir, 'pm_ehash_batch_0'), committedRecord(ops));
    const files = new FailingFiles(false);
    files.failure = (op) => {
      if (op === 'create') throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    };
    const redone = new PmEHash({ dir }, files);
    expect(redone.repairs).toEqual([
      expect.stringMatching(
        /^applied part of the batch of 3000 operation\(s\) committed in pm_ehash_batch_0, up to an operation that failed: .*ENOSPC/,
      ),
    ]);
    expect(redone.check()).toEqual([]);
    const applied = redone.size;
    expect(applied).toBeGreaterThan(0);
    expect(applied).toBeLessThan(3000);
    for (let k = 0; k < applied; k++) expect(redone.get(k)).toBe(BigInt(k)); // a prefix, in order
    redone.close();
    const clean = new PmEHash({ dir });
    expect(clean.repairs).toEqual([]);
    expect(clean.size).toBe(applied);
    clean.close();
  });
});

test.each([0, 10, 64, 4096])(
  'a batch record whose creation was cut short (%i zero bytes) is empty, and the next batch makes it whole',
  (bytes) => {
    const dir = tempDir('batch-cut-short');
    new PmEHash({ dir }).close();
    fs.writeFileSync(path.join(dir, 'pm_ehash_batch_0'), Buffer.alloc(bytes));
    const store = new PmEHash({ dir });
    expect(store.repairs).toEqual([]);
    store.batch([{ type: 'put', key: 9n, value: 10n }]);
    store.close();
    const again = new PmEHash({ dir });
    expect(again.repairs).toEqual([]);
    expect(again.get(9n)).toBe(10n);
    again.close();
  },
);
