// Durability 'log': a store whose image is lost or torn (an OS crash, a power loss, a tmpfs
// emptied by a reboot) is built again from its snapshot and log. The sequences below run with
// checkpoints every few kilobytes of log, so that crashes land inside checkpoints too. At every
// fsync, rename and removal of a log file, the test builds the log folders a power loss could
// leave (helpers/log-disk.ts: unsynced sectors lost or kept, in any combination) and the
// folders a process death leaves (log and image as they are). Each must open and pass check():
// after a power loss the store must equal the history of returned operations up to some point
// at or after the last flush() (a batch or clear() wholly or not at all); after a process death
// it must hold every returned operation.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { PmEHash } from '../src';
import { PmEHashCorruptError, PmEHashError } from '../src/errors';
import type { Checkpointer } from '../src/checkpoint';
import type { OpLog } from '../src/op-log';
import { removeCompiled, startCompiled } from './helpers/compile';
import { WrittenFiles } from '../src/written-files';
import { LogDisk, type LogImage } from './helpers/log-disk';
import { Random } from './helpers/random';
import { removeTempDirs, snapshot, tempDir } from './helpers/temp';

afterAll(() => {
  removeTempDirs();
  removeCompiled();
});

const SOAK = process.env.PMEHASH_SOAK === '1';
const OTHER_BOOT = 'ffffffff-0000-4000-8000-000000000001';

type Op =
  | { kind: 'put'; key: number; value: number }
  | { kind: 'del'; key: number }
  | { kind: 'batch'; ops: Array<{ type: 'put'; key: number; value: number } | { type: 'del'; key: number }> }
  | { kind: 'clear' }
  | { kind: 'flush' };

/** A seeded history: single writes, batches of up to 40, one clear, a flush every 10-40 operations. */
function history(seed: number, n: number): Op[] {
  const rnd = new Random(seed);
  const ops: Op[] = [];
  let untilFlush = 10 + rnd.below(30);
  for (let i = 0; i < n; i++) {
    const r = rnd.below(100);
    if (i === Math.floor(n / 2)) ops.push({ kind: 'clear' });
    else if (r < 55) ops.push({ kind: 'put', key: rnd.below(400), value: rnd.next() });
    else if (r < 80) ops.push({ kind: 'del', key: rnd.below(400) });
    else {
      const size = 1 + rnd.below(40);
      const batch: Extract<Op, { kind: 'batch' }>['ops'] = [];
      for (let k = 0; k < size; k++) {
        batch.push(
          rnd.below(4) === 0
            ? { type: 'del', key: rnd.below(400) }
            : { type: 'put', key: rnd.below(400), value: rnd.next() },
        );
      }
      ops.push({ kind: 'batch', ops: batch });
    }
    if (--untilFlush === 0) {
      ops.push({ kind: 'flush' });
      untilFlush = 10 + rnd.below(30);
    }
  }
  return ops;
}

/** The content after each prefix of ops: states[i] after the first i operations. */
function statesOf(ops: Op[]): Array<Map<bigint, bigint>> {
  const states = [new Map<bigint, bigint>()];
  for (const op of ops) {
    const m = new Map(states[states.length - 1]);
    if (op.kind === 'put') m.set(BigInt(op.key), BigInt(op.value));
    else if (op.kind === 'del') m.delete(BigInt(op.key));
    else if (op.kind === 'clear') m.clear();
    else if (op.kind === 'batch') {
      for (const b of op.ops) {
        if (b.type === 'put') m.set(BigInt(b.key), BigInt(b.value));
        else m.delete(BigInt(b.key));
      }
    }
    states.push(m);
  }
  return states;
}

function apply(store: PmEHash, op: Op): void {
  if (op.kind === 'put') store.set(op.key, op.value);
  else if (op.kind === 'del') store.delete(op.key);
  else if (op.kind === 'clear') store.clear();
  else if (op.kind === 'batch') store.batch(op.ops);
  else store.flush();
}

