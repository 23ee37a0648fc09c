// The JavaScript same-layout contender of `make bench` (bench/js-same-layout.ts): on a workload of
// two page files it must verify every READ and write the very page files and catalog PmEHash
// writes for the same operations (it makes the same splits and allocations, in the same order),
// which keeps its layout PmEHash's.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { runJsSameLayout } from '../bench/contender';
import { CATALOG_FILE, LOCK_FILE, METADATA_FILE } from '../src/files';
import { ExpectationTable } from '../src/ycsb/expectations';
import { parseWorkloadFile } from '../src/ycsb/parser';
import { runYcsb } from '../src/ycsb/runner';
import { Random } from './helpers/random';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

const MASK64 = (1n << 64n) - 1n;

test('the JavaScript same-layout contender verifies every READ and writes the pages PmEHash writes', () => {
  const random = new Random(13);
  const distinct = new Set<bigint>([0n, MASK64, 0xffffffffn, 0x100000000n]);
  while (distinct.size < 14_200) distinct.add(random.uint64());
  const all = [...distinct].slice(0, 14_000); // about 1,400 buckets: two page files
  const absent = [...distinct].slice(14_000);
  const wl = tempDir('js-same-layout-wl');
  const loadFile = path.join(wl, 'load.txt');
  const runFile = path.join(wl, 'run.txt');
  fs.writeFileSync(loadFile, all.map((k) => `INSERT ${k}\n`).join(''));
  const runLines = [
    ...all.slice(0, 3000).map((k) => `UPDATE ${k}`), // then holds ~k
    ...all.map((k) => `READ ${k}`),
    ...absent.map((k) => `READ ${k}`), // an expected absence counts as found
    `INSERT ${all[5]}`, // already there: refused, the value stays ~k
    `READ ${all[5]}`,
  ];
  fs.writeFileSync(runFile, runLines.join('\n') + '\n');

  const load = parseWorkloadFile(loadFile);
  const run = parseWorkloadFile(runFile);
  const table = new ExpectationTable(load.count + run.count);
  const dir = tempDir('js-same-layout-store');
  const result = runJsSameLayout(load, run, table.replay(load), table.replay(run), dir);
  expect(result.reads).toEqual({ found: all.length + absent.length + 1, missed: 0, mismatched: 0 });
  expect(result.keys).toBe(all.length);
  expect(result.load.ops).toBe(all.length);

  const pm = tempDir('js-same-layout-pmehash');
  const report = runYcsb({ loadFile, runFile, dir: pm });
  expect(report.reads).toEqual(result.reads);
  expect(fs.readdirSync(dir).sort()).toEqual(['1', '2', CATALOG_FILE]);
  expect(
    fs
      .readdirSync(pm)
      .filter((f) => f !== METADATA_FILE && f !== LOCK_FILE)
      .sort(),
  ).toEqual(['1', '2', CATALOG_FILE]);
  for (const file of ['1', '2', CATALOG_FILE])
    expect(fs.readFileSync(path.join(dir, file)).equals(fs.readFileSync(path.join(pm, file)))).toBe(true);
  expect(result.storeBytes).toBe(
    fs.statSync(path.join(dir, CATALOG_FILE)).size + 2 * fs.statSync(path.join(dir, '1')).size,
  );
});
