/**
 * Counting distinct keys (players, tenants) with fixed memory: exact up to a cap, then a
 * HyperLogLog estimate. The blast radius of an experiment counts its affected users with
 * it.
 *
 * Keys are never kept: each is hashed to 53 bits (two independent 32-bit lanes). Up to
 * `exactUpTo` distinct hashes are kept in a set, so the count is exact unless two keys
 * share a 53-bit hash (for 10 000 keys, a chance of about 5 · 10⁻⁹). Past the cap the set
 * is folded into 2¹⁴ one-byte registers (16 KiB) and dropped: from then on the count is a
 * HyperLogLog estimate (Ertl's corrected estimator, nearly unbiased at every size, so no
 * switch to linear counting is needed). Its relative standard error is 1.04 / √2¹⁴ ≈
 * 0.81 %: within ±1.6 % in 95 % of runs and ±2.4 % in 99.7 %
 * (`distinct-count.property.test.ts` checks ±4 % on every run; measured here: 0.6–0.8 %
 * root-mean-square from 100 to 200 000 keys).
 *
 * @packageDocumentation
 */

/** log₂ of the number of HyperLogLog registers. */
const P = 14;
/** Number of registers (16 384). */
const M = 1 << P;
/** Bits of the second hash lane kept in the 53-bit key (53 − 32). */
const LOW_BITS = 21;
/** The largest register value: the rank of an all-zero 21-bit lane. */
const MAX_RANK = LOW_BITS + 1;

/** The relative standard error of the estimate once a count is past its exact cap. */
export const DISTINCT_RELATIVE_ERROR = 1.04 / Math.sqrt(M);

/** Default cap of the exact count. */
export const DEFAULT_EXACT_UP_TO = 10_000;

/** The 32-bit finaliser of MurmurHash3: spreads every input bit over the output. */
function mix32(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** σ(x) = x + Σₖ x^(2^k) · 2^(k−1), k ≥ 1 (Ertl 2017), for the empty registers; ∞ when all are empty. */
function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  let prev: number;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (z !== prev);
  return z;
}

/** τ(x) = (1 − x − Σₖ (1 − x^(2^−k))² · 2^−k) / 3, k ≥ 1 (Ertl 2017), for the saturated registers. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let prev: number;
  do {
    x = Math.sqrt(x);
    prev = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
  } while (z !== prev);
  return z / 3;
}

/**
 * @internal A 53-bit hash of `key` (an exact integer): the first lane (FNV-1a) in the high
 * 32 bits, the top 21 bits of the second lane (a multiply–xorshift) below.
 */
export function hash53(key: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  const hi = mix32(a);
  const lo = mix32(b ^ 0x27d4eb2f) >>> (32 - LOW_BITS);
  return hi * 2 ** LOW_BITS + lo;
}

/**
 * A count of distinct string keys in fixed memory: exact (a set of 53-bit hashes) up to
 * `exactUpTo` keys, then a HyperLogLog estimate (16 KiB, relative standard error 0.81 %).
 * Adding a key twice never changes the count.
 *
 * @example
 * ```ts
 * const players = new DistinctCounter();
 * players.add('player-1');
 * players.add('player-1');
 * players.count(); // 1
 * ```
 */
export class DistinctCounter {
  private exact: Set<number> | undefined = new Set();
  private registers: Uint8Array | undefined;

  /** @param exactUpTo - distinct keys counted exactly before switching to the estimate. @defaultValue 10 000 */
  constructor(private readonly exactUpTo = DEFAULT_EXACT_UP_TO) {
    if (exactUpTo === 0) this.fold();
  }

  /** Counts `key`. */
  add(key: string): void {
    const h = hash53(key);
    if (this.exact !== undefined) {
      this.exact.add(h);
      if (this.exact.size > this.exactUpTo) this.fold();
    } else this.addHash(h);
  }

  /** Whether the count is an estimate (more than `exactUpTo` distinct keys were seen). */
  get estimated(): boolean {
    return this.exact === undefined;
  }

  /** The number of distinct keys: exact, or the estimate rounded to an integer. */
  count(): number {
    if (this.exact !== undefined) return this.exact.size;
    // Ertl's corrected estimator over the histogram of register values: nearly unbiased
    // from a handful of keys to billions, with no switch between two estimators.
    const hist = new Array<number>(MAX_RANK + 1).fill(0);
    for (const v of this.registers as Uint8Array) hist[v] = (hist[v] as number) + 1;
    let z = M * tau(1 - (hist[MAX_RANK] as number) / M);
    for (let k = MAX_RANK - 1; k >= 1; k--) z = 0.5 * (z + (hist[k] as number));
    z += M * sigma((hist[0] as number) / M);
    return Math.round((M * M) / (2 * Math.LN2 * z));
  }

  /** Switches to the estimate: every exact hash goes into the registers, the set goes. */
  private fold(): void {
    this.registers = new Uint8Array(M);
    const kept = this.exact;
    this.exact = undefined;
    if (kept !== undefined) for (const h of kept) this.addHash(h);
  }

  private addHash(h: number): void {
    const hi = Math.floor(h / 2 ** LOW_BITS);
    const lo = h - hi * 2 ** LOW_BITS;
    const index = hi >>> (32 - P);
    // Rank: position of the first 1 bit of the 21 low bits (22 when they are all 0).
    const rank = lo === 0 ? LOW_BITS + 1 : Math.clz32(lo << (32 - LOW_BITS)) + 1;
    const r = this.registers as Uint8Array;
    if (rank > (r[index] as number)) r[index] = rank;
  }
}
