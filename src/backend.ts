// Which backend a store runs on (src/store-files.ts): the mapped one where mmap-io loads, as the
// course's design has it; else the written one, with one warning per process that says why and
// what it costs. PMEHASH_BACKEND=mmap or =file forces either; forcing mmap where it cannot load
// is an error that names the fix. PMEHASH_BACKEND_WARNING=0 silences the warning.

import { PmEHashError } from './errors';
import { MappedFiles, mmapLoadError } from './mapped-files';
import type { StoreFiles } from './store-files';
import { WrittenFiles } from './written-files';

export type Backend = 'mmap' | 'file';

/** How to get the mapped backend where it is missing. */
export const MMAP_FIX =
  'allow its install script (npm install-scripts approve @riaskov/mmap-io, or pnpm approve-builds) and ' +
  'reinstall, with a C++ toolchain and python3 for node-gyp';

let warned = false;

/** The backend a store opened now would run on (PMEHASH_BACKEND, else mmap when it loads). */
export function chosenBackend(): Backend {
  const forced = process.env.PMEHASH_BACKEND;
  if (forced === 'file') return 'file';
  if (forced !== undefined && forced !== '' && forced !== 'mmap')
    throw new RangeError(`PMEHASH_BACKEND must be 'mmap' or 'file', got '${forced}'`);
  const error = mmapLoadError();
  if (error === undefined) return 'mmap';
  if (forced === 'mmap')
    throw new PmEHashError(
      'PMEHASH_UNSUPPORTED',
      `PMEHASH_BACKEND=mmap, but mmap-io cannot be loaded (${error}): ${MMAP_FIX}`,
    );
  return 'file';
}

/** The files of a store on the chosen backend; the first fallback in a process warns once. */
export function openBackend(sync: boolean): { files: StoreFiles; backend: Backend } {
  const backend = chosenBackend();
  if (backend === 'mmap') return { files: new MappedFiles(sync), backend };
  const error = mmapLoadError();
  if (
    error !== undefined &&
    !warned &&
    process.env.PMEHASH_BACKEND !== 'file' &&
    process.env.PMEHASH_BACKEND_WARNING !== '0'
  ) {
    warned = true;
    process.emitWarning(
      `mmap-io cannot be loaded (${error}); the store runs on plain file writes instead: the same files and ` +
        `guarantees, a system call per persist (writes about 20x slower than mapped files). For memory-mapped files, ${MMAP_FIX}. ` +
        'PMEHASH_BACKEND_WARNING=0 silences this.',
      { code: 'PMEHASH_FILE_BACKEND' },
    );
  }
  return { files: new WrittenFiles(sync), backend };
}
