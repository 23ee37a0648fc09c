// One writer per store, in this process and across processes; a killed owner's lock is stale.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { PmEHash, PmEHashError } from '../src';
import { lockOwners } from '../src/lock';
import { removeCompiled, startCompiled } from './helpers/compile';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(() => {
  removeTempDirs();
  removeCompiled();
});

function lockError(fn: () => unknown): PmEHashError {
  try {
    fn();
  } catch (err) {
    return err as PmEHashError;
  }
  throw new Error('expected a lock error');
}

test('a second PmEHash on an open folder in the same process is refused until the first closes', () => {
  const dir = tempDir('lock');
  const first = new PmEHash({ dir });
  first.insert({ key: 1, value: 1 });
  const err = lockError(() => new PmEHash({ dir }));
  expect(err).toBeInstanceOf(PmEHashError);
  expect(err.code).toBe('PMEHASH_LOCKED');
  expect(err.message).toMatch(/locked/);
  expect(first.stats().keys).toBe(1); // the refused open disturbed nothing
  first.close();
  const second = new PmEHash({ dir });
  expect(second.stats().keys).toBe(1);
  second.close();
});

test('another process holding the store makes open fail at once; its lock goes stale when it is killed', async () => {
  const dir = tempDir('lock-proc');
  const child = startCompiled('hold-open.ts', [dir]);
  const [chunk] = await once(child.stdout!, 'data');
  expect(String(chunk)).toBe('open\n');

  const err = lockError(() => new PmEHash({ dir }));
  expect(err.code).toBe('PMEHASH_LOCKED');
  expect(err.message).toContain(`process ${child.pid}`);
  expect(lockOwners(dir).map((o) => o.pid)).toEqual([child.pid]);

  child.kill('SIGKILL');
  await once(child, 'exit');
  expect(fs.existsSync(path.join(dir, 'pm_ehash_lock'))).toBe(true); // left behind by the dead owner
  const store = new PmEHash({ dir }); // stale: taken over
  const out: { value?: bigint } = {};
  expect(store.search(42, out)).toBe(0);
  expect(out.value).toBe(4242n);
  expect(store.check()).toEqual([]);
  store.close();
});

test('a process that closes cleanly releases the lock', async () => {
  const dir = tempDir('lock-close');
  const child = startCompiled('hold-open.ts', [dir]);
  await once(child.stdout!, 'data');
  child.stdin!.end();
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
  expect(fs.existsSync(path.join(dir, 'pm_ehash_lock'))).toBe(false);
  new PmEHash({ dir }).close();
});
