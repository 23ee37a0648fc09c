// One writer per store, for every thread of every process. Node has no flock, and an
// in-process registry is per JS isolate (a worker thread would not see it), so the file system
// alone decides.
//
// The lock `pm_ehash_lock` is a folder holding one empty entry named after its owner:
// `pid-<pid>.start-<starttime>.token-<32 hex>`: the owner's pid, its process start time (Linux:
// field 22 of /proc/<pid>/stat; `start-unknown` where /proc cannot be read) and a random token
// of this open. The owner is alive iff `kill(pid, 0)` succeeds (EPERM too), the process is not a
// zombie, and, when both are known, its current start time equals the recorded one: a pid alone
// does not prove who holds the lock, since a new process (in a container, pids restart small)
// may get a dead owner's pid, our own included. An owner that is alive holds the store, also
// when it is this very process (another PmEHash, on some thread): the open is refused with
// PMEHASH_LOCKED and nothing is written.
//
// Why a folder: POSIX has no "remove this name only if it is still the file I looked at", so a
// lock *file* cannot be taken over or released safely when openers race (removing or moving a
// stale file may hit the live lock someone put there meanwhile). In the folder every removal
// is by an entry name unique to one open, so it is conditional by construction:
// - acquire: the entry is made in a hidden folder `.pm_ehash_lock.<token>` and that folder is
//   renamed to `pm_ehash_lock`. rename(2) of a folder succeeds only onto an absent or empty
//   folder, so of openers racing for a free lock exactly one wins; the lock is never seen half
//   made. A loser removes its hidden folder and looks again (and finds the winner: LOCKED).
// - a stale entry (dead owner, or a name that is not an owner's) is unlinked by its name; two
//   openers may both do it, only one succeeds and neither can touch a live entry. The lock is
//   then empty (free) and acquired as above.
// - release unlinks this open's own entry (a no-op if it is gone) and then removes the folder
//   only if empty (rmdir), so closing one store never releases a lock that another holds.
// A lock *file* holding only a pid was written by earlier versions: naming a live pid other
// than ours it is held; naming ours it is stale (this version never writes it). A stale one is
// unlinked, which cannot remove a folder, so a racing new-version opener's lock is safe (only
// a racing earlier version could lose its lock file: mixed versions are not race-safe). Earlier
// versions, finding the folder, fail to remove it and refuse to open.
// A crash in the instant between making the hidden folder and renaming it may leave the hidden
// folder behind; hidden names are ignored by opening, so it is harmless. A store left open by
// a worker that ended without close() stays locked until its process exits.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PmEHashError } from './errors';
import { filePath, LOCK_FILE } from './files';

/** Who holds a lock: start is undefined when it could not be read where the lock was taken. */
export interface LockOwner {
  readonly pid: number;
  readonly start?: string;
  readonly token?: string;
}

/** What acquireLock returns and releaseLock takes back: the store folder and this open's entry. */
export interface StoreLock {
  readonly dir: string;
  readonly entry: string;
}

const ENTRY = /^pid-([1-9][0-9]*)\.start-([0-9]+|unknown)\.token-([0-9a-f]{32})$/;
const LEGACY = /^\s*([1-9][0-9]*)\s*$/;
/** Each round removes something stale or loses a race to a live owner; this bounds a livelock. */
const MAX_ROUNDS = 32;

/** The name of an owner's entry in the lock folder. */
export function lockEntryName(owner: LockOwner & { token: string }): string {
  return `pid-${owner.pid}.start-${owner.start ?? 'unknown'}.token-${owner.token}`;
}

function parseEntry(name: string): LockOwner | undefined {
  const m = ENTRY.exec(name);
  if (!m) return undefined;
  return { pid: Number(m[1]), start: m[2] === 'unknown' ? undefined : m[2], token: m[3] };
}

/** State and start time (field 22) from /proc/<pid>/stat, or undefined when unreadable. */
function procStat(pid: number): { start: string; zombie: boolean } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (the command) is in parentheses and may hold spaces; fields 3.. follow the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = fields[22 - 3];
  if (start === undefined || !/^[0-9]+$/.test(start)) return undefined;
  return { start, zombie: fields[0] === 'Z' || fields[0] === 'X' };
}

let ownStart: string | undefined | null = null;
function ownStartTime(): string | undefined {
  if (ownStart === null) ownStart = procStat(process.pid)?.start;
  return ownStart;
}

