#!/usr/bin/env node
// The `pmehash` command. Errors are one line on stderr and a non-zero exit code; a usage error
// adds a second line pointing at --help. Exit codes are in output.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { chosenBackend } from '../backend';
import { mmapLoadError } from '../mapped-files';
import { EXIT_FAILED, EXIT_OK, EXIT_UNOPENABLE, ExitError, messageOf, OutputClosed, writeOut } from './output';
import { registerStoreCommands } from './store-commands';
import { registerWorkloadCommands } from './workload-commands';

/**
 * The version in the package's package.json, the nearest one named pmehash above this file
 * (from dist/src/cli/ or src/cli/ alike).
 */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'pmehash' && pkg.version) return pkg.version;
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/** The version, then the backend a store would run on here (src/backend.ts), and why when it is not mmap. */
function versionLine(): string {
  let backend: string;
  try {
    backend = chosenBackend();
  } catch (err) {
    backend = `none: ${messageOf(err)}`;
  }
  const why = backend === 'file' ? mmapLoadError() : undefined;
  return `${packageVersion()} (backend: ${backend}${why === undefined ? '' : `; mmap-io cannot be loaded: ${why}`})`;
}

/** commander's error ("error: ...", perhaps a "(Did you mean ...?)" line) as one line of ours. */
function usageLine(text: string): string {
  return `pmehash: ${messageOf(text.replace(/^error: /, ''))}\n`;
}

export function buildProgram(): Command {
  const program = new Command('pmehash')
    .description('Persistent extendible hash table on memory-mapped files: YCSB runner and store tools')
    .version(versionLine(), '-V, --version', 'print the version and the backend stores run on')
    .configureOutput({ writeOut, outputError: (text, write) => write(usageLine(text)) })
    .exitOverride();
  registerWorkloadCommands(program);
  registerStoreCommands(program);
  // After a usage error, a pointer to the help rather than all of it.
  program.showHelpAfterError('(see pmehash --help)');
  for (const command of program.commands) command.showHelpAfterError(`(see pmehash ${command.name()} --help)`);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander printed it, through usageLine
    if (err instanceof OutputClosed) return EXIT_OK; // `pmehash dump | head`: the reader has all it wanted
    process.stderr.write(`pmehash: ${messageOf(err)}\n`);
    if (err instanceof ExitError) return err.exitCode;
    return (err as { code?: unknown } | null)?.code === 'PMEHASH_CORRUPT' ? EXIT_UNOPENABLE : EXIT_FAILED;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
