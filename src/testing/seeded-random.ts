/**
 * Deterministic randomness for tests and replayable chaos.
 *
 * @packageDocumentation
 */
import type { Random } from '../core/random';

/** A seeded {@link Random}: the same seed gives the same sequence, on every platform. */
export interface SeededRandom extends Random {
  /** The seed it was made with. */
  readonly seed: number;
}

/**
 * Returns a seeded random number generator (sfc32, seeded by splitmix32): fast,
 * well distributed, and identical across runs and platforms for the same seed.
 *
 * @param seed - any number; its 32-bit integer part is used.
 * @example
 * ```ts
 * const random = seededRandom(42);
 * random(); // always the same first value for seed 42
 * ```
 */
export function seededRandom(seed: number): SeededRandom {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new TypeError(`seededRandom() expects a finite number seed, got ${String(seed)}`);
  }
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return Object.assign(next, { seed });
}
