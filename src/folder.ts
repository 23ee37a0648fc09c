// What a store folder holds: its store files by kind, read without changing anything. A file
// that is neither a store file, the lock, nor hidden makes the folder foreign.

import { PmEHashCorruptError } from './errors';
import {
  batchFileSlot,
  CATALOG_FILE,
  CREATING_FILE,
  isIgnoredName,
  LOCK_FILE,
  METADATA_FILE,
  pageFileId,
} from './files';
import type { StoreFiles } from './store-files';

export interface FolderContents {
  hasMetadata: boolean;
  /** A creation was under way (and, without metadata, never finished). */
  creating: boolean;
  hasCatalog: boolean;
  /** Page file ids present, ascending. */
  pageIds: number[];
  /** Thread slots with a batch record file, ascending. */
  batchSlots: number[];
}

/** Lists a store folder and refuses any file in it that is not a store file or hidden. */
export function scanFolder(files: StoreFiles, dir: string): FolderContents {
  const contents: FolderContents = {
    hasMetadata: false,
    creating: false,
    hasCatalog: false,
    pageIds: [],
    batchSlots: [],
  };
  for (const entry of files.list(dir).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const name = entry.name;
    if (!entry.isFile) continue; // store files are plain files; a sub-folder is not ours to judge
    if (name === METADATA_FILE) contents.hasMetadata = true;
    else if (name === CATALOG_FILE) contents.hasCatalog = true;
    else if (name === CREATING_FILE) contents.creating = true;
    else if (name === LOCK_FILE || isIgnoredName(name)) continue;
    else if (pageFileId(name) > 0) contents.pageIds.push(pageFileId(name));
    else if (batchFileSlot(name) >= 0) contents.batchSlots.push(batchFileSlot(name));
    else throw new PmEHashCorruptError(name, 'not a pmehash file: the folder holds something else', { dir });
  }
  contents.pageIds.sort((a, b) => a - b);
  contents.batchSlots.sort((a, b) => a - b);
  return contents;
}

/**
 * Refuses a folder whose metadata is gone while its catalog or page files remain: opening it
 * would create a new store over the old one's data. (A metadata file still being created is an
 * unfinished creation, which the next open starts over.)
 */
export function refuseLostMetadata(contents: FolderContents, dir: string): void {
  if (
    !contents.hasMetadata &&
    !contents.creating &&
    (contents.hasCatalog || contents.pageIds.length > 0 || contents.batchSlots.length > 0)
  ) {
    const held = contents.hasCatalog || contents.pageIds.length > 0 ? 'catalog or page files' : 'batch records';
    throw new PmEHashCorruptError(METADATA_FILE, `missing, but the folder holds ${held}`, { dir });
  }
}
