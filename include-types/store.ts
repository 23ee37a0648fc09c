// Declarations shared by the store and its callers: options, metadata, stats.

/**
 * How far a returned operation is guaranteed to survive.
 * - `process`: the process may die at any moment (SIGKILL included); the OS page cache keeps
 *   every store to the mapped files. An OS crash or power loss may lose recent operations.
 * - `sync`: every persist is also written back with msync before the operation returns, so an
 *   acknowledged operation survives an OS crash too. Much slower.
 * - `log`: as `process`, and every change is also appended to a log (in `logDir`) made durable
 *   in groups: an operation survives an OS crash or power loss once `flush()` returns after it,
 *   or once `commitInterval` milliseconds have passed (the clock is read every 1,024 operations,
 *   and by a timer when the event loop is free). After
 *   such a crash the store is built again from the last snapshot and the log. One thread only.
 */
export type Durability = 'process' | 'sync' | 'log';

export interface PmEHashOptions {
  /** Store folder. @defaultValue `PMEHASH_DIR` from the environment, else the project's `data/` */
  dir?: string;
  /** @defaultValue `'process'` */
  durability?: Durability;
  /** Durability 'log': the log folder (not the store folder itself). @defaultValue `<dir>/log` */
  logDir?: string;
  /**
   * Durability 'log': milliseconds after which a returned operation is durable (one fdatasync
   * for all the operations of an interval). @defaultValue 10
   */
  commitInterval?: number;
  /**
   * Whether to create a store when the folder holds none; with `false` such a folder is an error
   * (code PMEHASH_NOT_FOUND) and nothing is created. @defaultValue `true`
   */
  create?: boolean;
  /**
   * Bucket slots per data page file; used only when a new store is created (an existing store
   * keeps the value recorded in its metadata). @defaultValue DEFAULT_BUCKETS_PER_PAGE (1024)
   */
  bucketsPerPage?: number;
}

/** The course's `ehash_metadata`, as read from `pm_ehash_metadata`. */
export interface EhashMetadata {
  formatVersion: number;
  bucketsPerPage: number;
  kvSlots: number;
  /** The id the next page file will get; page files are 1 .. maxFileId-1. */
  maxFileId: number;
  globalDepth: number;
  /** Number of live catalog entries: 2^globalDepth. */
  catalogSize: number;
}

export interface PmEHashStats {
  /** How the files are reached: 'mmap' (mapped with mmap-io) or 'file' (read at open, persists written through). */
  backend: 'mmap' | 'file';
  globalDepth: number;
  catalogSize: number;
  /** Buckets reachable from the catalog. */
  buckets: number;
  pageFiles: number;
  keys: number;
  /** keys / (buckets * kv slots per bucket) */
  loadFactor: number;
}
