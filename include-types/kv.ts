// The values the public API speaks: a uint64 is a bigint in [0, 2^64-1] or a safe
// non-negative integer number; values come back as bigint so that no bit is ever lost.

export type Uint64 = bigint | number;

/** A key-value pair, the course's `kv`. */
export interface Kv {
  key: Uint64;
  value: Uint64;
}

/** The out-parameter of `search`: `value` is set only when the key is found. */
export interface SearchResult {
  value?: bigint;
}

/** Where a bucket lives: the course's `pm_address`. `offset` is a byte offset in page file `fileId`. */
export interface PmAddress {
  fileId: number;
  offset: number;
}

/** One write of a `batch`, in the convention of abstract-level: a put (insert or replace) or a del. */
export type BatchOperation = { type: 'put'; key: Uint64; value: Uint64 } | { type: 'del'; key: Uint64 };
