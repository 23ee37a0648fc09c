// The same-layout ceiling: a C program with pmehash's exact memory layout, a benchmark contender.
//
// It replays a load and a run workload file (`OP key` lines) the way src/ycsb/runner.ts does, on
// a store folder of the same files as src/FORMAT.md describes (metadata block, catalog of
// pm_address entries, page files of DEFAULT_BUCKETS_PER_PAGE buckets behind a slot bitmap), each
// created with ftruncate + written zeros and mapped MAP_SHARED, with the same hash, bucket probe,
// bitmap-word checksum, split, catalog doubling and page allocation, and the same batches of 8
// prefetched operations. What it leaves out is everything that makes pmehash persistent: no
// persist points, no msync, no log records, no lock, no validation. So it measures what the
// layout itself costs on this machine, and `make bench` reports PmEHash as a fraction of it.
//
// The folder it writes is a pmehash store that PmEHash opens and checks clean, and its page files,
// catalog and metadata block are byte for byte those PmEHash writes for the same workload
// (test/same-layout.test.ts checks both), which keeps the two layouts the same.
//
//   same-layout LOAD_FILE RUN_FILE STORE_DIR
// prints one JSON line shaped like bench/contender.ts's ContenderResult. Values follow the
// runner's convention: INSERT k stores k, UPDATE k stores ~k, READ checks what it gets against
// the expectations worked out before the clock starts (src/ycsb/expectations.ts). DELETE removes
// without merging buckets or halving the catalog (pmehash merges; the 220w workloads have no
// DELETE), so its cost is not comparable: the program says so on stderr when it meets one.
//
// Build: cc -std=c11 -O2 -march=native bench/same-layout.c (bench/same-layout.ts does).

#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the pmehash format is little-endian and this program stores its words natively"
#endif

// ---- layout: the constants of include-types/layout.ts ------------------------------------
enum {
  KV_SLOTS = 15,
  BUCKET_SIZE = 256,
  CHECKSUM_SHIFT = 15,
  BUCKETS_PER_PAGE = 1024, // DEFAULT_BUCKETS_PER_PAGE
  PAGE_HEADER_ALIGN = 64,
  PAGE_HEADER_SIZE = ((BUCKETS_PER_PAGE + 31) / 32 * 4 + PAGE_HEADER_ALIGN - 1) / PAGE_HEADER_ALIGN *
                     PAGE_HEADER_ALIGN, // 128
  PAGE_FILE_SIZE = PAGE_HEADER_SIZE + BUCKETS_PER_PAGE * BUCKET_SIZE,
  CATALOG_ENTRY_SIZE = 8,
  MAX_GLOBAL_DEPTH = 26,
  FORMAT_VERSION = 6,
  META_VERSION_OFFSET = 8,
  META_BUCKETS_PER_PAGE_OFFSET = 12,
  META_KV_SLOTS_OFFSET = 16,
  META_MAX_FILE_ID_OFFSET = 20,
  META_GLOBAL_DEPTH_OFFSET = 24,
  META_CATALOG_SIZE_OFFSET = 28,
  META_CHECKSUM_OFFSET = 60,
  METADATA_FILE_SIZE = 64 + 64 * 64, // metadata block + 64 (here always empty) log records
  BATCH = 8,                // operations whose buckets are prefetched together, as in runPhase
};
#define FULL_BITMAP ((1u << KV_SLOTS) - 1)

/** A bucket: four 64-byte lines. Line 0 is all a probe reads. */
typedef struct {
  uint32_t bitmap;          // bits 0-14 used slots, 15-31 checksum  | line 0
  uint32_t keyLo[KV_SLOTS]; //                                        | line 0
  uint32_t depth;           //                                        | line 1
  uint32_t keyHi[KV_SLOTS]; //                                        | line 1
  uint32_t value[2 * KV_SLOTS]; // (low, high) per slot               | lines 2-3
  uint32_t reserved[2];
} Bucket;

_Static_assert(sizeof(Bucket) == BUCKET_SIZE, "bucket size");
_Static_assert(offsetof(Bucket, keyLo) == 4, "keyLo offset");
_Static_assert(offsetof(Bucket, depth) == 64, "local depth offset");
_Static_assert(offsetof(Bucket, keyHi) == 68, "keyHi offset");
_Static_assert(offsetof(Bucket, value) == 128, "value offset");
_Static_assert(offsetof(Bucket, reserved) == 248, "reserved offset");
_Static_assert(PAGE_HEADER_SIZE == 128, "page header of 1024 buckets");

