// Seeded damage of every kind of file of a closed store: bit flips, zeroed 64-byte lines and
// 4 KiB pages, truncation, appended bytes, two page files swapped. Each damaged store must be
// refused at open (a PmEHashCorruptError naming the file, the folder left as it was), or opened
// with check() reporting a problem, or be harmless: every key reads back its value and no other
// key appears. Never keys lost or changed while check() is clean.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BatchOperation } from '../include-types/kv';
import { PmEHash, PmEHashCorruptError } from '../src';
import { removeTempDirs, snapshot, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

const KEYS = 3000;
const key = (i: number): number => i * 7919;
/** Cases of each kind: `make crash-test` (PMEHASH_SOAK=1) runs ten times as many. */
const SEEDS_PER_KIND = process.env.PMEHASH_SOAK === '1' ? 250 : 25;
const LINE = 64;
const PAGE = 4096;

/**
 * A closed store of KEYS keys over several page files, some keys removed again (empty buckets
 * too), with its batch record.
 */
function pristineStore(): { dir: string; expected: Map<bigint, bigint> } {
  const dir = tempDir('damage-pristine');
  const store = new PmEHash({ dir, bucketsPerPage: 16 });
  const expected = new Map<bigint, bigint>();
  for (let i = 0; i < KEYS; i++) {
    store.set(key(i), i);
    expected.set(BigInt(key(i)), BigInt(i));
  }
  // The removes in one batch, so that the folder has a (retired) batch record to damage too.
  const removes: BatchOperation[] = [];
  for (let i = 0; i < KEYS; i += 7) {
    removes.push({ type: 'del', key: key(i) });
    expected.delete(BigInt(key(i)));
  }
  store.batch(removes);
  store.close();
  return { dir, expected };
}

/** mulberry32: a small seeded generator, so that every case can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Damage = (dir: string, files: string[], pages: string[], rnd: () => number) => string;

const pick = <T>(items: T[], rnd: () => number): T => items[Math.floor(rnd() * items.length)];

function rewrite(file: string, change: (bytes: Buffer) => Buffer): void {
  fs.writeFileSync(file, change(fs.readFileSync(file)));
}

/** Zeroes `size` bytes at a random multiple of `size` in a random file. */
function zeroed(size: number): Damage {
  return (dir, files, _pages, rnd) => {
    const name = pick(files, rnd);
    rewrite(path.join(dir, name), (b) => {
      const at = size * Math.floor((rnd() * b.length) / size);
      return b.fill(0, at, Math.min(at + size, b.length));
    });
    return name;
  };
}

const DAMAGE: Record<string, Damage> = {
  'bit flip': (dir, files, _pages, rnd) => {
    const name = pick(files, rnd);
    rewrite(path.join(dir, name), (b) => {
      const at = Math.floor(rnd() * b.length);
      b[at] ^= 1 << Math.floor(rnd() * 8);
      return b;
    });
    return name;
  },
  'zeroed 64-byte line': zeroed(LINE),
  'zeroed 4 KiB page': zeroed(PAGE),
  truncation: (dir, files, _pages, rnd) => {
    const name = pick(files, rnd);
    rewrite(path.join(dir, name), (b) => b.subarray(0, Math.floor(rnd() * b.length)));
    return name;
  },
  'appended bytes': (dir, files, _pages, rnd) => {
    const name = pick(files, rnd);
    rewrite(path.join(dir, name), (b) => Buffer.concat([b, Buffer.alloc(1 + Math.floor(rnd() * 300), 0x5a)]));
    return name;
  },
  'two page files swapped': (dir, _files, pages, rnd) => {
    const a = pick(pages, rnd);
    let b = pick(pages, rnd);
    while (b === a) b = pick(pages, rnd);
    const bytes = fs.readFileSync(path.join(dir, a));
    fs.copyFileSync(path.join(dir, b), path.join(dir, a));
    fs.writeFileSync(path.join(dir, b), bytes);
    return `${a}<->${b}`;
  },
};

/** What a damaged store did: refused, reported by check(), or read back whole. */
type Outcome = 'refused' | 'reported' | 'harmless';

function openDamaged(dir: string, expected: Map<bigint, bigint>): Outcome {
  const before = snapshot(dir);
  let store: PmEHash;
  try {
    store = new PmEHash({ dir });
  } catch (err) {
    expect(err).toBeInstanceOf(PmEHashCorruptError);
    expect(typeof (err as PmEHashCorruptError).file).toBe('string');
    expect(snapshot(dir)).toEqual(before); // refused unmodified
    return 'refused';
  }
  try {
    if (store.check().length > 0) return 'reported';
    // check() is clean: then every key must read back its value, and no other key be there.
    let wrong = 0;
    for (const [k, v] of expected) if (store.get(k) !== v) wrong++;
    let seen = 0;
    for (const [k, v] of store) if (expected.get(k) === v) seen++;
    expect({ wrong, seen, size: store.size }).toEqual({ wrong: 0, seen: expected.size, size: expected.size });
    return 'harmless';
  } finally {
    store.close();
  }
}

test("the issue's reproduction: a zeroed first line of a bucket is refused, naming its page file", () => {
  const dir = tempDir('zeroed-line');
  const store = new PmEHash({ dir, bucketsPerPage: 16 });
  for (let i = 0; i < KEYS; i++) store.set(key(i), i);
  store.close();
  const file = path.join(dir, '3');
  rewrite(file, (b) => b.fill(0, 64, 128)); // the header is 64 bytes: this is bucket 0's line 0
  const before = snapshot(dir);
  const err = (() => {
    try {
      new PmEHash({ dir }).close();
    } catch (e) {
      return e as PmEHashCorruptError;
    }
    throw new Error('a store with a zeroed bucket line opened');
  })();
  expect(err).toBeInstanceOf(PmEHashCorruptError);
  expect(err.file).toBe('3');
  expect(err.message).toMatch(/checksum/);
  expect(snapshot(dir)).toEqual(before);
});

test.each(Object.keys(DAMAGE))(
  'seeded damage (%s) of any file is refused, reported or harmless, never a silent loss',
  (kind) => {
    const { dir: pristine, expected } = pristineStore();
    const files = fs.readdirSync(pristine).filter((n) => fs.statSync(path.join(pristine, n)).isFile());
    const pages = files.filter((n) => /^[0-9]+$/.test(n));
    const counts: Record<Outcome, number> = { refused: 0, reported: 0, harmless: 0 };
    for (let seed = 1; seed <= SEEDS_PER_KIND; seed++) {
      const dir = tempDir('damaged');
      fs.cpSync(pristine, dir, { recursive: true });
      const what = DAMAGE[kind](dir, files, pages, random(seed * 7919 + kind.length));
      const outcome = (() => {
        try {
          return openDamaged(dir, expected);
        } catch (err) {
          throw new Error(`${kind}, seed ${seed} (${what}): ${String(err)}`, { cause: err });
        }
      })();
      counts[outcome]++;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    console.log(`damage ${kind}: ${SEEDS_PER_KIND} seeds, ${JSON.stringify(counts)}`);
    expect(counts.refused + counts.reported + counts.harmless).toBe(SEEDS_PER_KIND);
  },
  SEEDS_PER_KIND * 2_000,
);
