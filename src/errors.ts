// Error classes with a stable `code`. Caller bugs (bad arguments) are plain TypeError /
// RangeError; these are for the store itself: corruption, locking, I/O, misuse of a closed store.

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

/** A store file is damaged or foreign. `file` names it; the folder was left as it was. */
export class PmEHashCorruptError extends PmEHashError {
  readonly file: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super('PMEHASH_CORRUPT', `${file}: ${problem}`, options);
    this.name = 'PmEHashCorruptError';
    this.file = file;
  }
}

/** The store was written by a build with another on-disk format version; nothing was changed. */
export class PmEHashVersionError extends PmEHashCorruptError {
  constructor(
    file: string,
    readonly version: number,
    readonly supported: number,
  ) {
    super(file, `format version ${version}, this build reads ${supported}`);
    this.name = 'PmEHashVersionError';
  }
}

/** An I/O failure of the store, naming what was being done; the system error is the cause. */
export function ioError(what: string, err: unknown): PmEHashError {
  const e = err as NodeJS.ErrnoException;
  const code = e.code && !e.message.startsWith(e.code) ? `${e.code} ` : '';
  return new PmEHashError('PMEHASH_IO', `${what}: ${code}${e.message}`, { cause: err });
}
