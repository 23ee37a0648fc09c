// Durability 'log', the whole-store steps (FORMAT.md, "Log"): whether the image in the store
// folder can be used at open, the log state that tells, and the removal of log files
// (checkpoints, in checkpoint.ts, remove what their snapshot covers; selfDestory all of it).

import * as layout from '../include-types/layout';
import { ioError, PmEHashCorruptError } from './errors';
import { filePath, LOG_STATE_FILE, segmentFileName, snapshotFileName } from './files';
import type { BatchEffects } from './batch-record';
import {
  currentBootId,
  encodeLogState,
  readSnapshot,
  replaySegments,
  scanLogFolder,
  type LogFolder,
  type TornEnd,
} from './log-folder';
import type { StoreFiles } from './store-files';

const { LOG_STATE_CLEAN, LOG_STATE_IMAGE_VALID } = layout;

/** What an open in durability 'log' found, before the image is opened. */
export interface LogOpenPlan {
  folder: LogFolder;
  bootId: Buffer;
  /** Why the image must be built again from the snapshot and the log; undefined when it can be used. */
  rebuild: string | undefined;
  /** What a rebuild applies (readLogContents), read before anything changes. */
  contents?: LogContents;
}

/** The snapshot's pairs and the frames after it, read and checked. */
export interface LogContents {
  /** Key low, key high, value low, value high per pair. */
  pairs: Uint32Array;
  frames: BatchEffects[];
  /** Where replay stopped short at the log's end, if it did. */
  torn: TornEnd | undefined;
}

/** Reads what a rebuild applies; throws PmEHashCorruptError, having changed nothing, when it does not check. */
export function readLogContents(files: StoreFiles, logDir: string, folder: LogFolder): LogContents {
  const pairs = readSnapshot(files, logDir, folder.snapshot);
  const frames: BatchEffects[] = [];
  const torn = replaySegments(files, logDir, folder.segments, (effects) => frames.push(effects));
  return { pairs, frames, torn };
}

/**
 * Recovery, log steps 1-2: reads the log folder (if there is one) and decides whether the
 * image can be used. With no snapshot, the log has never covered anything: the image (or a new
 * store) is used as it is, and a first checkpoint follows.
 */
export function planLogOpen(files: StoreFiles, logDir: string, imageExists: boolean): LogOpenPlan {
  const folder: LogFolder = files.exists(logDir)
    ? scanLogFolder(files, logDir)
    : { state: undefined, snapshot: 0, segments: [], leftovers: [] };
  const bootId = currentBootId();
  const plan = (rebuild: string | undefined): LogOpenPlan => ({
    folder,
    bootId,
    rebuild,
    contents: rebuild === undefined ? undefined : readLogContents(files, logDir, folder),
  });
  const state = folder.state;
  if (folder.snapshot === 0 && state !== undefined) {
    // The state is written only after a first snapshot: the snapshots were lost.
    throw new PmEHashCorruptError(LOG_STATE_FILE, 'a log state without any snapshot: the log is incomplete', {
      dir: logDir,
    });
  }
  if (folder.snapshot === 0) return plan(undefined);
  if (state === undefined) return plan(`${LOG_STATE_FILE} is missing`);
  if ((state.flags & LOG_STATE_IMAGE_VALID) === 0) return plan('the image was being built again when it stopped');
  if (bootId.every((x) => x === 0) || !bootId.equals(state.bootId))
    return plan('the system restarted since the image was written (another boot id)');
  if (!imageExists) return plan('the store folder holds no store');
  return plan(undefined);
}

/**
 * Whether the last open closed cleanly, and no open in another mode came after it (the image
 * carries the same stamp): then the log holds every operation of the image.
 */
export function closedCleanly(plan: LogOpenPlan, imageStamp: number): boolean {
  const state = plan.folder.state;
  return state !== undefined && (state.flags & LOG_STATE_CLEAN) !== 0 && state.stamp === imageStamp;
}

/** Writes the log state and makes it durable (one 32-byte write: a sector is written whole). */
export function writeLogState(files: StoreFiles, logDir: string, flags: number, bootId: Buffer, stamp: number): void {
  const file = filePath(logDir, LOG_STATE_FILE);
  try {
    const made = !files.exists(file);
    files.writeAt(file, encodeLogState(flags, bootId, stamp), 0);
    files.syncFile(file);
    if (made) files.syncLogFolder(logDir);
  } catch (err) {
    throw ioError(`cannot write the log state ${file}`, err);
  }
}

/** Removes files a checkpoint left (older snapshots and segments, partial snapshots). */
export function removeLeftovers(files: StoreFiles, logDir: string, names: readonly string[]): void {
  for (const name of names) files.remove(filePath(logDir, name));
  if (names.length > 0) files.syncLogFolder(logDir);
}

/**
 * Removes every file of the log folder that the log owns (selfDestory, before the store files:
 * cut short, the image is used again as it is).
 */
export function removeLogFiles(files: StoreFiles, logDir: string): void {
  if (!files.exists(logDir)) return;
  const folder = scanLogFolder(files, logDir);
  // The state and the snapshot first: cut short after them, the next open finds a log that
  // never covered anything, and uses the image (still whole) as at a first open.
  const names = [LOG_STATE_FILE, ...(folder.snapshot > 0 ? [snapshotFileName(folder.snapshot)] : [])];
  names.push(...folder.leftovers, ...folder.segments.map(segmentFileName));
  for (const name of names) if (files.exists(filePath(logDir, name))) files.remove(filePath(logDir, name));
  files.syncLogFolder(logDir);
}