function pidRuns(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerAlive(owner: LockOwner): boolean {
  if (!pidRuns(owner.pid)) return false;
  const now = procStat(owner.pid);
  if (now === undefined) return true; // no /proc (or not ours to read): the pid is all we know
  if (now.zombie) return false;
  return owner.start === undefined || now.start === owner.start;
}

function describe(owner: LockOwner): string {
  return owner.pid === process.pid && owner.start === ownStartTime() ? 'by this process' : `by process ${owner.pid}`;
}

function lockedError(dir: string, by: string): PmEHashError {
  return new PmEHashError('PMEHASH_LOCKED', `${dir}: store is locked (open ${by})`);
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

type Found =
  | { kind: 'free' }
  | { kind: 'held'; owner: LockOwner }
  | { kind: 'stale'; entries: string[] }
  | { kind: 'legacy-stale' };

/** Reads the lock at lockPath and judges it; writes nothing. */
function inspect(lockPath: string): Found {
  let entries: string[];
  try {
    entries = fs.readdirSync(lockPath);
  } catch (err) {
    if (code(err) === 'ENOENT') return { kind: 'free' };
    if (code(err) !== 'ENOTDIR') throw err;
    return inspectLegacy(lockPath);
  }
  const stale: string[] = [];
  for (const name of entries) {
    const owner = parseEntry(name);
    if (owner && ownerAlive(owner)) return { kind: 'held', owner };
    stale.push(name);
  }
  return stale.length > 0 ? { kind: 'stale', entries: stale } : { kind: 'free' };
}

/** A lock file of an earlier version: the owner's pid as text. */
function inspectLegacy(lockPath: string): Found {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (err) {
    if (code(err) === 'ENOENT' || code(err) === 'EISDIR') return { kind: 'free' }; // changed meanwhile: look again
    throw err;
  }
  const m = LEGACY.exec(text);
  const pid = m ? Number(m[1]) : NaN;
  if (pid !== process.pid && pidRuns(pid) && procStat(pid)?.zombie !== true) return { kind: 'held', owner: { pid } };
  return { kind: 'legacy-stale' };
}

/** Makes the lock at lockPath hold `entry`; false when another opener got there first. */
function install(dir: string, lockPath: string, entry: string, token: string): boolean {
  const staging = filePath(dir, `.${LOCK_FILE}.${token}`);
  fs.mkdirSync(staging);
  try {
    fs.closeSync(fs.openSync(path.join(staging, entry), 'wx'));
    fs.renameSync(staging, lockPath); // only onto an absent or empty folder
    return true;
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    const c = code(err);
    if (c === 'ENOTEMPTY' || c === 'EEXIST' || c === 'ENOTDIR') return false;
    throw err;
  }
}

/** Takes the lock of store folder `dir` (an existing folder, given as a resolved path). */
export function acquireLock(dir: string): StoreLock {
  const lockPath = filePath(dir, LOCK_FILE);
  const token = randomBytes(16).toString('hex');
  const entry = lockEntryName({ pid: process.pid, start: ownStartTime(), token });
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const found = inspect(lockPath);
    if (found.kind === 'held') throw lockedError(dir, describe(found.owner));
    if (found.kind === 'free') {
      if (install(dir, lockPath, entry, token)) return { dir, entry };
    } else if (found.kind === 'stale') {
      // Each name is unique to one open that is over: removing it can touch no live lock.
      for (const name of found.entries) fs.rmSync(path.join(lockPath, name), { recursive: true, force: true });
    } else {
      try {
        fs.unlinkSync(lockPath); // never removes a folder, i.e. a lock of this version
      } catch (err) {
        if (!['ENOENT', 'EISDIR', 'EPERM'].includes(code(err) ?? '')) throw err;
      }
    }
  }
  throw lockedError(dir, 'by openers that keep taking it');
}

/** Gives back a lock taken by acquireLock; a lock that is no longer this open's stays. */
export function releaseLock(lock: StoreLock): void {
  const lockPath = filePath(lock.dir, LOCK_FILE);
  try {
    fs.unlinkSync(path.join(lockPath, lock.entry));
  } catch (err) {
    if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return; // not ours any more
    throw err;
  }
  try {
    fs.rmdirSync(lockPath);
  } catch (err) {
    // Someone took the emptied lock already (or removed it): it is theirs now.
    if (!['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(code(err) ?? '')) throw err;
  }
}

/** The token of a lock entry acquireLock made. */
export function lockToken(lock: StoreLock): string {
  return parseEntry(lock.entry)!.token!;
}

/** Whether this process holds the lock of `dir` with the entry of `token` (an open of it that is not closed). */
export function holdsLock(dir: string, token: string): boolean {
  return lockOwners(dir).some((owner) => owner.pid === process.pid && owner.token === token);
}

/** The owners named in the lock of `dir` (for tools and tests); [] when there is none. */
export function lockOwners(dir: string): LockOwner[] {
  const lockPath = filePath(dir, LOCK_FILE);
  try {
    return fs.readdirSync(lockPath).flatMap((name) => parseEntry(name) ?? []);
  } catch (err) {
    if (code(err) === 'ENOENT') return [];
    if (code(err) !== 'ENOTDIR') throw err;
    const m = LEGACY.exec(fs.readFileSync(lockPath, 'utf8'));
    return m ? [{ pid: Number(m[1]) }] : [];
  }
}
