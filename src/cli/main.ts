#!/usr/bin/env node
// The `pmehash` command. User errors are one line on stderr and a non-zero exit code.

import { Command, CommanderError } from 'commander';
import { registerStoreCommands } from './store-commands';
import { registerWorkloadCommands } from './workload-commands';

export function buildProgram(): Command {
  const program = new Command('pmehash')
    .description('Persistent extendible hash table on memory-mapped files: YCSB runner and store tools')
    .showHelpAfterError()
    .exitOverride();
  registerWorkloadCommands(program);
  registerStoreCommands(program);
  return program;
}

export function main(argv: string[]): number {
  const program = buildProgram();
  try {
    program.parse(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed it
    const e = err as Error & { code?: string };
    process.stderr.write(`pmehash: ${e.message}\n`);
    return e.code === 'PMEHASH_CORRUPT' ? 2 : 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
