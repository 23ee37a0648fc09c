// What the benchmark tools share: running one contender in a process of its own, a scratch
// folder on tmpfs when there is one, command-line options, medians, number and machine text.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ContenderName, ContenderResult } from './contender';

/** The value after `--name` on the command line, if any. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The middle value; for an even count, the mean of the two middle ones. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Median, smallest and largest of some measurements. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A fresh scratch folder, in /dev/shm (tmpfs, like NVM) when the machine has it. */
export function scratchDir(label: string): string {
  return fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), `pmehash-${label}-`));
}

/**
 * Runs contender `name` on the workload files in a process of its own; its store goes in `dir`.
 * `c-same-layout` is the program compiled from bench/same-layout.c, at `sameLayoutBinary`.
 */
export function measure(
  name: ContenderName,
  load: string,
  run: string,
  dir: string,
  sameLayoutBinary?: string,
): ContenderResult {
  let command = process.execPath;
  let args = [path.join(__dirname, 'contender.js'), name, load, run, dir];
  if (name === 'c-same-layout') {
    if (!sameLayoutBinary) throw new Error('c-same-layout needs the program compiled from bench/same-layout.c');
    command = sameLayoutBinary;
    args = [load, run, dir];
  }
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr || r.signal}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

export function machine(): string {
  return `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export const today = (): string => new Date().toISOString().slice(0, 10);