function equalMaps(a: Map<bigint, bigint>, b: Map<bigint, bigint>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function withBootId<T>(id: string | undefined, fn: () => T): T {
  const saved = process.env.PMEHASH_TEST_BOOT_ID;
  if (id === undefined) delete process.env.PMEHASH_TEST_BOOT_ID;
  else process.env.PMEHASH_TEST_BOOT_ID = id;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.PMEHASH_TEST_BOOT_ID;
    else process.env.PMEHASH_TEST_BOOT_ID = saved;
  }
}

function writeFolder(dir: string, image: LogImage): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of image) fs.writeFileSync(path.join(dir, name), bytes);
}

/** The log of a store whose checkpoints come every `bytes` of log (a test setting). */
function logOf(store: PmEHash): OpLog {
  return (store as unknown as { log: OpLog }).log;
}

/**
 * Opens the store in `dir` (log in dir/log) under `bootId`, on the written backend: its files
 * are the same, and it leaves no mappings behind (mapped backends' go only when garbage-collected,
 * and the soak's tens of thousands of opens ran out of them), and returns the index of the first
 * state in [lo, hi] it equals, or a problem. Opens it a second time: nothing left to repair.
 */
function verify(
  dir: string,
  bootId: string,
  states: Array<Map<bigint, bigint>>,
  lo: number,
  hi: number,
): string | number {
  return withBootId(bootId, () => {
    let store: PmEHash;
    try {
      store = new PmEHash({ dir, durability: 'log' }, new WrittenFiles(false));
    } catch (err) {
      return `open failed: ${String(err)}`;
    }
    let found = -1;
    try {
      const problems = store.check();
      if (problems.length > 0) return `check: ${problems[0]}`;
      const content = new Map(store.entries());
      for (let i = lo; i <= hi && found < 0; i++) if (equalMaps(states[i], content)) found = i;
      if (found < 0) return `content of ${content.size} keys is no state in [${lo}, ${hi}]`;
    } finally {
      store.close();
    }
    const again = new PmEHash({ dir, durability: 'log' }, new WrittenFiles(false));
    try {
      if (again.repairs.length > 0) return `second open repaired: ${again.repairs.join('; ')}`;
      if (!equalMaps(states[found], new Map(again.entries()))) return 'second open: content changed';
    } finally {
      again.close();
    }
    return found;
  });
}

/** Steps of a rebuild that crashRecovery cuts at (fsyncs, renames, removals of log files). */
const RECOVERY_STEPS = 6;

class Crash extends Error {}

/** Opens `dir` (another boot) and dies, as a process would, at the `step`-th step of its log files. */
function crashRecovery(dir: string, step: number): void {
  const disk = new LogDisk();
  let steps = 0;
  disk.onStep = () => {
    if (++steps === step) throw new Crash(`crash at recovery step ${step}`);
  };
  withBootId(OTHER_BOOT, () => {
    try {
      const store = new PmEHash({ dir, durability: 'log' }, disk);
      disk.onStep = undefined; // the open went through before the chosen step: no crash
      store.close();
    } catch (err) {
      if (!(err instanceof Crash) && !(err instanceof PmEHashError && err.cause instanceof Crash)) throw err;
    }
  });
}

interface Tally {
  /** The gen of the last snapshot (1: only the first open's). */
  snapshots: number;
  moments: number;
  powerLoss: number;
  processDeath: number;
  failures: string[];
}

/**
 * Runs `ops` on a logged store on LogDisk and tries crashes at every step of its log files
 * (and at its end): power-loss images rebuilt under another boot id, process-death images
 * reopened under the same one.
 */