enum { OP_INSERT = 0, OP_READ = 1, OP_UPDATE = 2, OP_DELETE = 3 };

static _Noreturn void die(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("same-layout: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

// ---- hash and checksum: src/hash.ts, src/bucket.ts -----------------------------------------
static inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

static inline uint32_t hash_key(uint32_t lo, uint32_t hi) { return fmix32(lo ^ fmix32(hi ^ 0x9e3779b9u)); }

/** slotCheck: kv slot j's contribution to the checksum bits of the bitmap word. */
static inline uint32_t slot_check(uint32_t h, uint32_t j, uint32_t vLo, uint32_t vHi) {
  return fmix32(h ^ (vLo * 0x9e3779b1u) ^ ((vHi + j) * 0x85ebca77u)) << CHECKSUM_SHIFT;
}

/** bucketSeed: the checksum bits of an empty bucket at (fileId, offset) of local depth d. */
static inline uint32_t bucket_seed(uint32_t fileId, uint32_t offset, uint32_t depth) {
  uint32_t mix = fmix32((fileId * 0x27d4eb2fu) ^ ((offset + 1) * 0x165667b1u) ^ ((depth + 1) * 0x9e3779b1u));
  return (mix << CHECKSUM_SHIFT) | (1u << CHECKSUM_SHIFT);
}

static uint32_t fnv1a32(const uint8_t *bytes, size_t n) {
  uint32_t h = 0x811c9dc5u;
  for (size_t i = 0; i < n; i++) h = (h ^ bytes[i]) * 0x01000193u;
  return h;
}

// ---- workload files: src/ycsb/parser.ts --------------------------------------------------
typedef struct {
  size_t count;
  uint8_t *ops;
  uint32_t *keyLo;
  uint32_t *keyHi;
  size_t bytes;
} Workload;

static int is_blank(uint8_t c) { return c == ' ' || c == '\t' || c == '\r'; }

static _Noreturn void parse_error(const char *file, size_t line, const char *problem) {
  die("%s:%zu: %s", file, line, problem);
}

static Workload parse_file(const char *file) {
  int fd = open(file, O_RDONLY);
  if (fd < 0) die("%s: cannot read workload file (%s)", file, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) die("%s: %s", file, strerror(errno));
  size_t size = (size_t)st.st_size;
  uint8_t *buf = malloc(size + 1);
  if (!buf) die("out of memory");
  for (size_t at = 0; at < size;) {
    ssize_t n = read(fd, buf + at, size - at);
    if (n <= 0) die("%s: cannot read workload file (%s)", file, n < 0 ? strerror(errno) : "short read");
    at += (size_t)n;
  }
  close(fd);

  // An operation takes at least 6 bytes ("READ 0") and a newline between lines.
  size_t capacity = size / 7 + 2;
  Workload w = {0, malloc(capacity), malloc(capacity * 4), malloc(capacity * 4), size};
  if (!w.ops || !w.keyLo || !w.keyHi) die("out of memory");
  size_t p = 0, line = 0;
  while (p < size) {
    line++;
    while (p < size && is_blank(buf[p])) p++;
    if (p >= size) break;
    if (buf[p] == '\n') {
      p++;
      continue; // blank line
    }
    int op;
    size_t len;
    if (size - p >= 6 && memcmp(buf + p, "INSERT", 6) == 0) op = OP_INSERT, len = 6;
    else if (size - p >= 4 && memcmp(buf + p, "READ", 4) == 0) op = OP_READ, len = 4;
    else if (size - p >= 6 && memcmp(buf + p, "UPDATE", 6) == 0) op = OP_UPDATE, len = 6;
    else if (size - p >= 6 && memcmp(buf + p, "DELETE", 6) == 0) op = OP_DELETE, len = 6;
    else parse_error(file, line, "unknown operation");
    p += len;
    if (p < size && buf[p] != ' ' && buf[p] != '\t' && buf[p] != '\n' && buf[p] != '\r')
      parse_error(file, line, "unknown operation");
    while (p < size && (buf[p] == ' ' || buf[p] == '\t')) p++;
    // An unsigned decimal of at most 20 digits below 2^64, as the TypeScript parser accepts.
    size_t digits = p;
    uint64_t key = 0;
    for (; p < size && buf[p] >= '0' && buf[p] <= '9'; p++) {
      uint64_t d = buf[p] - '0';
      if (p - digits >= 20 || key > (UINT64_MAX - d) / 10) parse_error(file, line, "key exceeds 2^64-1");
      key = key * 10 + d;
    }
    if (p == digits)
      parse_error(file, line,
                  p >= size || buf[p] == '\n' || buf[p] == '\r' ? "missing key" : "key is not an unsigned decimal number");
    while (p < size && is_blank(buf[p])) p++;
    if (p < size && buf[p] != '\n') parse_error(file, line, "key is not an unsigned decimal number");
    p++;
    w.ops[w.count] = (uint8_t)op;
    w.keyLo[w.count] = (uint32_t)key;
    w.keyHi[w.count] = (uint32_t)(key >> 32);
    w.count++;
  }
  free(buf);
  return w;
}

// ---- READ expectations: src/ycsb/expectations.ts -----------------------------------------
enum { EMPTY = 0, HOLDS_KEY = 1, HOLDS_COMPLEMENT = 2, REMOVED = 3 };

typedef struct {
  uint32_t *lo, *hi;
  uint8_t *state;
  uint32_t mask;
} ExpectationTable;

static ExpectationTable expectation_table(size_t maxKeys) {
  size_t capacity = 1024;
  while ((double)capacity < (double)maxKeys * 1.6) capacity *= 2;
  ExpectationTable t = {calloc(capacity, 4), calloc(capacity, 4), calloc(capacity, 1), (uint32_t)(capacity - 1)};
  if (!t.lo || !t.hi || !t.state) die("out of memory");
  return t;
}

/** The expected state (0 absent, 1 value k, 2 value ~k) of each READ of w, in order. */
static uint8_t *replay(ExpectationTable *t, const Workload *w) {
  uint8_t *expected = malloc(w->count + 1);
  if (!expected) die("out of memory");
  size_t r = 0;
  for (size_t i = 0; i < w->count; i++) {
    uint32_t lo = w->keyLo[i], hi = w->keyHi[i];
    uint32_t s = hash_key(lo, hi) & t->mask;
    while (t->state[s] != EMPTY && (t->lo[s] != lo || t->hi[s] != hi)) s = (s + 1) & t->mask;
    int present = t->state[s] == HOLDS_KEY || t->state[s] == HOLDS_COMPLEMENT;
    switch (w->ops[i]) {
    case OP_INSERT:
      if (!present) t->lo[s] = lo, t->hi[s] = hi, t->state[s] = HOLDS_KEY;
      break;
    case OP_UPDATE:
      if (present) t->state[s] = HOLDS_COMPLEMENT;
      break;
    case OP_DELETE:
      if (present) t->state[s] = REMOVED;
      break;
    case OP_READ:
      expected[r++] = present ? t->state[s] : EMPTY;
      break;
    }
  }
  return expected;
}

typedef struct {
  uint64_t found, missed, mismatched;
} Reads;

/** judgeRead: an expected absence or the expected value is found; else missed or mismatched. */
static inline void judge(Reads *reads, uint8_t want, int found, int isKey, int isComplement) {
  if (!found) {
    if (want == EMPTY) reads->found++;
    else reads->missed++;
  } else if (want == HOLDS_KEY ? isKey : want == HOLDS_COMPLEMENT && isComplement) {
    reads->found++;
  } else {
    reads->mismatched++;
  }
}

// ---- the store: src/word-store.ts, src/structure.ts ----------------------------------------
typedef struct {
  const char *dir;
  uint8_t *meta;
  uint32_t *cat;      // entry i: cat[2i] = fileId, cat[2i+1] = byte offset of the bucket
  size_t catEntries;  // entries the catalog file holds
  uint32_t globalDepth;
  uint32_t mask;      // 2^globalDepth - 1
  uint8_t **pages;    // mapped page files by file id (index 0 unused)
  uint32_t pagesCapacity;
  uint32_t maxFileId; // id the next page file gets
  // The free list. pmehash queues every slot of a new page and takes them in file order; nothing
  // is ever freed here (no merge), so the queue is always "the rest of the newest page".
  uint32_t nextSlot;
  uint64_t keys;
} Store;

static char pathBuffer[4096];

static const char *file_in(const Store *s, const char *name) {
  if ((size_t)snprintf(pathBuffer, sizeof pathBuffer, "%s/%s", s->dir, name) >= sizeof pathBuffer)
    die("store path too long: %s", s->dir);
  return pathBuffer;
}

static const uint8_t zeros[64 * 1024];

/**
 * Sets the size of the open file fd from oldSize to size, writes zeros over the new part (so that
 * its blocks exist, as src/mapped-files.ts does) and maps all of it MAP_SHARED.
 */
static void *resize_and_map(int fd, const char *file, size_t oldSize, size_t size) {
  if (ftruncate(fd, (off_t)size) != 0) die("%s: ftruncate: %s", file, strerror(errno));
  for (size_t at = oldSize; at < size;) {
    size_t n = size - at < sizeof zeros ? size - at : sizeof zeros;
    ssize_t written = pwrite(fd, zeros, n, (off_t)at);
    if (written <= 0) die("%s: writing zeros: %s", file, written < 0 ? strerror(errno) : "no progress");
    at += (size_t)written;
  }
  void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) die("%s: mmap: %s", file, strerror(errno));
  return map;
}

static void *create_file(const char *file, size_t size) {
  int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) die("%s: %s", file, strerror(errno));
  void *map = resize_and_map(fd, file, 0, size);
  close(fd);
  return map;
}

