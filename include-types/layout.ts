// The layout constants of every pmehash file: the analogue of the course's headers.
// Sizes are in bytes and built from named parts; all multi-byte fields are little-endian.
// src/FORMAT.md documents the same layout as tables, and test/format-doc.test.ts keeps
// the two in step. Reader and writer both import from here; nothing else hard-codes a size.

/** uint32 fields are addressed through Uint32Array views: byte offset / WORD. */
export const WORD = 4;

// ---- kv pair -------------------------------------------------------------------------
export const KEY_SIZE = 8; // uint64
export const VALUE_SIZE = 8; // uint64
export const KV_SIZE = KEY_SIZE + VALUE_SIZE; // 16

// ---- bucket: 15 kv slots in four 64-byte cache lines -------------------------------
// Kv slot j is (keyLo[j], keyHi[j], value[j]). The fields are grouped so that a probe reads one
// cache line: the bitmap and every key's low half; the high half (line 1) is read only when a
// low half matches, and the value (lines 2-3) only on a hit.
export const BUCKET_KV_SLOTS = 15; // the course's bucket capacity
export const CACHE_LINE = 64;
export const BUCKET_BITMAP_OFFSET = 0; // uint32: used bits 0-14, checksum 15-31 | line 0
export const BUCKET_KEY_LO_OFFSET = 4; // uint32[15], low halves of the keys     | line 0
export const BUCKET_LOCAL_DEPTH_OFFSET = 64; // uint32                           | line 1
export const BUCKET_KEY_HI_OFFSET = 68; // uint32[15], high halves of the keys   | line 1
export const BUCKET_VALUE_OFFSET = 128; // uint64[15] values (low, high)         | lines 2-3
export const BUCKET_RESERVED_OFFSET = 248; // 8 bytes, zero
export const BUCKET_SIZE = 4 + BUCKET_KV_SLOTS * 4 + (4 + BUCKET_KV_SLOTS * 4) + BUCKET_KV_SLOTS * VALUE_SIZE + 8; // 256
/** Bitmap value of a bucket whose every kv slot is used; also the mask of the used bits. */
export const BUCKET_FULL_BITMAP = (1 << BUCKET_KV_SLOTS) - 1;
/** The bitmap word's bits above the used bits hold a checksum of the used slots' contents. */
export const BUCKET_CHECKSUM_SHIFT = BUCKET_KV_SLOTS; // 17 checksum bits: 15..31

// ---- data page file: page bitmap + bucket slots -------------------------------------
/** The course layout had 16 bucket slots a page; see FORMAT.md for why the default is larger. */
export const COURSE_BUCKETS_PER_PAGE = 16;
export const DEFAULT_BUCKETS_PER_PAGE = 1024;
/** The page header (its slot bitmap) is padded to this alignment. */
export const PAGE_HEADER_ALIGN = 64;
/** Largest page: offsets inside a page must stay below 2^31 for `>>> 2` arithmetic. */
export const MAX_BUCKETS_PER_PAGE = 1 << 16;

// ---- catalog: an array of pm_address ------------------------------------------------
export const PM_ADDRESS_FILE_ID_OFFSET = 0; // uint32, page file id (>= 1)
export const PM_ADDRESS_OFFSET_OFFSET = 4; // uint32, byte offset of the bucket in that page
export const PM_ADDRESS_SIZE = 4 + 4;
export const CATALOG_ENTRY_SIZE = PM_ADDRESS_SIZE;
/** Directory depth limit: 2^26 entries (512 MiB of catalog) is far beyond any sane store. */
export const MAX_GLOBAL_DEPTH = 26;

// ---- metadata file: metadata block + operation log record ---------------------------
export const METADATA_MAGIC = 'PMEHASH\0'; // 8 ASCII bytes
/**
 * 6: batch records (pm_ehash_batch_<slot>); 5: a bucket's checksum includes a seed bound to its
 * address and local depth; 4: one log record per thread slot; 3: a single record. Stores of 3, 4
 * and 5 are opened and upgraded in place.
 */
