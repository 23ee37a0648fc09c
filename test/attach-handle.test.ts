// PmEHash.attach checks the handle against the store it names before anything is written:
// a forged, truncated, another store's or a closed store's handle is refused with a
// PmEHashError that names the problem, and the stores involved go on unharmed.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PmEHash, PmEHashError } from '../src';
import { CONTROL_BYTES, type ShareHandle } from '../src/shared-control';
import { removeTempDirs, tempDir } from './helpers/temp';
import { thrown } from './helpers/thrown';

afterAll(removeTempDirs);

/** Every file of a store folder with its bytes, to show that a refusal wrote nothing. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile()) files.set(name, fs.readFileSync(file).toString('hex'));
  }
  return files;
}

function filled(label: string): PmEHash {
  const store = new PmEHash({ dir: tempDir(label), bucketsPerPage: 16 });
  for (let i = 0; i < 500; i++) store.set(i, i * 3);
  return store;
}

test.each([
  ['a control block of another size', (h: ShareHandle) => ({ ...h, control: new SharedArrayBuffer(64) }), /64 bytes/],
  [
    'a control block share() did not make',
    (h: ShareHandle) => ({ ...h, control: new SharedArrayBuffer(CONTROL_BYTES) }),
    /not made by share\(\)/,
  ],
  ['another store folder', (h: ShareHandle, other: string) => ({ ...h, dir: other }), /no store open/],
])('a handle with %s is refused before anything is written', (_label, forge, problem) => {
  const a = filled('handle-a');
  const b = filled('handle-b');
  const handle = a.share();
  const before = [snapshot(a.dir), snapshot(b.dir)];
  const err = thrown<PmEHashError>(() => PmEHash.attach(forge(handle, b.dir)));
  expect(err).toBeInstanceOf(PmEHashError);
  expect(err.code).toBe('PMEHASH_BAD_HANDLE');
  expect(err.message).toMatch(problem);
  expect([snapshot(a.dir), snapshot(b.dir)]).toEqual(before);
  // Both stores go on: no thread slot was taken, nothing of b was touched.
  for (const store of [a, b]) {
    expect(store.get(499)).toBe(1497n);
    expect(store.check()).toEqual([]);
    expect(store.size).toBe(500);
    store.close();
  }
});

test("a closed store's handle is refused as closed, also once another store is open in its folder", () => {
  const a = filled('handle-closed');
  const handle = a.share();
  a.close();
  expect(thrown<PmEHashError>(() => PmEHash.attach(handle)).code).toBe('PMEHASH_CLOSED');
  const reopened = new PmEHash({ dir: a.dir });
  expect(thrown<PmEHashError>(() => PmEHash.attach(handle)).code).toBe('PMEHASH_CLOSED');
  const fresh = reopened.share(); // the folder's new open has a handle of its own
  const worker = PmEHash.attach(fresh);
  expect(worker.get(10)).toBe(30n);
  worker.close();
  reopened.close();
});

test('a handle of an earlier open of the same folder is refused even if its block was never closed', () => {
  const a = filled('handle-stale');
  const handle = a.share();
  const copy = new SharedArrayBuffer(CONTROL_BYTES);
  new Int32Array(copy).set(new Int32Array(handle.control)); // the block as it was while open
  a.close();
  const again = new PmEHash({ dir: a.dir });
  const err = thrown<PmEHashError>(() => PmEHash.attach({ ...handle, control: copy }));
  expect(err.code).toBe('PMEHASH_BAD_HANDLE');
  expect(again.size).toBe(500);
  again.close();
});
