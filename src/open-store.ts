// Opening a store folder: look at what it holds, then create a new store or recover the
// existing one. Nothing is written before the folder is known to be empty of store files or
// recovery has validated it.

import * as fs from 'node:fs';
import { MAX_GLOBAL_DEPTH, METADATA_FILE_SIZE } from '../include-types/layout';
import { Catalog } from './catalog';
import { PageTable } from './data-page';
import { PmEHashCorruptError } from './errors';
import { CATALOG_FILE, CREATING_FILE, filePath, isIgnoredName, LOCK_FILE, METADATA_FILE, pageFileId, removeStoreFiles } from './files';
import { FreeList } from './free-list';
import { MetadataFile } from './metadata';
import { recoverStore } from './recovery';
import { createFile, Persistence, syncFolder } from './region';
import type { StoreState } from './store-state';

export interface FolderContents {
  hasMetadata: boolean;
  /** A creation was under way (and, without metadata, never finished). */
  creating: boolean;
  hasCatalog: boolean;
  /** Page file ids present, ascending. */
  pageIds: number[];
}

/** Lists a store folder and refuses any file in it that is not a store file or hidden. */
export function scanFolder(dir: string): FolderContents {
  const contents: FolderContents = { hasMetadata: false, creating: false, hasCatalog: false, pageIds: [] };
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const name = entry.name;
    if (entry.isDirectory()) continue; // store files are plain files; a sub-folder is not ours to judge
    if (name === METADATA_FILE) contents.hasMetadata = true;
    else if (name === CATALOG_FILE) contents.hasCatalog = true;
    else if (name === CREATING_FILE) contents.creating = true;
    else if (name === LOCK_FILE || isIgnoredName(name)) continue;
    else if (pageFileId(name) > 0) contents.pageIds.push(pageFileId(name));
    else throw new PmEHashCorruptError(name, `not a pmehash file: ${dir} holds something else`);
  }
  contents.pageIds.sort((a, b) => a - b);
  return contents;
}

/** Opens (recovering) or creates the store in `dir`, which exists and is locked by the caller. */
export function openStore(dir: string, persistence: Persistence, bucketsPerPage: number): StoreState {
  const contents = scanFolder(dir);
  if (contents.hasMetadata) return recoverStore(dir, persistence, contents);
  if (contents.creating) {
    // A creation the process did not finish: its files hold nothing yet; start it again.
    removeStoreFiles(dir);
    return createStore(dir, persistence, bucketsPerPage);
  }
  if (contents.hasCatalog || contents.pageIds.length > 0) {
    throw new PmEHashCorruptError(METADATA_FILE, 'missing, but the folder holds catalog or page files');
  }
  return createStore(dir, persistence, bucketsPerPage);
}

/**
 * A new store. The metadata is written first under CREATING_FILE, then page 1 (one empty
 * bucket of local depth 0) and the one-entry catalog; renaming CREATING_FILE to METADATA_FILE
 * is the commit. A crash before the rename leaves CREATING_FILE, and the next open starts over.
 */
function createStore(dir: string, persistence: Persistence, bucketsPerPage: number): StoreState {
  const meta = new MetadataFile(createFile(filePath(dir, CREATING_FILE), METADATA_FILE_SIZE, persistence.sync), persistence);
  meta.initialize(bucketsPerPage);
  meta.commit(2, 0);

  const pages = new PageTable(dir, bucketsPerPage, persistence);
  pages.createPage(1);
  pages.setUsed(1, 0, true);
  const offset = pages.bucketOffset(0);
  pages.persistBucket(1, offset); // all zero: empty bitmap, local depth 0

  const catalog = Catalog.create(dir, persistence);
  catalog.set(0, 1, offset);
  catalog.persistEntries(0, 1);

  fs.renameSync(filePath(dir, CREATING_FILE), filePath(dir, METADATA_FILE));
  if (persistence.sync) syncFolder(dir);

  const freeList = new FreeList();
  for (let slot = 1; slot < bucketsPerPage; slot++) freeList.put(pages.bucketId(1, pages.bucketOffset(slot)));
  const bucketsAtDepth = new Int32Array(MAX_GLOBAL_DEPTH + 2);
  bucketsAtDepth[0] = 1;
  return { dir, meta, catalog, pages, freeList, maxFileId: 2, globalDepth: 0, keys: 0, bucketsAtDepth, repairs: [] };
}