function crashEverywhere(seed: number, ops: Op[], randomImages: number): Tally {
  const dir = tempDir('log');
  const crashDir = tempDir('log-crash');
  const logDir = path.join(dir, 'log');
  const states = statesOf(ops);
  const disk = new LogDisk();
  const rnd = new Random(seed);
  const tally: Tally = { snapshots: 0, moments: 0, powerLoss: 0, processDeath: 0, failures: [] };
  let returned = 0; // operations that have returned
  let flushed = 0; // operations that returned before the last flush() did
  const tryCrash = (where: string) => {
    tally.moments++;
    const images = disk.powerLossImages(logDir, rnd, randomImages);
    for (const image of images) {
      tally.powerLoss++;
      writeFolder(path.join(crashDir, 'log'), image);
      for (const f of fs.readdirSync(crashDir)) if (f !== 'log') fs.rmSync(path.join(crashDir, f), { recursive: true });
      // The rebuilds of the first image (synced bytes only) and the last (a random, perhaps
      // torn, end) are themselves cut short, at a step chosen by the moment.
      if (image === images[0] || image === images[images.length - 1])
        crashRecovery(crashDir, 1 + ((tally.moments + tally.powerLoss) % RECOVERY_STEPS));
      const r = verify(crashDir, OTHER_BOOT, states, flushed, Math.min(returned + 1, ops.length));
      if (typeof r === 'string') tally.failures.push(`power loss at ${where} after ${returned} ops: ${r}`);
    }
    // A process death: the image and the log as they are, under the same boot id.
    tally.processDeath++;
    fs.rmSync(crashDir, { recursive: true, force: true });
    fs.mkdirSync(crashDir);
    for (const f of fs.readdirSync(dir)) {
      if (f !== 'log' && f !== 'pm_ehash_lock') fs.copyFileSync(path.join(dir, f), path.join(crashDir, f));
    }
    writeFolder(path.join(crashDir, 'log'), disk.processDeathImage(logDir));
    const r = verify(crashDir, 'same-boot', states, returned, Math.min(returned + 1, ops.length));
    if (typeof r === 'string') tally.failures.push(`process death at ${where} after ${returned} ops: ${r}`);
  };
  withBootId('same-boot', () => {
    // Commits at flush() only (and where a checkpoint makes them): the test's own pauses never
    // let the interval make a frame durable that the history does not.
    const store = new PmEHash({ dir, durability: 'log', commitInterval: 60_000 }, disk);
    // Checkpoints every kilobyte of log, in steps of one bucket and 512-byte chunks, a step
    // every 4 appends: they run across many operations, and crashes land in every phase.
    const log = logOf(store);
    log.checkpointAfter = log.minCheckpointBytes = 1024;
    log.checkEvery = 4;
    const checkpointer = (store as unknown as { checkpointer: Checkpointer }).checkpointer;
    checkpointer.stepMilliseconds = 0;
    checkpointer.chunkBytes = 512;
    disk.onStep = (what) => {
      disk.onStep = undefined; // the checks open other stores on real files
      try {
        tryCrash(what);
      } finally {
        disk.onStep = onStep;
      }
    };
    const onStep = disk.onStep;
    for (const op of ops) {
      apply(store, op);
      returned++;
      if (op.kind === 'flush') flushed = returned;
    }
    disk.onStep = undefined;
    tryCrash('the end');
    // Background checkpoints ran to their end, across operations: snapshots were published.
    tally.snapshots = Math.max(
      ...fs.readdirSync(logDir).map((f) => Number(/^pm_ehash_snapshot_(\d+)$/.exec(f)?.[1] ?? 0)),
    );
    store.close();
  });
  return tally;
}

