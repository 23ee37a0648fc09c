// Runs a TypeScript script (a path relative to test/helpers, or absolute) in a fresh Node process (through ts-node) and returns its
// stdout; throws with its stderr when it exits non-zero or is killed.

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export function runChild(script: string, args: string[], env: NodeJS.ProcessEnv = {}): { stdout: string; status: number | null; signal: NodeJS.Signals | null; stderr: string } {
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', path.resolve(__dirname, script), ...args], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}
