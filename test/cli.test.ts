// The pmehash command: help on every subcommand, store tools and their exit codes, one-line
// errors without stack traces.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PmEHash } from '../src';
import { ioError } from '../src/errors';
import { removeCompiled, runCompiled } from './helpers/compile';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(() => {
  removeTempDirs();
  removeCompiled();
});

/** Runs the CLI (transpiled once, plain node) with PMEHASH_DIR unset. */
function cli(...args: string[]) {
  const r = runCompiled('src/cli/main.ts', args, { PMEHASH_DIR: '' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('--help works for the command and every subcommand', () => {
  const top = cli('--help');
  expect(top.code).toBe(0);
  for (const sub of ['workload', 'ycsb', 'stats', 'check', 'get', 'put', 'del', 'dump']) {
    expect(top.out).toContain(sub);
    const help = cli(sub, '--help');
    expect({ sub, code: help.code }).toEqual({ sub, code: 0 });
    expect(help.out).toMatch(new RegExp(`^Usage: pmehash ${sub}`));
  }
});

test('put, get, del, dump and stats on a store', () => {
  const dir = tempDir('cli');
  expect(cli('put', '18446744073709551615', '7', '--dir', dir)).toMatchObject({
    code: 0,
    out: 'inserted 18446744073709551615\n',
  });
  expect(cli('put', '0', '9007199254740993', '--dir', dir)).toMatchObject({ code: 0, out: 'inserted 0\n' });
  expect(cli('put', '0', '5', '--dir', dir)).toMatchObject({ code: 0, out: 'updated 0\n' });
  expect(cli('get', '18446744073709551615', '--dir', dir)).toMatchObject({ code: 0, out: '7\n' });
  expect(cli('get', '0', '--dir', dir)).toMatchObject({ code: 0, out: '5\n' });
  expect(cli('get', '3', '--dir', dir)).toMatchObject({ code: 1, out: '', err: 'pmehash: key 3 not found\n' });
  const dump = cli('dump', '--dir', dir);
  expect(dump.code).toBe(0);
  expect(dump.out.trimEnd().split('\n').sort()).toEqual(['0 5', '18446744073709551615 7']);
  const stats = JSON.parse(cli('stats', '--json', '--dir', dir).out);
  expect(stats).toMatchObject({ keys: 2, globalDepth: 0, buckets: 1, pageFiles: 1 });
  expect(stats.fileBytes).toBeGreaterThan(0);
  expect(cli('stats', '--dir', dir).out).toMatch(/keys\s+2\n/);
  expect(cli('del', '0', '--dir', dir)).toMatchObject({ code: 0, out: 'removed 0\n' });
  expect(cli('del', '0', '--dir', dir)).toMatchObject({ code: 1, err: 'pmehash: key 0 not found\n' });
});

test('check: 0 when consistent, 2 when corrupt or missing', () => {
  const dir = tempDir('cli-check');
  const store = new PmEHash({ dir });
  for (let k = 0; k < 500; k++) store.insert({ key: k, value: k });
  store.close();
  expect(cli('check', '--dir', dir)).toMatchObject({ code: 0, out: 'consistent: 500 keys\n' });
  fs.truncateSync(path.join(dir, 'pm_ehash_catalog'), 4);
  const corrupt = cli('check', '--dir', dir);
  expect(corrupt.code).toBe(2);
  expect(corrupt.err.startsWith(`pmehash: ${path.join(dir, 'pm_ehash_catalog')}: size is 4 bytes`)).toBe(true);
  const missing = cli('check', '--dir', path.join(dir, 'nothing-here'));
  expect(missing.code).toBe(2);
  expect(missing.err).toMatch(/no pmehash store here/);
  expect(fs.existsSync(path.join(dir, 'nothing-here'))).toBe(false); // read commands create nothing
});

test('user errors are one line on stderr with a non-zero exit code, no stack trace', () => {
  const dir = tempDir('cli-errors');
  for (const args of [
    ['get', 'abc', '--dir', dir],
    ['get', '18446744073709551616', '--dir', dir],
    ['put', '1', '--dir', dir],
    ['get', '1', '--dir', path.join(dir, 'absent')],
    ['ycsb', '--workload', 'no-such-workload'],
    ['ycsb', '--load', path.join(dir, 'missing-load.txt'), '--run', path.join(dir, 'missing-run.txt'), '--dir', dir],
    ['frobnicate'],
  ]) {
    const r = cli(...args);
    expect({ args, nonZero: r.code !== 0 && r.code !== null }).toEqual({ args, nonZero: true });
    expect(r.err).toMatch(/^(pmehash: |error: )/);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  }
});

test('an I/O error names its system code once, whatever the shape of the message', () => {
  const sysError = (message: string, code: string) => Object.assign(new Error(message), { code });
  expect(ioError('cannot grow x', sysError('ENOSPC: no space left on device, write', 'ENOSPC')).message).toBe(
    'cannot grow x: ENOSPC: no space left on device, write',
  );
  expect(ioError('cannot write', sysError('write EPIPE', 'EPIPE')).message).toBe('cannot write: write EPIPE');
  expect(ioError('cannot map', sysError('mmap failed', 'ENOMEM')).message).toBe('cannot map: ENOMEM mmap failed');
  const inner = ioError('cannot create page file 3', sysError('ENOSPC: no space left on device, write', 'ENOSPC'));
  expect(ioError('cannot open store', inner).message).toBe(
    'cannot open store: cannot create page file 3: ENOSPC: no space left on device, write',
  );
  expect(ioError('cannot open', 'plain string').message).toBe('cannot open: plain string');
});
