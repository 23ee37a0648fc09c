// Crashes while worker threads share a store: a child process runs two threads, each replaying
// its own sequence (helpers/thread-sequence.ts) and acknowledging every operation that returned
// in a log of its own. The process dies either right after the N-th persist of one thread (crash
// points spread over that thread's persists) or by SIGKILL at a random moment. After each crash
// the store must open consistent, hold every operation each thread acknowledged and the one each
// had in flight wholly or not at all, and open again with nothing to repair.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { PmEHash } from '../src';
import { removeCompiled, runCompiled, startCompiled } from './helpers/compile';
import { Random } from './helpers/random';
import { removeTempDirs, tempDir } from './helpers/temp';
import { threadContentAfter, threadSequence } from './helpers/thread-sequence';

afterAll(() => {
  removeTempDirs();
  removeCompiled();
});

const THREADS = 2;
const SOAK = process.env.PMEHASH_SOAK === '1';
/** Keys each thread of the kill test inserts: more than it gets through before the kill. */
const KILL_INSERTS = 200_000;

function acked(ackDir: string, thread: number): number {
  const file = path.join(ackDir, `acks-${thread}`);
  return fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => /^\d+$/.test(l)).length
    : 0;
}

/**
 * Opens a crashed store. When the open refuses it, the error names the crash and a folder that
 * keeps the crash image as it was before recovery, with the acknowledgements, to replay it.
 */
function openCrashed(dir: string, ackDir: string, label: string): PmEHash {
  const image = tempDir('thread-crash-image');
  fs.cpSync(dir, image, { recursive: true });
  try {
    return new PmEHash({ dir });
  } catch (err) {
    const kept = fs.mkdtempSync(path.join(os.tmpdir(), 'pmehash-kept-crash-'));
    fs.cpSync(image, path.join(kept, 'store'), { recursive: true });
    fs.cpSync(ackDir, path.join(kept, 'acks'), { recursive: true });
    throw new Error(`${label}: ${String(err)} (crash image kept in ${kept})`, { cause: err });
  }
}

/** Opens the crashed store twice and checks every thread's keys against its acknowledgements. */
function verify(dir: string, ackDir: string, inserts: number, label: string): { repaired: boolean; acks: number[] } {
  const acks = Array.from({ length: THREADS }, (_, t) => acked(ackDir, t));
  const store = openCrashed(dir, ackDir, label);
  const repaired = store.repairs.length > 0;
  expect({ label, problems: store.check() }).toEqual({ label, problems: [] });
  const byThread = Array.from({ length: THREADS }, () => new Map<number, number>());
  for (const [k, v] of store) {
    const t = Number(k >> 32n) - 1;
    expect({ label, t, valueHi: Number(v >> 32n) }).toEqual({ label, t, valueHi: t + 1 });
    byThread[t].set(Number(k & 0xffffffffn), Number(v & 0xffffffffn));
  }
  store.close();
  for (let t = 0; t < THREADS; t++) {
    const ops = threadSequence(t, inserts);
    const before = threadContentAfter(ops, acks[t]);
    const after = threadContentAfter(ops, Math.min(acks[t] + 1, ops.length));
    const same = (m: Map<number, number>) =>
      m.size === byThread[t].size && [...m].every(([k, v]) => byThread[t].get(k) === v);
    expect({ label, thread: t, acked: acks[t], holds: same(before) || same(after) }).toEqual({
      label,
      thread: t,
      acked: acks[t],
      holds: true,
    });
  }
  const again = new PmEHash({ dir });
  expect({ label, repairs: again.repairs }).toEqual({ label, repairs: [] });
  again.close();
  return { repaired, acks };
}

test('a crash right after the N-th persist of one thread, at points spread over its sequence, loses nothing acknowledged', () => {
  const inserts = 300;
  const points = SOAK ? 300 : 36;
  let repaired = 0;
  let crashed = 0;
  for (let k = 0; k < points; k++) {
    const n = 5 + Math.round((k * 1200) / points) + (k % 5);
    const dir = tempDir('thread-crash');
    const ackDir = tempDir('thread-acks');
    const r = runCompiled('thread-loader.ts', [
      dir,
      String(THREADS),
      ackDir,
      String(k % THREADS),
      String(n),
      String(inserts),
    ]);
    expect({ n, stderr: r.stderr }).toEqual({ n, stderr: '' });
    if (r.signal === 'SIGKILL') crashed++;
    else expect({ n, status: r.status, out: r.stdout }).toEqual({ n, status: 0, out: 'ready\ndone\n' });
    if (verify(dir, ackDir, inserts, `thread ${k % THREADS} crash after persist ${n}`).repaired) repaired++;
  }
  expect(crashed).toBeGreaterThan(points * 0.8);
  expect(repaired).toBeGreaterThan(0);
  console.log(`thread crash points: ${points} (${crashed} crashed, ${repaired} needed repairs)`);
}, 600_000);

test('SIGKILL at random moments of a two-thread load loses nothing any thread acknowledged', async () => {
  const rnd = new Random(5);
  const rounds = SOAK ? 60 : 8;
  let total = 0;
  const perThread = new Array<number>(THREADS).fill(0);
  for (let round = 0; round < rounds; round++) {
    const dir = tempDir('thread-kill');
    const ackDir = tempDir('thread-kill-acks');
    const child = startCompiled('thread-loader.ts', [dir, String(THREADS), ackDir, '-1', '0', String(KILL_INSERTS)]);
    const [chunk] = await once(child.stdout!, 'data');
    expect(String(chunk)).toBe('ready\n');
    await new Promise((resolve) => setTimeout(resolve, 50 + rnd.below(200))); // a random moment of the load
    child.kill('SIGKILL');
    const [, signal] = await once(child, 'exit');
    expect(signal).toBe('SIGKILL');
    const { acks } = verify(dir, ackDir, KILL_INSERTS, `kill round ${round}`);
    expect(acks.some((a) => a > 0)).toBe(true); // the kill came in the middle of real work
    acks.forEach((a, t) => (perThread[t] += a));
    total += acks.reduce((x, y) => x + y, 0);
  }
  for (const a of perThread) expect(a).toBeGreaterThan(rounds * 100); // every thread did load
  console.log(`thread kills: ${rounds} rounds, ${total} operations acknowledged and found`);
}, 600_000);
