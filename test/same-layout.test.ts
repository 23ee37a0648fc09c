// The C contender of `make bench` (bench/same-layout.c): compiled and run on a small workload, it
// must verify every READ, write a store of pmehash's layout, and write the very bytes PmEHash
// writes for the same operations (it makes the same splits and allocations, in the same order).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BUCKET_SIZE,
  CATALOG_ENTRY_SIZE,
  DEFAULT_BUCKETS_PER_PAGE,
  META_BLOCK_SIZE,
  META_GLOBAL_DEPTH_OFFSET,
} from '../include-types/layout';
import { compileSameLayout, findCCompiler } from '../bench/same-layout';
import type { ContenderResult } from '../bench/contender';
import { PmEHash } from '../src';
import { CATALOG_FILE, METADATA_FILE } from '../src/files';
import { runYcsb } from '../src/ycsb/runner';
import { layoutKeys, writeLayoutWorkload } from './helpers/layout-workload';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

const cc = findCCompiler();
const MASK64 = (1n << 64n) - 1n;

function compiled(): string {
  const binary = path.join(tempDir('same-layout-bin'), 'same-layout');
  compileSameLayout(cc!, binary);
  return binary;
}

function runC(binary: string, load: string, run: string, dir: string): ContenderResult {
  const r = spawnSync(binary, [load, run, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`same-layout failed: ${r.stderr || r.signal}`);
  return JSON.parse(r.stdout);
}

(cc ? test : test.skip)(
  `the C same-layout contender verifies every READ and writes the bytes PmEHash writes${cc ? '' : ' (skipped: no C compiler)'}`,
  () => {
    const binary = compiled();
    const { load, run, all, reads, runOps } = writeLayoutWorkload();

    const dir = tempDir('same-layout-store');
    const result = runC(binary, load, run, dir);
    expect(result).toMatchObject({
      name: 'c-same-layout',
      load: { ops: all.length },
      run: { ops: runOps },
      reads: { found: reads, missed: 0, mismatched: 0 },
      keys: all.length,
    });
    expect(result.load.opsPerSec).toBeGreaterThan(0);

    // The files of the layout, with their sizes.
    const meta = fs.readFileSync(path.join(dir, METADATA_FILE));
    const depth = meta.readUInt32LE(META_GLOBAL_DEPTH_OFFSET);
    expect(fs.readdirSync(dir).sort()).toEqual(['1', '2', CATALOG_FILE, METADATA_FILE]);
    for (const page of ['1', '2'])
      expect(fs.statSync(path.join(dir, page)).size).toBe(128 + DEFAULT_BUCKETS_PER_PAGE * BUCKET_SIZE);
    expect(fs.statSync(path.join(dir, CATALOG_FILE)).size).toBe(CATALOG_ENTRY_SIZE * 2 ** depth);
    expect(result.storeBytes).toBe(
      meta.length + CATALOG_ENTRY_SIZE * 2 ** depth + 2 * (128 + DEFAULT_BUCKETS_PER_PAGE * BUCKET_SIZE),
    );

    // PmEHash on the same files writes the same pages and catalog, and the same metadata block
    // (its log record keeps the arguments of the last logged operation, so it differs there).
    const js = tempDir('same-layout-js');
    const report = runYcsb({ loadFile: load, runFile: run, dir: js });
    expect(report.reads).toEqual(result.reads);
    for (const file of ['1', '2', CATALOG_FILE])
      expect(fs.readFileSync(path.join(dir, file)).equals(fs.readFileSync(path.join(js, file)))).toBe(true);
    expect(meta.subarray(0, META_BLOCK_SIZE)).toEqual(
      fs.readFileSync(path.join(js, METADATA_FILE)).subarray(0, META_BLOCK_SIZE),
    );

    // And the C program's folder is a store PmEHash opens and checks clean.
    const store = new PmEHash({ dir });
    try {
      expect(store.check()).toEqual([]);
      expect(store.size).toBe(all.length);
      expect(store.get(all[5])).toBe(all[5] ^ MASK64);
      expect(store.get(all[3000])).toBe(all[3000]);
      expect(store.get(MASK64)).toBe(0n); // updated: ~(2^64-1)
    } finally {
      store.close();
    }
  },
);

(cc ? test : test.skip)(
  `the C same-layout contender removes keys and refuses a malformed workload${cc ? '' : ' (skipped: no C compiler)'}`,
  () => {
    const binary = compiled();
    const all = layoutKeys(3000);
    const wl = tempDir('same-layout-wl');
    const load = path.join(wl, 'load.txt');
    const run = path.join(wl, 'run.txt');
    fs.writeFileSync(load, all.map((k) => `INSERT ${k}\n`).join(''));
    const removed = all.slice(0, 500);
    fs.writeFileSync(
      run,
      [...removed.map((k) => `DELETE ${k}`), ...all.map((k) => `READ ${k}`), `DELETE ${all[0]}`].join('\n') + '\n',
    );
    const dir = tempDir('same-layout-store');
    const r = spawnSync(binary, [load, run, dir], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/501 DELETEs removed without merging/);
    expect(JSON.parse(r.stdout)).toMatchObject({
      reads: { found: all.length, missed: 0, mismatched: 0 },
      keys: all.length - removed.length,
    });
    const store = new PmEHash({ dir });
    try {
      expect(store.check()).toEqual([]);
      expect(store.has(removed[0])).toBe(false);
      expect(store.get(all[500])).toBe(all[500]);
    } finally {
      store.close();
    }

    fs.writeFileSync(run, 'READ 1\nREAD 18446744073709551616\n');
    const bad = spawnSync(binary, [load, run, dir], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain(`${run}:2: key exceeds 2^64-1`);
    expect(bad.stdout).toBe('');
  },
);
