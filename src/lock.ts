// One writer per store: an in-process registry of open folders plus a lock file holding the
// owner's pid. A lock whose pid no longer runs was left by a killed process and is taken over.

import * as fs from 'node:fs';
import { PmEHashError } from './errors';
import { filePath, LOCK_FILE } from './files';

const openHere = new Set<string>();

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(dir: string, by: string): PmEHashError {
  return new PmEHashError('PMEHASH_LOCKED', `${dir}: store is locked (open ${by})`);
}

/** Takes the lock of store folder `dir` (an existing folder, given as a resolved path). */
export function acquireLock(dir: string): void {
  if (openHere.has(dir)) throw lockedError(dir, 'by another PmEHash in this process');
  const file = filePath(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, `${process.pid}\n`);
      } finally {
        fs.closeSync(fd);
      }
      openHere.add(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = NaN;
    try {
      owner = parseInt(fs.readFileSync(file, 'utf8'), 10);
    } catch {
      // vanished or unreadable between our two calls: treat as stale and try again
    }
    if (alive(owner) && owner !== process.pid) throw lockedError(dir, `by process ${owner}`);
    fs.rmSync(file, { force: true }); // stale: its owner died without closing
  }
  throw lockedError(dir, 'by a process that keeps re-taking it');
}

export function releaseLock(dir: string): void {
  openHere.delete(dir);
  fs.rmSync(filePath(dir, LOCK_FILE), { force: true });
}
