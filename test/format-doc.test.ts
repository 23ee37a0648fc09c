// src/FORMAT.md and include-types/layout.ts must say the same thing: every offset in the tables
// and every "`CONSTANT` = N" / "`CONSTANT` (N)" in the text equals the constant in code.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as layout from '../include-types/layout';
import { pageFileSize, pageHeaderSize } from '../src/data-page';

const doc = fs.readFileSync(path.join(__dirname, '..', 'src', 'FORMAT.md'), 'utf8');
const constants = layout as unknown as Record<string, number>;

test("every table row that names a constant has that constant's offset", () => {
  const rows = doc.split('\n').filter((l) => /^\| \d+ \| \d+ \|/.test(l));
  const checked: string[] = [];
  for (const row of rows) {
    const cells = row.split('|').map((c) => c.trim());
    const [offset, size, , name] = [Number(cells[1]), Number(cells[2]), cells[3], cells[4]];
    expect(size).toBeGreaterThan(0);
    if (!name) continue;
    expect(constants).toHaveProperty(name);
    expect(`${name} = ${constants[name]}`).toBe(`${name} = ${offset}`);
    checked.push(name);
  }
  expect(checked.length).toBeGreaterThanOrEqual(15);
});

test('every size quoted next to a constant equals it', () => {
  const quoted = [...doc.matchAll(/`([A-Z][A-Z0-9_]+)` (?:= (\d+)|\((\d+)\))/g)];
  expect(quoted.length).toBeGreaterThanOrEqual(8);
  for (const [, name, a, b] of quoted) {
    expect(`${name} = ${constants[name]}`).toBe(`${name} = ${Number(a ?? b)}`);
  }
});

test('the layout adds up as documented', () => {
  expect(layout.KV_SIZE).toBe(layout.KEY_SIZE + layout.VALUE_SIZE);
  expect(layout.BUCKET_SIZE).toBe(256);
  // the probe line: bitmap + every key's low half fill exactly one cache line, and so do the
  // local depth + the high halves; the values follow
  expect(layout.BUCKET_KEY_LO_OFFSET + layout.BUCKET_KV_SLOTS * 4).toBe(layout.CACHE_LINE);
  expect(layout.BUCKET_LOCAL_DEPTH_OFFSET).toBe(layout.CACHE_LINE);
  expect(layout.BUCKET_KEY_HI_OFFSET + layout.BUCKET_KV_SLOTS * 4).toBe(2 * layout.CACHE_LINE);
  expect(layout.BUCKET_VALUE_OFFSET).toBe(2 * layout.CACHE_LINE);
  expect(layout.BUCKET_RESERVED_OFFSET).toBe(layout.BUCKET_VALUE_OFFSET + layout.BUCKET_KV_SLOTS * layout.VALUE_SIZE);
  expect(layout.PAGE_HEADER_ALIGN % layout.CACHE_LINE).toBe(0); // so every bucket starts a cache line
  expect(layout.BUCKET_KV_SLOTS).toBeLessThanOrEqual(32); // the kv bitmap is one uint32
  expect(layout.METADATA_FILE_SIZE).toBe(layout.META_BLOCK_SIZE + layout.LOG_SLOTS * layout.LOG_RECORD_SIZE);
  expect(layout.V3_METADATA_FILE_SIZE).toBe(layout.META_BLOCK_SIZE + layout.LOG_RECORD_SIZE);
  expect(layout.LOG_CHECKSUM_OFFSET + 4).toBe(layout.LOG_RECORD_SIZE);
  expect(layout.META_CHECKSUM_OFFSET + 4).toBe(layout.META_BLOCK_SIZE);
  expect(layout.CATALOG_ENTRY_SIZE).toBe(layout.PM_ADDRESS_SIZE);
  // the documented page sizes: 128-byte header for 1024 slots, 64 bytes for the course's 16
  expect(pageHeaderSize(1024)).toBe(128);
  expect(pageHeaderSize(16)).toBe(64);
  expect(pageFileSize(layout.DEFAULT_BUCKETS_PER_PAGE)).toBe(128 + 1024 * 256);
  // a page offset must fit the uint32 pm_address offset
  expect(pageFileSize(layout.MAX_BUCKETS_PER_PAGE)).toBeLessThan(2 ** 31);
});

test('the on-disk operation codes keep their numbers (FORMAT.md, operation log record)', () => {
  expect(layout.LogOp).toEqual({ None: 0, Update: 1, Split: 2, Merge: 3, Metadata: 4 });
  const documented = [...doc.matchAll(/^\| (\d) ([a-z]+) \|/gm)].map(([, code, name]) => `${code} ${name}`);
  expect(documented).toEqual(['1 update', '2 split', '3 merge', '4 metadata']);
  expect(doc).toContain('0 none, 1 update, 2 split, 3 merge, 4 metadata');
});
