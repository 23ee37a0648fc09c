// Power loss, not only process death: sequences run in durability 'sync' on the power-loss
// simulator (helpers/simulated-files.ts). At every persist the test builds the crash images a
// power loss could leave (at 4096-byte page and 64-byte cache-line granularity) and the one a
// process death would leave. Every image must open, pass check(), hold every operation that had
// returned and the one in flight wholly or not at all, and open again after a close with nothing
// left to repair. Recovery may itself be cut short: the images of every persist it makes are
// opened in turn, with the same expectations.

import { PmEHash } from '../src';
import { applyToStore, contentAfter, sequence, SEQUENCES, type SequenceName } from './helpers/crash-sequence';
import { Random } from './helpers/random';
import { type Granularity, type Image, type ImageBudget, SimulatedFiles } from './helpers/simulated-files';
import { removeTempDirs, tempDir } from './helpers/temp';

afterAll(removeTempDirs);

const SOAK = process.env.PMEHASH_SOAK === '1';
const BUDGET: ImageBudget = SOAK ? { allSubsetsUpTo: 8, randomSubsets: 48 } : { allSubsetsUpTo: 3, randomSubsets: 4 };

interface Tally {
  images: number;
  recoveryImages: number;
  repaired: number;
  failures: string[];
}

function equalMaps(a: Map<bigint, bigint>, b: Map<bigint, bigint>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/**
 * Opens `image`, checks it against the two allowed contents, closes, opens again. When
 * `onRecoveryPersist` is given it runs at every persist the first open's recovery makes.
 * Returns a problem, or undefined.
 */
function verifyImage(
  dir: string,
  granularity: Granularity,
  image: Image,
  allowed: Array<Map<bigint, bigint>>,
  onRecoveryPersist?: (files: SimulatedFiles) => void,
): { problem?: string; repaired: boolean } {
  const files = new SimulatedFiles(granularity, image);
  if (onRecoveryPersist) files.onPersist = () => onRecoveryPersist(files);
  let store: PmEHash;
  try {
    store = new PmEHash({ dir, durability: 'sync' }, files);
  } catch (err) {
    return { problem: `open failed: ${String(err)}`, repaired: false };
  } finally {
    files.onPersist = undefined;
  }
  const repaired = store.repairs.length > 0;
  try {
    const problems = store.check();
    if (problems.length > 0) return { problem: `check: ${problems.slice(0, 3).join('; ')}`, repaired };
    const content = new Map(store.entries());
    if (!allowed.some((m) => equalMaps(m, content)))
      return {
        problem: `content: ${content.size} keys, expected ${allowed.map((m) => m.size).join(' or ')}`,
        repaired,
      };
  } finally {
    store.close();
  }
  let again: PmEHash;
  try {
    again = new PmEHash({ dir, durability: 'sync' }, files);
  } catch (err) {
    return { problem: `second open failed: ${String(err)}`, repaired };
  }
  try {
    if (again.repairs.length > 0) return { problem: `second open repaired: ${again.repairs.join('; ')}`, repaired };
    const problems = again.check();
    if (problems.length > 0) return { problem: `second check: ${problems[0]}`, repaired };
    const content = new Map(again.entries());
    if (!allowed.some((m) => equalMaps(m, content))) return { problem: 'second open: content changed', repaired };
  } finally {
    again.close();
  }
  return { repaired };
}

/**
 * Runs sequence `name` on the simulator and verifies every crash image of every persist, and
 * those of every persist of the recoveries that needed repairs.
 */
function simulate(name: SequenceName, granularity: Granularity, seed: number, bucketsPerPage: number): Tally {
  const spec = SEQUENCES[name];
  const ops = sequence(spec);
  const expected = ops.map((_, i) => contentAfter(ops, i));
  expected.push(contentAfter(ops, ops.length));
  const rnd = new Random(seed);
  const runDir = tempDir('power-run');
  const verifyDir = tempDir('power-verify');
  const recoveryDir = tempDir('power-recovery');
  const tally: Tally = { images: 0, recoveryImages: 0, repaired: 0, failures: [] };
  let inFlight = 0; // index of the operation under way (ops.length once all have returned)

  // A recovery that applies a batch again makes a persist or more per operation of it: of each
  // batch or clear in flight, the recoveries of only its first repaired images are cut short at
  // every persist (1, or 10 in the soak: every one would take hours there).
  const recoveriesCut = new Map<number, number>();
  const cutRecovery = (): boolean => {
    const kind = ops[inFlight]?.kind;
    if (kind !== 'batch' && kind !== 'clear') return true;
    const cut = recoveriesCut.get(inFlight) ?? 0;
    recoveriesCut.set(inFlight, cut + 1);
    return cut < (SOAK ? 10 : 1);
  };

  const check = (image: Image, kind: string): void => {
    const allowed = [expected[inFlight], expected[Math.min(inFlight + 1, ops.length)]];
    const label = `${name} ${granularity} persist ${files.persists + 1} (op ${inFlight}) ${kind}`;
    const recoveryImages: Array<[Image, string]> = [];
    let cut: boolean | undefined; // decided at the recovery's first persist, when there is one
    const result = verifyImage(verifyDir, granularity, image, allowed, (during) => {
      cut ??= cutRecovery();
      if (!cut) return;
      recoveryImages.push([during.processDeathImage(), 'recovery killed']);
      for (const img of during.powerLossImages(rnd, BUDGET)) recoveryImages.push([img, 'power lost in recovery']);
    });
    tally.images++;
    if (result.problem) tally.failures.push(`${label}: ${result.problem}`);
    if (!result.repaired) return;
    tally.repaired++;
    for (const [img, how] of recoveryImages) {
      tally.recoveryImages++;
      const r = verifyImage(recoveryDir, granularity, img, allowed);
      if (r.problem) tally.failures.push(`${label}, ${how}: ${r.problem}`);
    }
  };

  const files = new SimulatedFiles(granularity);
  files.onPersist = () => {
    if (tally.failures.length > 20) return; // enough to see what is wrong
    check(files.processDeathImage(), 'process death');
    for (const image of files.powerLossImages(rnd, BUDGET)) check(image, 'power loss');
  };
  const store = new PmEHash({ dir: runDir, durability: 'sync', bucketsPerPage }, files);
  ops.forEach((op, i) => {
    inFlight = i;
    applyToStore(store, op);
  });
  inFlight = ops.length;
  files.onPersist = undefined;
  store.close();
  return tally;
}

// Pages of 2 and 4 buckets make page files often; 32 buckets (8 KiB) give a page file several
// 4096-byte units, so that a power loss can keep part of a page file's writes.
test.each<[SequenceName, Granularity, number, number]>([
  ['SMALL', 'page', 11, SEQUENCES.SMALL.bucketsPerPage],
  ['SMALL', 'line', 12, SEQUENCES.SMALL.bucketsPerPage],
  ['LIFECYCLE', 'page', 13, 32],
  ['LIFECYCLE', 'line', 14, SEQUENCES.LIFECYCLE.bucketsPerPage],
  ['BATCHES', 'page', 16, 32],
  ['BATCHES', 'line', 15, SEQUENCES.BATCHES.bucketsPerPage],
])(
  '%s sequence, power lost at %s granularity at every persist: every image recovers',
  (name, granularity, seed, bucketsPerPage) => {
    const tally = simulate(name, granularity, seed, bucketsPerPage);
    expect(tally.failures).toEqual([]);
    expect(tally.images).toBeGreaterThan(500);
    expect(tally.repaired).toBeGreaterThan(0);
    expect(tally.recoveryImages).toBeGreaterThan(0);
    console.log(
      `${name} ${granularity}: ${tally.images} crash images (${tally.repaired} needed repairs), ${tally.recoveryImages} images of interrupted recoveries`,
    );
  },
  600_000,
);
