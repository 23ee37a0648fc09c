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
import { writeLayoutWorkload } from './helpers/layout-workload';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

test('the JavaScript same-layout contender verifies every READ and writes the pages PmEHash writes', () => {
  const { load: loadFile, run: runFile, all, reads } = writeLayoutWorkload();
  const load = parseWorkloadFile(loadFile);
  const run = parseWorkloadFile(runFile);
  const table = new ExpectationTable(load.count + run.count);
  const dir = tempDir('js-same-layout-store');
  const result = runJsSameLayout(load, run, table.replay(load), table.replay(run), dir);
  expect(result.reads).toEqual({ found: reads, missed: 0, mismatched: 0 });
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
