// The written backend (src/written-files.ts), which runs where mmap-io cannot be loaded: the same
// store on plain file writes. A whole lifecycle on it; the same operations on both backends leave
// byte-for-byte the same files, and each backend opens what the other wrote, also after a
// SIGKILL; the choice of backend (forced, fallen back to with one warning, refused with the fix
// named) is visible; what the written backend cannot do yet is refused clearly.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { PmEHash } from '../src';
import { PmEHashError } from '../src/errors';
import { MappedFiles } from '../src/mapped-files';
import type { StoreFiles } from '../src/store-files';
import { WrittenFiles } from '../src/written-files';
import { removeCompiled, runCompiled, startCompiled } from './helpers/compile';
import { Random } from './helpers/random';
import { removeTempDirs, snapshot, tempDir } from './helpers/temp';

afterAll(() => {
  removeTempDirs();
  removeCompiled();
});

/** Seeded operations on 3,000 keys: fill, shrink to empty, regrow; the oracle after each phase. */
function lifecycle(store: PmEHash, seed: number): Map<bigint, bigint> {
  const rnd = new Random(seed);
  const oracle = new Map<bigint, bigint>();
  const keys = Array.from({ length: 3000 }, () => rnd.uint64());
  const phase = (from: number, to: number, remove: boolean) => {
    for (let i = from; i < to; i++) {
      const k = keys[i];
      if (remove) {
        expect(store.delete(k)).toBe(oracle.delete(k));
      } else {
        const v = rnd.uint64();
        store.set(k, v);
        oracle.set(k, v);
        if (i % 7 === 0) {
          store.update({ key: k, value: v + 1n });
          oracle.set(k, v + 1n);
        }
      }
    }
    expect(store.check()).toEqual([]);
    expect(store.size).toBe(oracle.size);
  };
  phase(0, 3000, false); // fill: splits, doublings, page files
  phase(0, 3000, true); // shrink to empty: merges, halvings
  expect(store.size).toBe(0);
  phase(0, 2000, false); // regrow
  store.batch(keys.slice(2000, 2100).map((key) => ({ type: 'put' as const, key, value: 5n })));
  for (const key of keys.slice(2000, 2100)) oracle.set(key, 5n);
  return oracle;
}

function contentOf(store: PmEHash): Map<bigint, bigint> {
  return new Map(store.entries());
}

/** Folder contents, the lock excepted (its entry names the process that held it). */
function files(dir: string): Map<string, Buffer | 'folder'> {
  const all = snapshot(dir);
  all.delete('pm_ehash_lock');
  return all;
}

describe('the written backend', () => {
  test('a whole lifecycle, reopened, in both durability modes that write the store', () => {
    for (const durability of ['process', 'sync'] as const) {
      const dir = tempDir('written');
      const store = new PmEHash({ dir, durability, bucketsPerPage: 16 }, new WrittenFiles(durability === 'sync'));
      expect(store.stats().backend).toBe('file');
      const oracle = lifecycle(store, 1);
      store.close();
      const again = new PmEHash({ dir, durability }, new WrittenFiles(durability === 'sync'));
      expect(again.repairs).toEqual([]);
      expect(contentOf(again)).toEqual(oracle);
      again.close();
    }
  });

  test('the same operations leave the same files on both backends, and each opens the other', () => {
    const made: Array<{ dir: string; files: () => StoreFiles }> = [
      { dir: tempDir('mapped'), files: () => new MappedFiles(false) },
      { dir: tempDir('written'), files: () => new WrittenFiles(false) },
    ];
    const oracles = made.map(({ dir, files: f }) => {
      const store = new PmEHash({ dir, bucketsPerPage: 16 }, f());
      const oracle = lifecycle(store, 2);
      store.close();
      return oracle;
    });
    expect(oracles[1]).toEqual(oracles[0]);
    expect(files(made[1].dir)).toEqual(files(made[0].dir));
    // Each folder opened by the other backend.
    for (const [i, { dir }] of made.entries()) {
      const other = made[1 - i].files();
      const store = new PmEHash({ dir }, other);
      expect(store.repairs).toEqual([]);
      expect(contentOf(store)).toEqual(oracles[0]);
      store.close();
    }
  });

  test('a process killed on one backend is recovered by the other, with every acknowledged key', async () => {
    for (const [writer, reader] of [
      ['file', () => new MappedFiles(false)],
      ['mmap', () => new WrittenFiles(false)],
    ] as const) {
      const dir = tempDir(`killed-${writer}`);
      const acks = path.join(tempDir('acks'), 'acks');
      const child = startCompiled('loader.ts', [dir, '0', acks], { PMEHASH_BACKEND: writer });
      await once(child.stdout!, 'data');
      await new Promise((resolve) => setTimeout(resolve, 150));
      child.kill('SIGKILL');
      await once(child, 'exit');
      const lines = fs.readFileSync(acks, 'utf8').split('\n');
      lines.pop(); // a line cut by the kill, or the empty string after the last newline
      expect(lines.length).toBeGreaterThan(100);
      const store = new PmEHash({ dir }, reader());
      try {
        expect(store.check()).toEqual([]);
        const out = new Uint32Array(2);
        const missing = lines.filter(
          (k) => store.words.searchWords(Number(k), 0, out) !== 0 || out[0] !== Number(k) * 3 + 1,
        );
        expect({ writer, missing: missing.length }).toEqual({ writer, missing: 0 });
      } finally {
        store.close();
      }
    }
  });

  test('the fallback: one warning per process, silenced on request; a forced mmap names the fix', () => {
    const dir = tempDir('fallback');
    const run = (env: NodeJS.ProcessEnv) =>
      runCompiled('backend-open.ts', [dir], { PMEHASH_TEST_NO_MMAP: '1', PMEHASH_BACKEND: '', ...env });
    const warned = run({});
    expect(warned.stdout).toBe('file 1\nfile 2\n');
    expect(warned.stderr.match(/PMEHASH_FILE_BACKEND/g)?.length).toBe(1);
    expect(warned.stderr).toMatch(/mmap-io cannot be loaded .*install-scripts approve @riaskov\/mmap-io/);
    const quiet = run({ PMEHASH_BACKEND_WARNING: '0' });
    expect([quiet.stdout, quiet.stderr]).toEqual(['file 2\nfile 2\n', '']);
    const forced = run({ PMEHASH_BACKEND: 'mmap' });
    expect(forced.status).not.toBe(0);
    expect(forced.stderr).toMatch(/PMEHASH_BACKEND=mmap, but mmap-io cannot be loaded .*C\+\+ toolchain/);
  });

  test('worker threads and what the backend cannot do yet are refused with the reason', () => {
    const dir = tempDir('refused');
    const store = new PmEHash({ dir }, new WrittenFiles(false));
    try {
      expect(() => store.share()).toThrow(PmEHashError);
      expect(() => store.share()).toThrow(/worker threads need the mapped backend/);
    } finally {
      store.close();
    }
  });

  test("durability 'log' on the written backend: built again from its log", () => {
    const dir = tempDir('written-log');
    const store = new PmEHash({ dir, durability: 'log' }, new WrittenFiles(false));
    for (let i = 0; i < 5000; i++) store.set(i, i * 2);
    store.close();
    for (const f of fs.readdirSync(dir)) if (f !== 'log') fs.rmSync(path.join(dir, f), { recursive: true });
    const again = new PmEHash({ dir, durability: 'log' }, new WrittenFiles(false));
    try {
      expect(again.repairs.join()).toMatch(/built the store again/);
      expect(again.size).toBe(5000);
      expect(again.get(4999)).toBe(9998n);
    } finally {
      again.close();
    }
  });
});
