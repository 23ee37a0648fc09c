// A real full file system: a store on a small tmpfs is filled until the file system has no room
// left. New page files and catalog growth make their space real when they are created (zeros are
// written, not just a sparse ftruncate), so the insert that needs the space fails with
// PMEHASH_IO naming the file, instead of the process dying of SIGBUS at the first store into a
// page the file system cannot back. The filling runs in a child process, so that a SIGBUS would
// be the child's signal and not a dead Jest worker.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeCompiled, runCompiled } from './helpers/compile';
import { removeTempDirs, tempDir } from './helpers/temp';

/** Why a tmpfs cannot be mounted here, or undefined when it can (tried on a probe folder). */
function cannotMount(): string | undefined {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mount needs root';
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'pmehash-mount-probe-'));
  try {
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return `mount not permitted: ${(r.error?.message ?? r.stderr).trim()}`;
    spawnSync('umount', [probe]);
    return undefined;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const whyNot = cannotMount();
const canMount = whyNot === undefined;
const skipNote = canMount ? '' : ` (skipped: ${whyNot})`;
const mounted: string[] = [];

/** A fresh folder with a tmpfs of `size` mounted on it. */
function mountTmpfs(size: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmehash-tiny-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount tmpfs on ${dir} failed: ${r.stderr}`);
  mounted.push(dir);
  return dir;
}

let pageMount = '';
let catalogMount = '';

beforeAll(() => {
  if (!canMount) return;
  pageMount = mountTmpfs('2m');
  catalogMount = mountTmpfs('1m');
});

afterAll(() => {
  for (const dir of mounted.splice(0)) {
    if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  removeTempDirs();
  removeCompiled();
});

interface Summary {
  ballastBytes: number;
  failure: { name: string; code?: string; message: string } | null;
  failedKeyAbsent: boolean;
  atFailure: {
    stats: { globalDepth: number; pageFiles: number; keys: number };
    files: { catalogBytes: number; pageFiles: number };
    problems: string[];
  };
  acknowledged: number;
  readBack: number;
  wrong: number;
  removed: number;
  removeFailed: number;
  reinserted: number;
  refused: string[];
  atEnd: {
    stats: { globalDepth: number; pageFiles: number; keys: number };
    files: { catalogBytes: number; pageFiles: number };
    problems: string[];
  };
  pairs: Array<[string, string]>;
}

/** Fills the store in `dir` in a child; checks what every full-disk case must hold. */
function fillAndCheck(dir: string, bucketsPerPage: number, durability: string, ballast: string): Summary {
  const r = runCompiled('fill-disk.ts', ['fill', dir, String(bucketsPerPage), durability, ballast]);
  expect({ signal: r.signal, status: r.status, stderr: r.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
  const s = JSON.parse(r.stdout) as Summary;
  expect(s.failure).toMatchObject({ name: 'PmEHashError', code: 'PMEHASH_IO' });
  expect(s.failure!.message).toMatch(/ENOSPC/);
  expect(s.failure!.message).toContain(dir);
  expect(s.failedKeyAbsent).toBe(true);
  expect(s.atFailure.problems).toEqual([]);
  expect(s.acknowledged).toBeGreaterThan(0);
  expect(s.readBack).toBe(s.acknowledged); // every acknowledged key, with its value
  expect(s.wrong).toBe(0);
  // The files are as a crash at the failure would leave them: no half-made page file, the
  // catalog at 2^G entries.
  for (const at of [s.atFailure, s.atEnd]) {
    expect(at.files.pageFiles).toBe(at.stats.pageFiles);
    expect(at.files.catalogBytes).toBe(8 * 2 ** at.stats.globalDepth);
  }
  expect(s.removed).toBeGreaterThan(0);
  expect(s.removeFailed).toBe(0);
  expect(s.reinserted).toBeGreaterThan(0); // inserts that need no new space still work
  expect(new Set(s.refused)).toEqual(new Set(s.refused.length ? ['PMEHASH_IO'] : []));
  expect(s.atEnd.problems).toEqual([]);
  expect(s.atEnd.stats.keys).toBe(s.pairs.length);

  // Reopened in another process: exactly the acknowledged keys, minus the removed ones.
  const expectedFile = path.join(tempDir('full-disk'), 'expected.json');
  fs.writeFileSync(expectedFile, JSON.stringify(s.pairs));
  const v = runCompiled('fill-disk.ts', ['verify', dir, expectedFile]);
  expect({ signal: v.signal, status: v.status, stderr: v.stderr }).toEqual({ signal: null, status: 0, stderr: '' });
  expect(JSON.parse(v.stdout)).toEqual({
    keys: s.pairs.length,
    expected: s.pairs.length,
    missing: 0,
    wrong: 0,
    extra: 0,
    problems: [],
    repairs: [],
  });
  return s;
}

(canMount ? test : test.skip)(
  `a 2 MiB tmpfs filled through new page files: PMEHASH_IO naming the page file, no SIGBUS${skipNote}`,
  () => {
    // 15 buckets a page: a page file (3,904 bytes) takes one 4 KiB block, and the file system runs
    // out at a page allocation rather than at a (much larger) catalog doubling.
    const dir = path.join(pageMount, 'store');
    const s = fillAndCheck(dir, 15, 'process', '-');
    expect(s.failure!.message).toMatch(
      new RegExp(`^cannot create page file ${s.atFailure.stats.pageFiles + 1} in ${dir}: ENOSPC`),
    );
    expect(s.atFailure.stats.pageFiles).toBeGreaterThan(100); // the disk was really filled by pages
  },
);

(canMount ? test : test.skip)(
  `a full tmpfs failing a catalog doubling (durability sync): PMEHASH_IO naming the catalog, no SIGBUS${skipNote}`,
  () => {
    // Big pages (1024 buckets): page 1 has room for every split until the catalog outgrows its
    // first 4 KiB; the ballast leaves no free block, so growing the catalog to 8 KiB is what fails.
    const dir = path.join(catalogMount, 'store');
    const s = fillAndCheck(dir, 1024, 'sync', path.join(catalogMount, 'ballast'));
    expect(s.ballastBytes).toBeGreaterThan(0);
    expect(s.failure!.message).toMatch(new RegExp(`^cannot grow pm_ehash_catalog in ${dir}: ENOSPC`));
    expect(s.atFailure.stats.pageFiles).toBe(1);
    expect(s.atFailure.files.catalogBytes).toBe(4096); // back to its size before the failed growth
  },
);
