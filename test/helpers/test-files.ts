// Doubles of the real mapped-file layer for tests: the store runs unchanged on them, passed as
// the second argument of `new PmEHash`. CrashingFiles kills its process right after a given
// persist (the crash-point tests); FailingFiles lets a test fail file creation or growth.

import { MappedFiles } from '../../src/mapped-files';

/** Real files whose process is SIGKILLed right after persist number `crashAfter` (0: never). */
export class CrashingFiles extends MappedFiles {
  constructor(
    sync: boolean,
    private readonly crashAfter: number,
  ) {
    super(sync);
  }

  override persist(buffer: Buffer, offset: number, length: number): void {
    super.persist(buffer, offset, length);
    if (this.persists === this.crashAfter) process.kill(process.pid, 'SIGKILL');
  }
}

export type FileOperation = 'create' | 'grow' | 'sync-folder';

/**
 * Real files where `failure` runs before every file creation or growth, and every fsync of a
 * folder, and may throw (ENOSPC, EIO).
 */
export class FailingFiles extends MappedFiles {
  failure: ((op: FileOperation, file: string) => void) | undefined;

  override create(file: string, size: number): Buffer {
    this.failure?.('create', file);
    return super.create(file, size);
  }

  override resize(file: string, size: number): Buffer {
    this.failure?.('grow', file);
    return super.resize(file, size);
  }

  override syncFolder(dir: string): void {
    this.failure?.('sync-folder', dir);
    super.syncFolder(dir);
  }
}