export const FORMAT_VERSION = 6;
/** The oldest format version a store is upgraded from when opened. */
export const OLDEST_UPGRADABLE_FORMAT_VERSION = 3;
/** The first format version whose bucket checksums are seeded (bucketSeed). */
export const SEEDED_FORMAT_VERSION = 5;
/** Format version 3, whose metadata file holds one log record (V3_METADATA_FILE_SIZE). */
export const V3_FORMAT_VERSION = 3;
export const META_MAGIC_OFFSET = 0; // 8 bytes
export const META_VERSION_OFFSET = 8; // uint32
export const META_BUCKETS_PER_PAGE_OFFSET = 12; // uint32
export const META_KV_SLOTS_OFFSET = 16; // uint32, BUCKET_KV_SLOTS at creation
export const META_MAX_FILE_ID_OFFSET = 20; // uint32, the next page file id
export const META_GLOBAL_DEPTH_OFFSET = 24; // uint32
export const META_CATALOG_SIZE_OFFSET = 28; // uint32, 2^globalDepth
/**
 * uint32: durability 'log' writes the stamp of its open here and in its log state; any other
 * open writes 0. A log open finding the two unequal knows the image changed without its log.
 */
export const META_LOG_STAMP_OFFSET = 32;
export const META_CHECKSUM_OFFSET = 60; // uint32, FNV-1a of bytes [0, 60)
export const META_BLOCK_SIZE = 64;

export const LOG_OFFSET = META_BLOCK_SIZE; // the log record of thread slot 0; slot t at + t * LOG_RECORD_SIZE
export const LOG_OP_OFFSET = 0; // uint32, LogOp; 0 = no operation
export const LOG_ARGS_OFFSET = 4; // LOG_ARG_COUNT uint32 arguments
export const LOG_ARG_COUNT = 14;
export const LOG_CHECKSUM_OFFSET = LOG_ARGS_OFFSET + LOG_ARG_COUNT * 4; // 60
export const LOG_RECORD_SIZE = 4 + LOG_ARG_COUNT * 4 + 4; // 64
/** One operation log record per thread that may share the store: the owner and 63 workers. */
export const LOG_SLOTS = 64;
export const METADATA_FILE_SIZE = META_BLOCK_SIZE + LOG_SLOTS * LOG_RECORD_SIZE; // 4160
/** Format version 3 had one log record (slot 0 of version 4, at the same offset). */
export const V3_METADATA_FILE_SIZE = META_BLOCK_SIZE + LOG_RECORD_SIZE; // 128

/**
 * Operation codes of the log record, as stored on disk. Never renumber a code: a store written
 * by an earlier build must redo its record the same way. A code that is retired stays reserved.
 * test/format-doc.test.ts pins the values.
 */
export const LogOp = {
  None: 0,
  /** args: fileId, offset of the bucket, kv slot index, valueLo, valueHi */
  Update: 1,
  /** args: old fileId, offset, new fileId, offset, old local depth d, pattern (low d bits) */
  Split: 2,
  /** args: empty fileId, offset, survivor fileId, offset, shared local depth d, empty's pattern */
  Merge: 3,
  /** args: maxFileId, globalDepth */
  Metadata: 4,
} as const;
export type LogOp = (typeof LogOp)[keyof typeof LogOp];

// ---- batch record file (pm_ehash_batch_<slot>): one thread slot's batch, redone if committed ----
export const BATCH_MAGIC = 0x42454d50; // 'PMEB' as a little-endian uint32
export const BATCH_MAGIC_OFFSET = 0; // uint32; 0 only in a file whose creation was cut short
export const BATCH_STATE_OFFSET = 4; // uint32, BatchState: the commit point
export const BATCH_COUNT_OFFSET = 8; // uint32, operations in the record
export const BATCH_FLAGS_OFFSET = 12; // uint32, BATCH_FLAG_CLEAR or 0
export const BATCH_CHECKSUM_OFFSET = 16; // uint32, FNV-1a of bytes [8, 16) and the entries; 0 once retired
export const BATCH_HEADER_SIZE = 64; // one line; bytes 20-63 zero
export const BATCH_FLAG_CLEAR = 1; // every pair is removed before the operations are applied
export const BATCH_ENTRY_KEY_LO = 0; // uint32; each entry: key, value (halves), then its BatchOp
export const BATCH_ENTRY_KEY_HI = 4;
export const BATCH_ENTRY_VALUE_LO = 8;
export const BATCH_ENTRY_VALUE_HI = 12;
export const BATCH_ENTRY_OP = 16; // uint32, BatchOp
export const BATCH_ENTRY_SIZE = 20;