/** The metadata block (FORMAT.md, metadata block); written whole on every change. */
static void write_metadata(Store *s) {
  uint8_t *m = s->meta;
  uint32_t fields[][2] = {
      {META_VERSION_OFFSET, FORMAT_VERSION},
      {META_BUCKETS_PER_PAGE_OFFSET, BUCKETS_PER_PAGE},
      {META_KV_SLOTS_OFFSET, KV_SLOTS},
      {META_MAX_FILE_ID_OFFSET, s->maxFileId},
      {META_GLOBAL_DEPTH_OFFSET, s->globalDepth},
      {META_CATALOG_SIZE_OFFSET, 1u << s->globalDepth},
  };
  memcpy(m, "PMEHASH", 8); // with its zero byte
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) memcpy(m + fields[i][0], &fields[i][1], 4);
  uint32_t checksum = fnv1a32(m, META_CHECKSUM_OFFSET);
  memcpy(m + META_CHECKSUM_OFFSET, &checksum, 4);
}

/** FORMAT.md, page allocation: a new all-zero page file; its slots become the free list. */
static void add_page(Store *s) {
  uint32_t fileId = s->maxFileId;
  if (fileId >= s->pagesCapacity) {
    s->pagesCapacity *= 2;
    s->pages = realloc(s->pages, s->pagesCapacity * sizeof *s->pages);
    if (!s->pages) die("out of memory");
  }
  char name[16];
  snprintf(name, sizeof name, "%u", fileId);
  s->pages[fileId] = create_file(file_in(s, name), PAGE_FILE_SIZE);
  s->maxFileId = fileId + 1;
  write_metadata(s);
  s->nextSlot = 0;
}

