// Opening a store folder: look at what it holds, then create a new store or recover the
// existing one. Nothing is written before the folder is known to be empty of store files or
// recovery has validated it.

import { METADATA_FILE_SIZE } from '../include-types/layout';
import type { PendingBatch } from './batch-record';
import { BITMAP, bucketSeed } from './bucket';
import { Catalog } from './catalog';
import { DataPages } from './data-page';
import { CREATING_FILE, filePath, METADATA_FILE, removeStoreFiles } from './files';
import { refuseLostMetadata, scanFolder } from './folder';
import type { StoreFiles } from './store-files';
import { MetadataFile } from './metadata';
import { recoverStore } from './recovery';
import { SharedControl } from './shared-control';
import type { StoreState } from './store-state';

/**
 * Opens (recovering) or creates the store in `dir`, which exists and is locked by the caller.
 * Also returns the committed batch records recovery found (and checked before it wrote
 * anything): applying them needs the recovered store (FORMAT.md, recovery step 11).
 */
export function openStore(
  dir: string,
  files: StoreFiles,
  bucketsPerPage: number,
): { state: StoreState; batches: PendingBatch[] } {
  const contents = scanFolder(files, dir);
  if (contents.hasMetadata) return recoverStore(dir, files, contents);
  if (contents.creating) {
    // A creation the process did not finish: its files hold nothing yet; start it again.
    removeStoreFiles(files, dir);
    return { state: createStore(dir, files, bucketsPerPage), batches: [] };
  }
  refuseLostMetadata(contents, dir);
  return { state: createStore(dir, files, bucketsPerPage), batches: [] };
}

/**
 * A new store. The metadata is written first under CREATING_FILE, then page 1 (one empty
 * bucket of local depth 0) and the one-entry catalog; renaming CREATING_FILE to METADATA_FILE
 * is the commit. A crash before the rename leaves CREATING_FILE, and the next open starts over.
 */
function createStore(dir: string, files: StoreFiles, bucketsPerPage: number): StoreState {
  const meta = new MetadataFile(files.create(filePath(dir, CREATING_FILE), METADATA_FILE_SIZE), files);
  meta.initialize(bucketsPerPage);
  meta.commit(2, 0);

  const pages = new DataPages(dir, bucketsPerPage, files);
  pages.createPage(1);
  pages.setUsed(1, 0, true);
  const offset = pages.bucketOffset(0);
  pages.words[1][(offset >>> 2) + BITMAP] = bucketSeed(1, offset, 0); // empty, local depth 0
  pages.persistBucket(1, offset);

  const catalog = Catalog.create(dir, files);
  catalog.set(0, 1, offset);
  catalog.persistEntries(0, 1);

  files.rename(filePath(dir, CREATING_FILE), filePath(dir, METADATA_FILE));
  files.syncFolder(dir);

  const ctl = SharedControl.create(false);
  ctl.bucketsAtDepth[0] = 1;
  return {
    dir,
    files,
    meta,
    catalog,
    pages,
    maxFileId: 2,
    globalDepth: 0,
    bucketsAtDepth: ctl.bucketsAtDepth,
    repairs: [],
    ctl,
    nextPage: 0,
  };
}
