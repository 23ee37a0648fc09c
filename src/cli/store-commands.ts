// Store tools of the `pmehash` command: stats, check, get, put, del, dump. They open an existing
// store (only put creates one) in --dir, default PMEHASH_DIR, else data/ (README, "Where the store lives"). A
// store that cannot be opened ends every one of them the same way: one line, exit 2.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { defaultFolders } from '../files';
import { refuseLostMetadata, scanFolder } from '../folder';
import { WrittenFiles } from '../written-files';
import { PmEHash } from '../pm-ehash';
import { halvesToString } from '../uint64';
import type { SearchResult } from '../../include-types/kv';
import { EXIT_FAILED, EXIT_OK, EXIT_UNOPENABLE, ExitError, messageOf, writeOut } from './output';

const MAX_UINT64 = (1n << 64n) - 1n;

/** Exit codes of `pmehash check`. */
export const CHECK_CLEAN = EXIT_OK;
export const CHECK_PROBLEMS = EXIT_FAILED;
export const CHECK_UNOPENABLE = EXIT_UNOPENABLE;

export function uint64Argument(value: string): bigint {
  if (!/^[0-9]+$/.test(value) || BigInt(value) > MAX_UINT64) {
    throw new InvalidArgumentError('expected an unsigned decimal integer in [0, 2^64-1]');
  }
  return BigInt(value);
}

interface DirOption {
  dir?: string;
}

/** The store folder of a command: --dir, else the default PmEHash uses (README, "Where the store lives"). */
function storeDir(opts: DirOption): string {
  return path.resolve(opts.dir ?? defaultFolders().store);
}

/**
 * Opens the store of a command, creating it only for put (`create`). Before anything else the
 * folder is looked at, without changing it: one that has lost its metadata but keeps catalog
 * or page files (or holds files of something else) is refused as corrupt by every command
 * alike, where PmEHash would tell get "no store here" and put "corrupt". Any failure to open
 * is an ExitError with exit code 2.
 */
function openStore(opts: DirOption, create: boolean): PmEHash {
  const dir = storeDir(opts);
  try {
    if (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      refuseLostMetadata(scanFolder(new WrittenFiles(false), dir), dir);
    }
    return new PmEHash({ dir, create });
  } catch (err) {
    throw new ExitError(messageOf(err), EXIT_UNOPENABLE, { cause: err });
  }
}

function withStore<T>(opts: DirOption, fn: (store: PmEHash) => T, create = false): T {
  const store = openStore(opts, create);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

const dirOption = (cmd: Command): Command =>
  cmd.option(
    '-d, --dir <dir>',
    'store folder (default: PMEHASH_DIR, else data/ in this repository or pmehash-data/ here)',
  );

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
        if (opts.json) writeOut(JSON.stringify(stats) + '\n');
        else {
          writeOut(
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
    withStore(opts, (store) => {
      const problems = store.check();
      let out = problems.map((p) => `${p}\n`).join('');
      if (store.repairs.length > 0) out += `recovery on open: ${store.repairs.join('; ')}\n`;
      out += problems.length === 0 ? `consistent: ${store.stats().keys} keys\n` : `${problems.length} problem(s)\n`;
      process.exitCode = problems.length === 0 ? CHECK_CLEAN : CHECK_PROBLEMS;
      writeOut(out);
    });
  });

  dirOption(program.command('get').description('print the value of a key (exit 1 when absent)'))
    .argument('<key>', 'uint64 key, decimal', uint64Argument)
    .action((key: bigint, opts: DirOption) => {
      withStore(opts, (store) => {
        const out: SearchResult = {};
        if (store.search(key, out) === 0) writeOut(`${out.value}\n`);
        else {
          process.stderr.write(`pmehash: key ${key} not found\n`);
          process.exitCode = EXIT_FAILED;
        }
      });
    });

  dirOption(
    program.command('put').description('insert a key, or update it when present (creates a store where there is none)'),
  )
    .argument('<key>', 'uint64 key, decimal', uint64Argument)
    .argument('<value>', 'uint64 value, decimal', uint64Argument)
    .action((key: bigint, value: bigint, opts: DirOption) => {
      withStore(
        opts,
        (store) => {
          const inserted = store.insert({ key, value }) === 0;
          if (!inserted) store.update({ key, value });
          writeOut(`${inserted ? 'inserted' : 'updated'} ${key}\n`);
        },
        true,
      );
    });

  dirOption(program.command('del').description('remove a key (exit 1 when absent)'))
    .argument('<key>', 'uint64 key, decimal', uint64Argument)
    .action((key: bigint, opts: DirOption) => {
      withStore(opts, (store) => {
        if (store.remove(key) === 0) writeOut(`removed ${key}\n`);
        else {
          process.stderr.write(`pmehash: key ${key} not found\n`);
          process.exitCode = EXIT_FAILED;
        }
      });
    });

  dirOption(program.command('dump').description('every pair as a "key value" line, streamed')).action(
    (opts: DirOption) => {
      withStore(opts, (store) => {
        // Written a chunk at a time at the reader's pace; a reader that stops (`| head`) ends the dump.
        let chunk = '';
        let lines = 0;
        store.words.forEachWords((kLo, kHi, vLo, vHi) => {
          chunk += `${halvesToString(kLo, kHi)} ${halvesToString(vLo, vHi)}\n`;
          if (++lines === 4096) {
            writeOut(chunk);
            chunk = '';
            lines = 0;
          }
        });
        writeOut(chunk);
      });
    },
  );
}