/** Takes the next free bucket slot and sets its bit in its page's slot bitmap. */
static void allocate_bucket(Store *s, uint32_t *fileId, uint32_t *offset) {
  if (s->nextSlot == BUCKETS_PER_PAGE) add_page(s);
  uint32_t slot = s->nextSlot++;
  *fileId = s->maxFileId - 1;
  *offset = PAGE_HEADER_SIZE + slot * BUCKET_SIZE;
  uint32_t *bitmap = (uint32_t *)s->pages[*fileId];
  bitmap[slot >> 5] |= 1u << (slot & 31);
}

/** FORMAT.md, catalog doubling: the file grows to 2^(G+1) entries, the lower half is copied up. */
static void double_catalog(Store *s) {
  if (s->globalDepth >= MAX_GLOBAL_DEPTH)
    die("catalog at its maximum depth %d: a bucket cannot split further", MAX_GLOBAL_DEPTH);
  size_t size = (size_t)1 << s->globalDepth;
  if (s->catEntries < 2 * size) {
    const char *file = file_in(s, "pm_ehash_catalog");
    int fd = open(file, O_RDWR);
    if (fd < 0) die("%s: %s", file, strerror(errno));
    uint32_t *grown =
        resize_and_map(fd, file, s->catEntries * CATALOG_ENTRY_SIZE, 2 * size * CATALOG_ENTRY_SIZE);
    close(fd);
    munmap(s->cat, s->catEntries * CATALOG_ENTRY_SIZE);
    s->cat = grown;
    s->catEntries = 2 * size;
  }
  memcpy(s->cat + 2 * size, s->cat, size * CATALOG_ENTRY_SIZE);
  s->globalDepth++;
  s->mask = (1u << s->globalDepth) - 1;
  write_metadata(s);
}

