// Error classes with a stable `code`. Caller bugs (bad arguments) are plain TypeError /
// RangeError; these are for the store itself: corruption, locking, I/O, misuse of a closed store.

import * as path from 'node:path';

export type PmEHashErrorCode =
  | 'PMEHASH_CORRUPT'
  | 'PMEHASH_LOCKED'
  | 'PMEHASH_CLOSED'
  | 'PMEHASH_IO'
  | 'PMEHASH_FULL'
  | 'PMEHASH_NOT_FOUND'
  | 'PMEHASH_BUSY'
  | 'PMEHASH_DEADLOCK'
  | 'PMEHASH_BAD_HANDLE'
  | 'PMEHASH_UNSUPPORTED';

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

/**
 * An I/O failure of the store, naming what was being done; the system error is the cause. Its
 * code (ENOSPC) is named once: added only when the message does not hold it already (Node's
 * file errors start with it, "ENOSPC: no space left on device, write"; its stream errors end
 * with it, "write EPIPE"), and never for an error of ours, whose PMEHASH_ code adds nothing.
 */
export function ioError(what: string, err: unknown): PmEHashError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const named =
    typeof code !== 'string' || err instanceof PmEHashError || message.split(/[^A-Za-z0-9_]+/).includes(code);
  return new PmEHashError('PMEHASH_IO', `${what}: ${named ? '' : `${code} `}${message}`, { cause: err });
}
