// YCSB's ScrambledZipfianGenerator: a zipfian draw (theta 0.99) over a huge fixed item space,
// hashed with fnv64 and folded onto [0, itemCount), so popular keys are spread over the range.

import { fnv64BigInt } from './fnv64';
import type { SeededRandom } from './random';

const THETA = 0.99;
const ITEM_SPACE = 10_000_000_000 + 1; // YCSB's ITEM_COUNT (10^10), inclusive bounds
const ZETAN = 26.46902820178302; // zeta(ITEM_SPACE, THETA), YCSB's precomputed constant
const ZETA2 = 1 + Math.pow(0.5, THETA);
const ALPHA = 1 / (1 - THETA);
const ETA = (1 - Math.pow(2 / ITEM_SPACE, 1 - THETA)) / (1 - ZETA2 / ZETAN);

export class ScrambledZipfian {
  private readonly itemCount: bigint;

  constructor(
    itemCount: number,
    private readonly random: SeededRandom,
  ) {
    this.itemCount = BigInt(itemCount);
  }

  private zipfian(): number {
    const u = this.random.nextDouble();
    const uz = u * ZETAN;
    if (uz < 1) return 0;
    if (uz < 1 + Math.pow(0.5, THETA)) return 1;
    return Math.floor(ITEM_SPACE * Math.pow(ETA * u - ETA + 1, ALPHA));
  }

  /** The next item in [0, itemCount). */
  next(): number {
    return Number(fnv64BigInt(this.zipfian()) % this.itemCount);
  }
}