describe("durability 'log'", () => {
  test('power loss and process death at every log step of a history with checkpoints', () => {
    const seeds = SOAK ? [1, 2, 3, 4, 5, 6, 7, 8] : [1];
    let moments = 0;
    let images = 0;
    for (const seed of seeds) {
      const ops = history(seed, SOAK ? 400 : 200);
      const tally = crashEverywhere(seed, ops, SOAK ? 12 : 2);
      expect(tally.failures.slice(0, 5)).toEqual([]);
      moments += tally.moments;
      images += tally.powerLoss + tally.processDeath;
      expect(tally.moments).toBeGreaterThan(20);
      expect(tally.snapshots).toBeGreaterThan(3);
    }
    console.log(`log crashes: ${moments} moments, ${images} images`);
  });

  test('a clean close, a lost image and another boot: the same pairs each time', () => {
    const dir = tempDir('log-life');
    const ops = history(11, 300);
    const want = statesOf(ops)[ops.length];
    withBootId('boot-a', () => {
      const store = new PmEHash({ dir, durability: 'log' });
      for (const op of ops) apply(store, op);
      store.close();
    });
    // Reopened in the same boot after a clean close: the image is used, nothing rebuilt.
    withBootId('boot-a', () => {
      const store = new PmEHash({ dir, durability: 'log' });
      expect(store.repairs).toEqual([]);
      expect(equalMaps(new Map(store.entries()), want)).toBe(true);
      store.set(1_000_001, 5);
      store.close();
    });
    want.set(1_000_001n, 5n);
    // The image is gone (a tmpfs after a reboot): built again from the log.
    for (const f of fs.readdirSync(dir)) if (f !== 'log') fs.rmSync(path.join(dir, f), { recursive: true });
    withBootId('boot-a', () => {
      const store = new PmEHash({ dir, durability: 'log' });
      expect(store.repairs.join('\n')).toMatch(/built the store again .*holds no store/);
      expect(equalMaps(new Map(store.entries()), want)).toBe(true);
      expect(store.check()).toEqual([]);
      store.close();
    });
    // Another boot id: the image on disk cannot be trusted; built again.
    withBootId('boot-b', () => {
      const store = new PmEHash({ dir, durability: 'log' });
      expect(store.repairs.join('\n')).toMatch(/another boot id/);
      expect(equalMaps(new Map(store.entries()), want)).toBe(true);
      store.selfDestory();
    });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('an open in another durability mode between two log opens: the log covers what it did', () => {
    const dir = tempDir('log-modes');
    withBootId('boot-a', () => {
      const store = new PmEHash({ dir, durability: 'log' });
      for (let i = 0; i < 200; i++) store.set(i, i);
      store.close();
    });
    const plain = new PmEHash({ dir }); // durability 'process': the log knows nothing of this
    for (let i = 1000; i < 1100; i++) plain.set(i, i);
    plain.delete(5);
    plain.close();
    withBootId('boot-a', () => {
      const store = new PmEHash({ dir, durability: 'log' });
      store.set(2000, 1);
      store.close();
    });
    for (const f of fs.readdirSync(dir)) if (f !== 'log') fs.rmSync(path.join(dir, f), { recursive: true });
    withBootId('boot-b', () => {
      const store = new PmEHash({ dir, durability: 'log' });
      try {
        expect([store.size, store.get(1000), store.get(1099), store.has(5), store.get(2000)]).toEqual([
          300,
          1000n,
          1099n,
          false,
          1n,
        ]);
      } finally {
        store.close();
      }
    });
  });

  test('a destruction cut short at any of its steps leaves the store whole, or gone', () => {
    for (let step = 1; step <= 16; step++) {
      const dir = tempDir('log-destroy');
      withBootId('boot-a', () => {
        const store = new PmEHash({ dir, durability: 'log' });
        for (let i = 0; i < 300; i++) store.set(i, i);
        store.close();
        const again = new PmEHash({ dir, durability: 'log' }); // a second segment
        again.set(300, 300);
        again.close();
      });
      const disk = new LogDisk();
      let steps = 0;
      withBootId('boot-a', () => {
        const store = new PmEHash({ dir, durability: 'log' }, disk);
        disk.onStep = () => {
          if (++steps === step) throw new Crash(`destruction cut at step ${step}`);
        };
        try {
          store.selfDestory();
        } catch (err) {
          if (!(err instanceof Crash) && !(err instanceof PmEHashError && err.cause instanceof Crash)) throw err;
        }
      });
      for (const boot of ['boot-a', 'boot-b']) {
        withBootId(boot, () => {
          const store = new PmEHash({ dir, durability: 'log' });
          try {
            expect({ step, boot, size: store.size === 301 || store.size === 0 }).toEqual({ step, boot, size: true });
            expect(store.check()).toEqual([]);
          } finally {
            store.close();
          }
        });
      }
    }
  });

  test('a damaged snapshot or log segment is refused, naming the file and offset, and left as it was', () => {
    const dir = tempDir('log-damage');
    const logDir = path.join(dir, 'log');
    const plain = new PmEHash({ dir }); // a store from before the log: the first snapshot holds it
    for (let i = 0; i < 500; i++) plain.set(i, i);
    plain.close();
    withBootId('boot-a', () => {
      const store = new PmEHash({ dir, durability: 'log' });
      for (let i = 500; i < 600; i++) store.set(i, i);
      store.close();
      const again = new PmEHash({ dir, durability: 'log' }); // clean: a second segment begins
      for (let i = 600; i < 650; i++) again.set(i, i);
      again.close();
    });
    const segments = fs.readdirSync(logDir).filter((f) => f.startsWith('pm_ehash_log_') && f !== 'pm_ehash_log_state');
    expect(segments.length).toBe(2);
    const cases: Array<{ file: string; offset: number; message: RegExp }> = [
      { file: 'pm_ehash_snapshot_1', offset: 40, message: /pm_ehash_snapshot_1: does not match its checksum/ },
      {
        file: segments.sort()[0],
        offset: 16 + 20 * 7,
        message: /pm_ehash_log_1: frame does not match its checksum at offset 0/,
      },
    ];
    for (const { file, offset, message } of cases) {
      const target = path.join(logDir, file);
      const original = fs.readFileSync(target);
      const damaged = Buffer.from(original);
      damaged[offset] ^= 0x10;
      fs.writeFileSync(target, damaged);
      const before = snapshot(logDir);
      for (const f of fs.readdirSync(dir)) if (f !== 'log') fs.rmSync(path.join(dir, f), { recursive: true }); // forces a rebuild
      const err = withBootId('boot-b', () => {
        try {
          new PmEHash({ dir, durability: 'log' }).close();
        } catch (e) {
          return e;
        }
        return undefined;
      });
      expect(err).toBeInstanceOf(PmEHashCorruptError);
      expect(String((err as Error).message)).toMatch(message);
      expect(snapshot(logDir)).toEqual(before);
      fs.writeFileSync(target, original);
    }
    // Mended, the folder opens with every pair.
    withBootId('boot-b', () => {
      const store = new PmEHash({ dir, durability: 'log' });
      expect(store.size).toBe(650);
      store.close();
    });
  });

  test('a foreign file in the store folder is refused, and the image and log are kept', () => {
    const dir = tempDir('log-foreign');
    withBootId('boot-a', () => {
      const store = new PmEHash({ dir, durability: 'log' });
      for (let i = 0; i < 100; i++) store.set(i, i);
      store.close();
    });
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const before = snapshot(dir);
    const logBefore = snapshot(path.join(dir, 'log'));
    expect(() => withBootId('boot-b', () => new PmEHash({ dir, durability: 'log' }))).toThrow(
      /notes.txt: not a pmehash file/,
    );
    expect(snapshot(dir)).toEqual(before);
    expect(snapshot(path.join(dir, 'log'))).toEqual(logBefore);
  });

  test('options and calls a logged store refuses, before anything is written', () => {
    const dir = tempDir('log-options');
    expect(() => new PmEHash({ dir, durability: 'log', logDir: dir })).toThrow(/logDir must not be the store folder/);
    expect(() => new PmEHash({ dir, durability: 'log', commitInterval: 0 })).toThrow(RangeError);
    expect(fs.readdirSync(dir)).toEqual([]);
    const store = new PmEHash({ dir, durability: 'log', logDir: path.join(dir, 'elsewhere') });
    try {
      expect(() => store.share()).toThrow(PmEHashError);
      expect(fs.existsSync(path.join(dir, 'elsewhere', 'pm_ehash_snapshot_1'))).toBe(true);
    } finally {
      store.selfDestory();
    }
  });

  test('the commit interval makes operations durable without flush(), in a synchronous loop and when idle', async () => {
    const dir = tempDir('log-interval');
    const store = new PmEHash({ dir, durability: 'log', commitInterval: 2 });
    try {
      const log = logOf(store);
      const start = performance.now();
      let k = 0;
      // Never yields to the event loop; goes on past 4 looks at the clock (one every 1,024 appends)
      // and 20 ms, on a slow backend or a busy machine alike.
      while (k < 4096 || performance.now() - start < 20) store.set(k++, 1);
      expect(log.commits).toBeGreaterThan(0);
      store.set(k, 1); // one more, then idle: the timer commits it
      const before = log.commits;
      const deadline = Date.now() + 10_000;
      while (log.commits === before && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
      expect(log.commits).toBeGreaterThan(before);
    } finally {
      store.close();
    }
  });

  test('a process killed at random moments: every returned key after a process death, a prefix past the last flush after a power loss', async () => {
    const dir = tempDir('log-kill');
    const acks = path.join(tempDir('log-acks'), 'acks');
    const rnd = new Random(7);
    const present = new Set<number>(); // what the store holds after the last round
    let next = 0;
    for (let round = 0; round < (SOAK ? 20 : 6); round++) {
      const child = startCompiled('log-loader.ts', [dir, String(next), acks], { PMEHASH_TEST_BOOT_ID: 'boot-a' });
      await once(child.stdout!, 'data');
      await new Promise((resolve) => setTimeout(resolve, 10 + rnd.below(60)));
      child.kill('SIGKILL');
      await once(child, 'exit');
      const lines = fs.readFileSync(acks, 'utf8').split('\n');
      lines.pop(); // a cut line, or the empty string after the last newline
      const returned = lines.filter((l) => !l.startsWith('F')).map(Number);
      const flushedLines = lines.filter((l) => l.startsWith('F'));
      const flushedUpTo = flushedLines.length > 0 ? Number(flushedLines[flushedLines.length - 1].slice(1)) : next - 1;
      const lostImage = round % 2 === 1;
      if (lostImage)
        for (const f of fs.readdirSync(dir)) if (f !== 'log') fs.rmSync(path.join(dir, f), { recursive: true });
      const store = withBootId(lostImage ? `boot-${round}` : 'boot-a', () => new PmEHash({ dir, durability: 'log' }));
      try {
        expect(store.check()).toEqual([]);
        const out = new Uint32Array(2);
        const has = (k: number) => store.words.searchWords(k, 0, out) === 0 && out[0] === k * 3 + 1;
        const lost = [...present].filter((k) => !has(k));
        expect({ round, lost: lost.slice(0, 5) }).toEqual({ round, lost: [] });
        const last = returned.length > 0 ? returned[returned.length - 1] : next - 1;
        // Keys of this round are present as a prefix: none after a missing one.
        let k = next;
        while (has(k)) present.add(k++);
        expect({ round, after: k, present: has(k + 1) || has(k + 2) }).toEqual({ round, after: k, present: false });
        const mustHave = lostImage ? flushedUpTo : last;
        expect({ round, lostImage, reached: k - 1 >= mustHave, k, last, flushedUpTo, next }).toEqual({
          round,
          lostImage,
          reached: true,
          k,
          last,
          flushedUpTo,
          next,
        });
        next = Math.max(k, last + 2) + 1;
      } finally {
        store.close();
      }
    }
    expect(present.size).toBeGreaterThan(0);
  });
});