static inline Bucket *bucket_at(const Store *s, uint32_t fileId, uint32_t offset) {
  return (Bucket *)(s->pages[fileId] + offset);
}

/** The bucket of hash h, through its catalog entry. */
static inline Bucket *bucket_of(const Store *s, uint32_t h) {
  const uint32_t *e = s->cat + 2 * (h & s->mask);
  return bucket_at(s, e[0], e[1]);
}

/**
 * findKey: the used slot holding (lo, hi), or -1. All 15 low halves of line 0 are compared
 * without a branch; line 1 is read only for a slot whose low half matches.
 */
static inline int find_key(const Bucket *b, uint32_t lo, uint32_t hi) {
  uint32_t match = 0;
  for (int j = 0; j < KV_SLOTS; j++) match |= (uint32_t)(b->keyLo[j] == lo) << j;
  match &= b->bitmap & FULL_BITMAP;
  while (match != 0) {
    int j = __builtin_ctz(match);
    if (b->keyHi[j] == hi) return j;
    match &= match - 1;
  }
  return -1;
}

static inline void write_slot(Bucket *b, int j, uint32_t kLo, uint32_t kHi, uint32_t vLo, uint32_t vHi) {
  b->keyLo[j] = kLo;
  b->keyHi[j] = kHi;
  b->value[2 * j] = vLo;
  b->value[2 * j + 1] = vHi;
}

/** FORMAT.md, split of the full bucket at (fileId, offset), reached from catalog index i. */
static __attribute__((noinline)) void split(Store *s, uint32_t i, uint32_t fileId, uint32_t offset) {
  Bucket *b = bucket_at(s, fileId, offset);
  uint32_t d = b->depth;
  uint32_t pattern = i & ((1u << d) - 1);
  uint32_t nFileId, nOffset;
  allocate_bucket(s, &nFileId, &nOffset);
  if (d == s->globalDepth) double_catalog(s);
  Bucket *n = bucket_at(s, nFileId, nOffset);

  // As in structure.ts: a key that moves keeps its slot number in N, so its checksum part is the
  // same in both buckets; every slot is copied and only the moving ones are marked used, so
  // there is no branch on the hash bit (a coin toss for every key).
  uint32_t word = b->bitmap, moved = 0, movedCheck = 0;
  for (uint32_t j = 0; j < KV_SLOTS; j++) {
    uint32_t h = hash_key(b->keyLo[j], b->keyHi[j]);
    uint32_t move = (h >> d) & 1;
    uint32_t vLo = b->value[2 * j], vHi = b->value[2 * j + 1];
    write_slot(n, (int)j, b->keyLo[j], b->keyHi[j], vLo, vHi);
    moved |= move << j;
    movedCheck ^= slot_check(h, j, vLo, vHi) & (0u - move);
  }
  n->bitmap = moved ^ movedCheck ^ bucket_seed(nFileId, nOffset, d + 1);
  n->depth = d + 1;

  uint32_t size = 1u << s->globalDepth, step = 1u << (d + 1);
  for (uint32_t e = pattern | (1u << d); e < size; e += step) {
    s->cat[2 * e] = nFileId;
    s->cat[2 * e + 1] = nOffset;
  }
  b->bitmap = (word & ~moved) ^ movedCheck ^ bucket_seed(fileId, offset, d) ^ bucket_seed(fileId, offset, d + 1);
  b->depth = d + 1;
}

