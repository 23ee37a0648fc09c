// Error classes with a stable `code`. Caller bugs (bad arguments) are plain TypeError /
// RangeError; these are for the store itself: corruption, locking, I/O, misuse of a closed store.

import * as path from 'node:path';

export type PmEHashErrorCode =
  'PMEHASH_CORRUPT' | 'PMEHASH_LOCKED' | 'PMEHASH_CLOSED' | 'PMEHASH_IO' | 'PMEHASH_FULL' | 'PMEHASH_NOT_FOUND';

export class PmEHashError extends Error {
  readonly code: PmEHashErrorCode;

  constructor(code: PmEHashErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PmEHashError';
    this.code = code;
  }
}

/**
 * A store file is damaged or foreign; the folder was left as it was. `file` is the file's name
 * in the store folder; when the folder is given too, the message names the file by its path,
 * so that it says which store is damaged (`/data/store/3: page file missing ...`).
 */
export class PmEHashCorruptError extends PmEHashError {
  readonly file: string;
  /** The store folder, when the thrower knew it. */
  readonly dir?: string;

  constructor(file: string, problem: string, options: { dir?: string; cause?: unknown } = {}) {
    const { dir, ...errorOptions } = options;
    super('PMEHASH_CORRUPT', `${dir === undefined ? file : path.join(dir, file)}: ${problem}`, errorOptions);
    this.name = 'PmEHashCorruptError';
    this.file = file;
    if (dir !== undefined) this.dir = dir;
  }
}

/** The store was written by a build with another on-disk format version; nothing was changed. */
export class PmEHashVersionError extends PmEHashCorruptError {
  constructor(
    file: string,
    readonly version: number,
    readonly supported: number,
    dir?: string,
  ) {
    super(file, `format version ${version}, this build reads ${supported}`, { dir });
    this.name = 'PmEHashVersionError';
  }
}

/** An I/O failure of the store, naming what was being done; the system error is the cause. */
export function ioError(what: string, err: unknown): PmEHashError {
  const e = err as NodeJS.ErrnoException;
  const code = e.code && !e.message.startsWith(e.code) ? `${e.code} ` : '';
  return new PmEHashError('PMEHASH_IO', `${what}: ${code}${e.message}`, { cause: err });
}
