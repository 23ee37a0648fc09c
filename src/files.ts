// Names of the files in a store folder. Page files are named by their decimal id (1, 2, ...).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOG_SLOTS } from '../include-types/layout';
import type { StoreFiles } from './store-files';

export const METADATA_FILE = 'pm_ehash_metadata';
export const CATALOG_FILE = 'pm_ehash_catalog';
export const LOCK_FILE = 'pm_ehash_lock';
/** The metadata of a store being created; renamed to METADATA_FILE as the last step of creation. */
export const CREATING_FILE = 'pm_ehash_metadata.creating';

const PAGE_NAME = /^[1-9][0-9]{0,9}$/;
const BATCH_PREFIX = 'pm_ehash_batch_';
const BATCH_NAME = new RegExp(`^${BATCH_PREFIX}(0|[1-9][0-9]?)$`);

/** The batch record of thread slot `slot` (FORMAT.md, "Batch record"). */
export function batchFileName(slot: number): string {
  return BATCH_PREFIX + slot;
}

/** The thread slot whose batch record `name` is, or -1 when it is not a batch record's name. */
export function batchFileSlot(name: string): number {
  const slot = BATCH_NAME.test(name) ? Number(name.slice(BATCH_PREFIX.length)) : -1;
  return slot < LOG_SLOTS ? slot : -1;
}

// Durability 'log': the files of the log folder (FORMAT.md, "Log").
export const LOG_STATE_FILE = 'pm_ehash_log_state';
const SEGMENT_PREFIX = 'pm_ehash_log_';
const SNAPSHOT_PREFIX = 'pm_ehash_snapshot_';
/** A snapshot being written; renamed to its name once durable. */
export const PARTIAL_SUFFIX = '.partial';
const GEN_NAME = '([1-9][0-9]{0,9})';
const SEGMENT_NAME = new RegExp(`^${SEGMENT_PREFIX}${GEN_NAME}$`);
const SNAPSHOT_NAME = new RegExp(`^${SNAPSHOT_PREFIX}${GEN_NAME}$`);

/** Log segment number `gen`. */
export function segmentFileName(gen: number): string {
  return SEGMENT_PREFIX + gen;
}

/** The snapshot that covers every segment before `gen`. */
export function snapshotFileName(gen: number): string {
  return SNAPSHOT_PREFIX + gen;
}

/** The gen of a log segment's name, or -1. */
export function segmentGen(name: string): number {
  const m = SEGMENT_NAME.exec(name);
  return m ? Number(m[1]) : -1;
}

/** The gen of a snapshot's name, or -1. */
export function snapshotGen(name: string): number {
  const m = SNAPSHOT_NAME.exec(name);
  return m ? Number(m[1]) : -1;
}

export function pageFileName(fileId: number): string {
  return String(fileId);
}

/** The page file id a name stands for, or -1 when the name is not a page file's. */
export function pageFileId(name: string): number {
  return PAGE_NAME.test(name) ? Number(name) : -1;
}

/** Hidden files (.gitkeep and the like) may share the folder; everything else must be ours. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.');
}

export function filePath(dir: string, name: string): string {
  return path.join(dir, name);
}

/** Whether `name` is one of a store's own files (not the lock, which its owner removes). */
export function isStoreFileName(name: string): boolean {
  return (
    pageFileId(name) > 0 ||
    batchFileSlot(name) >= 0 ||
    name === METADATA_FILE ||
    name === CATALOG_FILE ||
    name === CREATING_FILE
  );
}

/**
 * Removes every store file from `dir` (page files, catalog, metadata); other files stay. The
 * metadata is first renamed to CREATING_FILE and removed last, so that a crash in between
 * leaves what the next open takes for an unfinished creation (and clears), never a store with
 * files missing.
 */
export function removeStoreFiles(files: StoreFiles, dir: string): void {
  if (files.exists(filePath(dir, METADATA_FILE))) {
    files.rename(filePath(dir, METADATA_FILE), filePath(dir, CREATING_FILE));
    files.syncFolder(dir);
  }
  for (const entry of files.list(dir)) {
    if (entry.isFile && isStoreFileName(entry.name) && entry.name !== CREATING_FILE)
      files.remove(filePath(dir, entry.name));
  }
  files.remove(filePath(dir, CREATING_FILE));
  files.syncFolder(dir);
}

/** The package folder: the nearest ancestor of this file holding package.json (else the cwd). */
export function projectDir(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/** Whether this code runs from an installed copy of the package (inside node_modules). */
export function isInstalledCopy(dir = projectDir()): boolean {
  return dir.split(path.sep).includes('node_modules');
}

/**
 * Default folders, never inside an installed package (a reinstall would delete them): when the
 * user works in this repository (the current folder is inside it), its own data/ and workload/
 * (the course's layout); anywhere else, pmehash-data/ and pmehash-workload/ in the current
 * folder. That covers an npm install from a folder too, which links the package to its
 * repository rather than copying it. PMEHASH_DIR comes first.
 */
export function defaultFolders(): { store: string; ycsbStore: string; workload: string } {
  const root = projectDir();
  const here = path.relative(root, process.cwd());
  const inRepository = !isInstalledCopy(root) && !here.startsWith('..') && !path.isAbsolute(here);
  const data = inRepository ? path.join(root, 'data') : path.resolve('pmehash-data');
  const workload = inRepository ? path.join(root, 'workload') : path.resolve('pmehash-workload');
  return { store: process.env.PMEHASH_DIR || data, ycsbStore: path.join(data, 'ycsb'), workload };
}