static inline int store_insert(Store *s, uint32_t kLo, uint32_t kHi, uint32_t vLo, uint32_t vHi) {
  uint32_t h = hash_key(kLo, kHi);
  for (;;) {
    const uint32_t *e = s->cat + 2 * (h & s->mask);
    Bucket *b = bucket_at(s, e[0], e[1]);
    if (find_key(b, kLo, kHi) >= 0) return -1;
    uint32_t word = b->bitmap;
    if ((word & FULL_BITMAP) != FULL_BITMAP) {
      int j = __builtin_ctz(~word & FULL_BITMAP);
      write_slot(b, j, kLo, kHi, vLo, vHi);
      b->bitmap = (word | (1u << j)) ^ slot_check(h, (uint32_t)j, vLo, vHi);
      s->keys++;
      return 0;
    }
    split(s, h & s->mask, e[0], e[1]); // then look again: all keys may have stayed on one side
  }
}

static inline int store_search(const Store *s, uint32_t kLo, uint32_t kHi, uint32_t *vLo, uint32_t *vHi) {
  const Bucket *b = bucket_of(s, hash_key(kLo, kHi));
  int j = find_key(b, kLo, kHi);
  if (j < 0) return -1;
  *vLo = b->value[2 * j];
  *vHi = b->value[2 * j + 1];
  return 0;
}

static inline int store_update(Store *s, uint32_t kLo, uint32_t kHi, uint32_t vLo, uint32_t vHi) {
  uint32_t h = hash_key(kLo, kHi);
  Bucket *b = bucket_of(s, h);
  int j = find_key(b, kLo, kHi);
  if (j < 0) return -1;
  uint32_t *v = b->value + 2 * j;
  uint32_t word = b->bitmap ^ slot_check(h, (uint32_t)j, v[0], v[1]) ^ slot_check(h, (uint32_t)j, vLo, vHi);
  v[0] = vLo;
  v[1] = vHi;
  b->bitmap = word;
  return 0;
}

/** Remove without merge: the slot's used bit and checksum part go; an emptied bucket stays. */
static inline int store_remove(Store *s, uint32_t kLo, uint32_t kHi) {
  uint32_t h = hash_key(kLo, kHi);
  Bucket *b = bucket_of(s, h);
  int j = find_key(b, kLo, kHi);
  if (j < 0) return -1;
  const uint32_t *v = b->value + 2 * j;
  b->bitmap = (b->bitmap & ~(1u << j)) ^ slot_check(h, (uint32_t)j, v[0], v[1]);
  s->keys--;
  return 0;
}

static int is_store_file(const char *name) {
  if (strcmp(name, "pm_ehash_metadata") == 0 || strcmp(name, "pm_ehash_catalog") == 0 ||
      strcmp(name, "pm_ehash_metadata.creating") == 0)
    return 1;
  if (name[0] < '1' || name[0] > '9') return 0;
  for (const char *c = name; *c; c++)
    if (*c < '0' || *c > '9') return 0;
  return 1;
}

/** A fresh store in dir (made if missing; an earlier store's files there are removed first). */
static Store store_create(const char *dir) {
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) die("%s: %s", dir, strerror(errno));
  Store s = {0};
  s.dir = dir;
  DIR *d = opendir(dir);
  if (!d) die("%s: %s", dir, strerror(errno));
  for (struct dirent *entry; (entry = readdir(d)) != NULL;)
    if (is_store_file(entry->d_name) && unlink(file_in(&s, entry->d_name)) != 0)
      die("%s: %s", pathBuffer, strerror(errno));
  closedir(d);

  s.meta = create_file(file_in(&s, "pm_ehash_metadata"), METADATA_FILE_SIZE);
  s.pagesCapacity = 256;
  s.pages = calloc(s.pagesCapacity, sizeof *s.pages);
  if (!s.pages) die("out of memory");
  s.maxFileId = 1;
  add_page(&s); // page 1; slot 0 is the first bucket (empty, local depth 0)
  uint32_t fileId, offset;
  allocate_bucket(&s, &fileId, &offset);
  bucket_at(&s, fileId, offset)->bitmap = bucket_seed(fileId, offset, 0);
  s.cat = create_file(file_in(&s, "pm_ehash_catalog"), CATALOG_ENTRY_SIZE);
  s.catEntries = 1;
  s.cat[0] = fileId;
  s.cat[1] = offset;
  write_metadata(&s);
  return s;
}