/** The batch record's state word. */
export const BatchState = {
  /** Nothing to redo (never committed, or applied and retired). */
  Retired: 0,
  /** Committed and perhaps not wholly applied: recovery applies it again. */
  Committed: 1,
} as const;

/** An entry's operation: its resolved effect, which applying again does not change. */
export const BatchOp = {
  /** The key holds the value afterwards (inserted or replaced). */
  Put: 1,
  /** The key is absent afterwards. */
  Del: 2,
} as const;

// ---- durability 'log' (FORMAT.md, "Log"): files in the log folder, beside the store ---------
// A log segment (pm_ehash_log_<gen>) is a sequence of frames; a frame is a header and entries in
// the batch record's entry format (BATCH_ENTRY_*). A frame is the unit of atomicity: its
// checksum covers all of it, and replay stops at the first frame that does not check.
export const LOG_FRAME_MAGIC = 0x4c454d50; // 'PMEL' as a little-endian uint32; 0: the log ends
export const LOG_FRAME_MAGIC_OFFSET = 0; // uint32
export const LOG_FRAME_COUNT_OFFSET = 4; // uint32, entries in the frame
export const LOG_FRAME_FLAGS_OFFSET = 8; // uint32, LOG_FRAME_FLAG_CLEAR or 0
export const LOG_FRAME_CHECKSUM_OFFSET = 12; // uint32, word checksum of bytes [4, 12) and the entries
export const LOG_FRAME_HEADER_SIZE = 16;
export const LOG_FRAME_FLAG_CLEAR = 1; // every pair is removed before the frame's entries apply

// A snapshot (pm_ehash_snapshot_<gen>) holds every pair of the store as it was when segment
// <gen> began: the pairs that segments before <gen> left.
export const SNAPSHOT_MAGIC = 0x53454d50; // 'PMES'
export const SNAPSHOT_MAGIC_OFFSET = 0; // uint32
export const SNAPSHOT_COUNT_OFFSET = 4; // uint32, pairs
export const SNAPSHOT_GEN_OFFSET = 8; // uint32, the first segment it does not cover
export const SNAPSHOT_CHECKSUM_OFFSET = 12; // uint32, word checksum of bytes [4, 12) and the pairs
export const SNAPSHOT_HEADER_SIZE = 16;
export const SNAPSHOT_PAIR_SIZE = KV_SIZE; // key low, key high, value low, value high (uint32 each)

// The log state (pm_ehash_log_state): whether the store folder's image can be trusted at open.
export const LOG_STATE_MAGIC = 0x47454d50; // 'PMEG'
export const LOG_STATE_MAGIC_OFFSET = 0; // uint32
export const LOG_STATE_FLAGS_OFFSET = 4; // uint32, LOG_STATE_IMAGE_VALID | LOG_STATE_CLEAN
export const LOG_STATE_BOOT_ID_OFFSET = 8; // 16 bytes: the boot id of the last open (its uuid's bytes)
export const LOG_STATE_BOOT_ID_SIZE = 16;
export const LOG_STATE_STAMP_OFFSET = 24; // uint32, the stamp of the open (META_LOG_STAMP_OFFSET)
export const LOG_STATE_CHECKSUM_OFFSET = 28; // uint32, word checksum of bytes [4, 28)
export const LOG_STATE_SIZE = 32;
/** The image in the store folder holds every logged operation (it was not being rebuilt). */
export const LOG_STATE_IMAGE_VALID = 1;
/** The last open closed cleanly: the log holds every operation of the image. */
export const LOG_STATE_CLEAN = 2;
