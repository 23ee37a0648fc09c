// Store tools of the `pmehash` command: stats, check, get, put, del, dump. They open an existing
// store (never create one) in --dir, default PMEHASH_DIR or the project's data/ folder.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { PmEHash } from '../pm-ehash';
import { halvesToString } from '../uint64';
import type { SearchResult } from '../../include-types/kv';

const MAX_UINT64 = (1n << 64n) - 1n;

/** Exit codes of `pmehash check`. */
export const CHECK_CLEAN = 0;
export const CHECK_PROBLEMS = 1;
export const CHECK_UNOPENABLE = 2;

export function uint64Argument(value: string): bigint {
  if (!/^[0-9]+$/.test(value) || BigInt(value) > MAX_UINT64) {
    throw new InvalidArgumentError('expected an unsigned decimal integer in [0, 2^64-1]');
  }
  return BigInt(value);
}

interface DirOption {
  dir?: string;
}

function openExisting(opts: DirOption): PmEHash {
  return new PmEHash({ dir: opts.dir, create: false });
}

function withStore<T>(opts: DirOption, fn: (store: PmEHash) => T): T {
  const store = openExisting(opts);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

const dirOption = (cmd: Command): Command =>
  cmd.option('-d, --dir <dir>', "store folder (default: PMEHASH_DIR, else the project's data/)");

export function registerStoreCommands(program: Command): void {
  dirOption(program.command('stats').description('global depth, buckets, pages, keys, load factor and file sizes'))
    .option('--json', 'print one JSON object', false)
    .action((opts: DirOption & { json: boolean }) => {
      withStore(opts, (store) => {
        const files = fs
          .readdirSync(store.dir)
          .filter((f) => !f.startsWith('.') && fs.statSync(path.join(store.dir, f)).isFile());
        const bytes = files.reduce((n, f) => n + fs.statSync(path.join(store.dir, f)).size, 0);
        const stats = { ...store.stats(), fileBytes: bytes, dir: store.dir };
        if (opts.json) process.stdout.write(JSON.stringify(stats) + '\n');
        else {
          process.stdout.write(
            [
              `store         ${stats.dir}`,
              `global depth  ${stats.globalDepth} (catalog of ${stats.catalogSize.toLocaleString('en-US')} entries)`,
              `buckets       ${stats.buckets.toLocaleString('en-US')}`,
              `page files    ${stats.pageFiles.toLocaleString('en-US')}`,
              `keys          ${stats.keys.toLocaleString('en-US')}`,
              `load factor   ${stats.loadFactor.toFixed(3)}`,
              `file bytes    ${bytes.toLocaleString('en-US')} in ${files.length} files`,
            ].join('\n') + '\n',
          );
        }
      });
    });

  dirOption(
    program
      .command('check')
      .description('full consistency check; exit 0 clean, 1 problems found, 2 corrupt or unopenable'),
  ).action((opts: DirOption) => {
    let store: PmEHash;
    try {
      store = openExisting(opts);
    } catch (err) {
      process.stderr.write(`pmehash: ${(err as Error).message}\n`);
      process.exitCode = CHECK_UNOPENABLE;
      return;
    }
    try {
      const problems = store.check();
      for (const p of problems) process.stdout.write(`${p}\n`);
      if (store.repairs.length > 0) process.stdout.write(`recovery on open: ${store.repairs.join('; ')}\n`);
      process.stdout.write(
        problems.length === 0 ? `consistent: ${store.stats().keys} keys\n` : `${problems.length} problem(s)\n`,
      );
      process.exitCode = problems.length === 0 ? CHECK_CLEAN : CHECK_PROBLEMS;
    } finally {
      store.close();
    }
  });

  dirOption(program.command('get').description('print the value of a key (exit 1 when absent)'))
    .argument('<key>', 'uint64 key, decimal', uint64Argument)
    .action((key: bigint, opts: DirOption) => {
      withStore(opts, (store) => {
        const out: SearchResult = {};
        if (store.search(key, out) === 0) process.stdout.write(`${out.value}\n`);
        else {
          process.stderr.write(`pmehash: key ${key} not found\n`);
          process.exitCode = 1;
        }
      });
    });

  dirOption(program.command('put').description('insert a key, or update it when present'))
    .argument('<key>', 'uint64 key, decimal', uint64Argument)
    .argument('<value>', 'uint64 value, decimal', uint64Argument)
    .action((key: bigint, value: bigint, opts: DirOption) => {
      const store = new PmEHash({ dir: opts.dir }); // put may create the store
      try {
        const inserted = store.insert({ key, value }) === 0;
        if (!inserted) store.update({ key, value });
        process.stdout.write(`${inserted ? 'inserted' : 'updated'} ${key}\n`);
      } finally {
        store.close();
      }
    });

  dirOption(program.command('del').description('remove a key (exit 1 when absent)'))
    .argument('<key>', 'uint64 key, decimal', uint64Argument)
    .action((key: bigint, opts: DirOption) => {
      withStore(opts, (store) => {
        if (store.remove(key) === 0) process.stdout.write(`removed ${key}\n`);
        else {
          process.stderr.write(`pmehash: key ${key} not found\n`);
          process.exitCode = 1;
        }
      });
    });

  dirOption(program.command('dump').description('every pair as a "key value" line, streamed')).action(
    (opts: DirOption) => {
      withStore(opts, (store) => {
        let chunk: string[] = [];
        store.words.forEachWords((kLo, kHi, vLo, vHi) => {
          chunk.push(`${halvesToString(kLo, kHi)} ${halvesToString(vLo, vHi)}\n`);
          if (chunk.length === 4096) {
            process.stdout.write(chunk.join(''));
            chunk = [];
          }
        });
        process.stdout.write(chunk.join(''));
      });
    },
  );
}