// ---- the timed phases: src/ycsb/runner.ts --------------------------------------------------
typedef struct {
  size_t ops;
  double seconds;
} Phase;

/** DELETEs met (see the top of this file). */
static uint64_t deletes;

static Phase run_phase(Store *s, const Workload *w, const uint8_t *expected, Reads *reads) {
  const uint8_t *ops = w->ops;
  const uint32_t *keyLo = w->keyLo, *keyHi = w->keyHi;
  size_t r = 0, removes = 0;
  double start = now_seconds();
  for (size_t i = 0; i < w->count; i++) {
    if ((i & (BATCH - 1)) == 0) {
      // Prefetch the buckets of the next BATCH operations, so that their cache misses overlap
      // (runPhase does it with PmEHash.prefetchWords). Every operation of the workloads touches
      // three of a bucket's four lines (low halves, high halves, a value), and a prefetch does not
      // wait, so all four are asked for (measured on 220w: load +4%, run +10% over line 0 alone).
      size_t end = i + BATCH < w->count ? i + BATCH : w->count;
      for (size_t k = i; k < end; k++) {
        const char *b = (const char *)bucket_of(s, hash_key(keyLo[k], keyHi[k]));
        for (int line = 0; line < BUCKET_SIZE; line += 64) __builtin_prefetch(b + line, 1, 3);
      }
    }
    uint32_t lo = keyLo[i], hi = keyHi[i];
    switch (ops[i]) {
    case OP_INSERT:
      store_insert(s, lo, hi, lo, hi); // -1 for a key already there, as in pmehash
      break;
    case OP_READ: {
      uint32_t vLo = 0, vHi = 0;
      int found = store_search(s, lo, hi, &vLo, &vHi) == 0;
      judge(reads, expected[r++], found, vLo == lo && vHi == hi, vLo == ~lo && vHi == ~hi);
      break;
    }
    case OP_UPDATE:
      store_update(s, lo, hi, ~lo, ~hi);
      break;
    case OP_DELETE:
      removes++;
      store_remove(s, lo, hi);
      break;
    }
  }
  Phase p = {w->count, now_seconds() - start};
  deletes += removes;
  if (p.seconds <= 0) p.seconds = 1e-9;
  return p;
}

static void print_phase(const char *name, Phase p) {
  printf("\"%s\":{\"ops\":%zu,\"seconds\":%.9f,\"opsPerSec\":%.3f}", name, p.ops, p.seconds, (double)p.ops / p.seconds);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s LOAD_FILE RUN_FILE STORE_DIR\n", argv[0]);
    return 2;
  }
  double t = now_seconds();
  Workload load = parse_file(argv[1]);
  Workload run = parse_file(argv[2]);
  double parseSeconds = now_seconds() - t;
  ExpectationTable table = expectation_table(load.count + run.count);
  uint8_t *loadExpected = replay(&table, &load);
  uint8_t *runExpected = replay(&table, &run);

  Store s = store_create(argv[3]);
  Reads reads = {0, 0, 0};
  Phase l = run_phase(&s, &load, loadExpected, &reads);
  Phase r = run_phase(&s, &run, runExpected, &reads);

  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  uint64_t storeBytes =
      METADATA_FILE_SIZE + (uint64_t)s.catEntries * CATALOG_ENTRY_SIZE + (uint64_t)(s.maxFileId - 1) * PAGE_FILE_SIZE;
  if (deletes > 0)
    fprintf(stderr, "same-layout: %llu DELETEs removed without merging (pmehash merges): not a like-for-like cost\n",
            (unsigned long long)deletes);
  printf("{\"name\":\"c-same-layout\",");
  print_phase("load", l);
  putchar(',');
  print_phase("run", r);
  printf(",\"reads\":{\"found\":%llu,\"missed\":%llu,\"mismatched\":%llu}", (unsigned long long)reads.found,
         (unsigned long long)reads.missed, (unsigned long long)reads.mismatched);
  printf(",\"peakRssMB\":%.1f,\"parseMBps\":%.1f,\"keys\":%llu,\"storeBytes\":%llu}\n",
         (double)usage.ru_maxrss / 1024, (double)(load.bytes + run.bytes) / 1e6 / (parseSeconds > 0 ? parseSeconds : 1e-9),
         (unsigned long long)s.keys, (unsigned long long)storeBytes);
  return 0;
}
