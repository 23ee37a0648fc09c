// The C contender `c-same-layout` (bench/same-layout.c): pmehash's layout without persistence,
// the ceiling PmEHash is reported against. `make bench` compiles it once per run with the first
// C compiler it finds, and skips it with a note when there is none.

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { projectDir } from '../src/files';

export const SAME_LAYOUT_SOURCE = path.join(projectDir(), 'bench', 'same-layout.c');

/** The compilers looked for, in order. */
export const C_COMPILERS = ['cc', 'gcc', 'clang'] as const;

/** The first of C_COMPILERS that runs, or undefined when the machine has none. */
export function findCCompiler(): string | undefined {
  return C_COMPILERS.find((cc) => spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0);
}

/**
 * Compiles bench/same-layout.c into `out` with `cc`; returns the command line used. Tuned for
 * this machine (-march=native), or without it for a compiler that does not know the flag; a
 * compiler that cannot build it at all is an error, not a reason to skip.
 */
export function compileSameLayout(cc: string, out: string): string {
  const flags = ['-std=c11', '-O2', '-march=native'];
  let r = spawnSync(cc, [...flags, '-o', out, SAME_LAYOUT_SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) {
    flags.pop();
    r = spawnSync(cc, [...flags, '-o', out, SAME_LAYOUT_SOURCE], { encoding: 'utf8' });
  }
  if (r.status !== 0) throw new Error(`${cc} cannot compile ${SAME_LAYOUT_SOURCE}:\n${r.stderr || r.error}`);
  return `${cc} ${flags.join(' ')}`;
}
