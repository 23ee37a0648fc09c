// The one way tests run code in child processes. Crash tests start hundreds of them, so instead
// of going through ts-node each time, the sources are transpiled once per test file into a
// temporary folder and run with plain `node` (or in a worker thread). NODE_PATH points them at the project's
// node_modules. A script is named by its file in test/helpers/, or by a path from the project
// root (`src/cli/main.ts`).

import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
let built: string | undefined;

function transpileTree(from: string, to: string): void {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    if (entry.isDirectory()) transpileTree(src, path.join(to, entry.name));
    else if (entry.name.endsWith('.ts')) {
      const out = ts.transpileModule(fs.readFileSync(src, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      fs.mkdirSync(to, { recursive: true });
      fs.writeFileSync(path.join(to, entry.name.replace(/\.ts$/, '.js')), out.outputText);
    }
  }
}

/**
 * The folder holding the transpiled src/, include-types/, bench/ and test/helpers/ (built once), and
 * package.json, laid out as in the project, so that code finding the project by its package.json
 * (the CLI's --version, its default data/ folder) finds this copy, as it finds dist/'s parent.
 */
export function compiledRoot(): string {
  if (!built) {
    built = fs.mkdtempSync(path.join(os.tmpdir(), 'pmehash-js-'));
    for (const dir of ['src', 'include-types', 'bench', path.join('test', 'helpers')])
      transpileTree(path.join(ROOT, dir), path.join(built, dir));
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(built, 'package.json'));
    fs.chmodSync(built, 0o755);
  }
  return built;
}

export function removeCompiled(): void {
  if (built) fs.rmSync(built, { recursive: true, force: true });
  built = undefined;
}

function scriptPath(script: string): string {
  const fromRoot = script.includes('/') ? script : path.join('test', 'helpers', script);
  return path.join(compiledRoot(), fromRoot.replace(/\.ts$/, '.js'));
}

const childEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
  ...process.env,
  NODE_PATH: path.join(ROOT, 'node_modules'),
  ...env,
});

/** Runs a script to completion (or death). */
export function runCompiled(script: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [scriptPath(script), ...args], {
    env: childEnv(env),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** Starts a script and returns the running child. */
export function startCompiled(script: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [scriptPath(script), ...args], {
    env: childEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/**
 * Starts test/helpers/<helper> in a worker thread of this process. A worker reads NODE_PATH from
 * the env it is given when its module loader starts, so the compiled tree finds mmap-io.
 */
export function startCompiledWorker(helper: string, workerData: unknown): Worker {
  return new Worker(scriptPath(helper), { workerData, env: childEnv({}) });
}
