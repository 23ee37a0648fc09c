// The workload of the same-layout tests (test/same-layout.test.ts, test/js-same-layout.test.ts):
// enough distinct uint64 keys for two page files of the default size, with both ends of the range
// and a run of small ones, loaded and then updated, read back, read absent and inserted again.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './temp';

const MASK64 = (1n << 64n) - 1n;

/** Deterministic pseudo-random uint64 keys (splitmix64), with both ends of the range and a run of small ones. */
export function layoutKeys(n: number): bigint[] {
  const out = new Set<bigint>([0n, MASK64, 0xffffffffn, 0x100000000n]);
  for (let k = 1n; out.size < 1000; k++) out.add(k);
  let x = 7n;
  while (out.size < n) {
    x = (x + 0x9e3779b97f4a7c15n) & MASK64;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    out.add(z ^ (z >> 31n));
  }
  return [...out];
}

export interface LayoutWorkload {
  load: string;
  run: string;
  /** The loaded keys; the first 3,000 are updated to ~k, and all[5] is inserted again (refused). */
  all: bigint[];
  /** READs that every contender must count as found: all loaded keys, 200 absent ones, and all[5] again. */
  reads: number;
  runOps: number;
}

/** Writes the load and run files: 14,000 keys (about 1,400 buckets: two page files). */
export function writeLayoutWorkload(): LayoutWorkload {
  const all = layoutKeys(14_000);
  const absent = layoutKeys(14_200).slice(14_000);
  const wl = tempDir('same-layout-wl');
  const load = path.join(wl, 'load.txt');
  const run = path.join(wl, 'run.txt');
  fs.writeFileSync(load, all.map((k) => `INSERT ${k}\n`).join(''));
  const runLines = [
    ...all.slice(0, 3000).map((k) => `UPDATE ${k}`), // then holds ~k
    ...all.map((k) => `READ ${k}`),
    ...absent.map((k) => `READ ${k}`), // an expected absence counts as found
    `INSERT ${all[5]}`, // already there: refused, the value stays ~k
    `READ ${all[5]}`,
  ];
  fs.writeFileSync(run, runLines.join('\r\n')); // CRLF and no final newline, which the parser accepts
  return { load, run, all, reads: all.length + absent.length + 1, runOps: runLines.length };
}
