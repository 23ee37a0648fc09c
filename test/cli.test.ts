// The pmehash command: help and version, store tools and their exit codes, one-line errors
// without stack traces (a usage error adds a pointer to --help), a reader that closes the pipe.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PmEHash } from '../src';
import { ioError } from '../src/errors';
import { removeCompiled, runCompiled, startCompiled } from './helpers/compile';
import { removeTempDirs, snapshot, tempDir } from './helpers/temp';

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

/** A closed store of `keys` keys k -> k + 1 in a new folder. */
function storeOf(keys: number, bucketsPerPage?: number): string {
  const dir = tempDir('cli-store');
  const store = new PmEHash({ dir, bucketsPerPage });
  for (let k = 0; k < keys; k++) store.insert({ key: k, value: k + 1 });
  store.close();
  return dir;
}

test('--version and -V print the version of package.json and the backend', () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  expect(cli('--version')).toEqual({ code: 0, out: `${version} (backend: mmap)\n`, err: '' });
  expect(cli('-V')).toEqual({ code: 0, out: `${version} (backend: mmap)\n`, err: '' });
  const without = runCompiled('src/cli/main.ts', ['--version'], { PMEHASH_DIR: '', PMEHASH_TEST_NO_MMAP: '1' });
  expect(without.stdout).toBe(
    `${version} (backend: file; mmap-io cannot be loaded: mmap-io made unavailable by PMEHASH_TEST_NO_MMAP)\n`,
  );
});

test.each([
  ['an unknown option', ['stats', '--bogus'], "unknown option '--bogus'", 'pmehash stats'],
  ['a misspelt option', ['get', '--dri', 'x', '1'], "unknown option '--dri' (Did you mean --dir?)", 'pmehash get'],
  ['an unknown command', ['frobnicate'], "unknown command 'frobnicate'", 'pmehash'],
  ['a missing argument', ['put', '1'], "missing required argument 'value'", 'pmehash put'],
  ['a bad number', ['get', 'abc'], "argument 'key'. expected an unsigned decimal integer", 'pmehash get'],
  ['a number beyond 2^64-1', ['del', '18446744073709551616'], 'expected an unsigned decimal integer', 'pmehash del'],
  ['a bad option value', ['workload', '--seed', '-1'], 'expected a non-negative integer', 'pmehash workload'],
  ['an extra argument', ['get', '1', '2'], "too many arguments for 'get'", 'pmehash get'],
])('a usage error (%s) is one line and a pointer to --help, exit 1', (_, args, message, command) => {
  const r = cli(...args);
  expect(r.code).toBe(1);
  expect(r.out).toBe('');
  const lines = r.err.split('\n');
  expect(lines).toHaveLength(3); // two lines and the final newline
  expect(lines[0]).toMatch(/^pmehash: /);
  expect(lines[0]).toContain(message);
  expect(lines[1]).toBe(`(see ${command} --help)`);
});

test('other errors are exactly one line on stderr, with a non-zero exit code', () => {
  const dir = tempDir('cli-errors');
  const file = path.join(dir, 'a-file');
  fs.writeFileSync(file, '');
  for (const [args, code] of [
    [['get', '1', '--dir', path.join(dir, 'absent')], 2],
    [['put', '1', '2', '--dir', path.join(file, 'store')], 2],
    [['ycsb', '--workload', 'no-such-workload'], 1],
    [
      ['ycsb', '--load', path.join(dir, 'missing-load.txt'), '--run', path.join(dir, 'missing-run.txt'), '--dir', dir],
      1,
    ],
  ] as const) {
    const r = cli(...args);
    expect({ args, code: r.code }).toEqual({ args, code });
    expect({ args, err: r.err }).toEqual({ args, err: expect.stringMatching(/^pmehash: [^\n]+\n$/) });
    const systemCodes = r.err.match(/\bE[A-Z]{2,}\b/g) ?? [];
    expect({ args, systemCodes }).toEqual({ args, systemCodes: [...new Set(systemCodes)] }); // each named once
  }
  expect(cli('put', '1', '2', '--dir', path.join(file, 'store')).err).toMatch(/: ENOTDIR: not a directory/);
});

test('a store that cannot be opened: exit 2 from every store tool, and nothing is created', () => {
  const absent = path.join(tempDir('cli-absent'), 'absent');
  for (const args of [['stats'], ['check'], ['get', '1'], ['del', '1'], ['dump']]) {
    expect({ args, ...cli(...args, '--dir', absent) }).toEqual({
      args,
      code: 2,
      out: '',
      err: `pmehash: ${absent}: no pmehash store here\n`,
    });
  }
  expect(fs.existsSync(absent)).toBe(false);
});

test('a missing page file is reported with the store folder', () => {
  const dir = storeOf(3000, 16);
  fs.rmSync(path.join(dir, '3'));
  const r = cli('get', '1', '--dir', dir);
  expect(r.code).toBe(2);
  expect(r.err.startsWith(`pmehash: ${path.join(dir, '3')}: `)).toBe(true);
  expect(r.err).toMatch(/: page file missing \(metadata maxFileId \d+\)\n$/);
});

test.each([
  ['the metadata', ['pm_ehash_metadata']],
  ['the metadata and the catalog', ['pm_ehash_metadata', 'pm_ehash_catalog']],
])('a folder that lost %s gets the same answer from every store tool, and is left as it was', (_, lost) => {
  const dir = storeOf(3000, 16);
  for (const name of lost) fs.rmSync(path.join(dir, name));
  const before = snapshot(dir);
  const expected = {
    code: 2,
    out: '',
    err: `pmehash: ${path.join(dir, 'pm_ehash_metadata')}: missing, but the folder holds catalog or page files\n`,
  };
  for (const args of [
    ['stats'],
    ['stats', '--json'],
    ['check'],
    ['get', '1'],
    ['put', '1', '9'],
    ['del', '1'],
    ['dump'],
  ]) {
    expect({ args, ...cli(...args, '--dir', dir) }).toEqual({ args, ...expected });
    expect({ args, files: snapshot(dir) }).toEqual({ args, files: before });
  }
});

test('dump streams a store of many chunks whole', () => {
  const dir = storeOf(20_000);
  const r = cli('dump', '--dir', dir);
  expect(r.code).toBe(0);
  expect(r.err).toBe('');
  const lines = r.out.split('\n');
  expect(lines.pop()).toBe('');
  expect(lines).toHaveLength(20_000);
  expect(new Set(lines)).toEqual(new Set(Array.from({ length: 20_000 }, (_, k) => `${k} ${k + 1}`)));
});

test('dump stops quietly when the reader closes the pipe (pmehash dump | head -1)', async () => {
  const dir = storeOf(200_000); // far more output than a pipe holds
  const child = startCompiled('src/cli/main.ts', ['dump', '--dir', dir], { PMEHASH_DIR: '' });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (err += text));
  const firstLine = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      if (out.includes('\n')) {
        child.stdout!.destroy(); // the reader goes away, as head does after its line
        resolve(out.slice(0, out.indexOf('\n')));
      }
    });
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  expect(firstLine).toMatch(/^\d+ \d+$/);
  expect({ code, signal, err }).toEqual({ code: 0, signal: null, err: '' });
  expect(fs.existsSync(path.join(dir, 'pm_ehash_lock'))).toBe(false); // the store was closed
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
