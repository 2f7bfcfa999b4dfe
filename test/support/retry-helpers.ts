/**
 * @internal Test helpers of the retry policy (fast-check arbitraries and a reference model
 * of the retry budget), used by the tests in `src/retry/`. Not part of the package.
 */
import fc from 'fast-check';
import type { BackoffKind, BackoffOptions, JitterKind } from '../../src/retry/backoff';
import { BUDGET_BUCKETS } from '../../src/retry/budget';
import type { RetryEvent } from '../../src/retry/events';
import type { RetryPolicy } from '../../src/retry/retry';

/** Collects every retry event of `p` (a listener also sends its calls through the chain). */
export function recordRetryEvents(p: RetryPolicy): RetryEvent[] {
  const events: RetryEvent[] = [];
  p.onEvent((e) => {
    if (e.kind === 'retry') events.push(e as RetryEvent);
  });
  return events;
}

/** Arbitrary valid backoff configurations (kind + options). */
export const backoffConfig = fc
  .record({
    kind: fc.constantFrom<BackoffKind>('exponential', 'linear', 'constant'),
    delay: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 5_000, noNaN: true }), fc.integer({ min: 1, max: 2_000 })),
    factor: fc.double({ min: 1, max: 10, noNaN: true }),
    extra: fc.double({ min: 0, max: 60_000, noNaN: true }),
    jitter: fc.constantFrom<JitterKind>('none', 'full', 'equal', 'decorrelated'),
  })
  .map(({ kind, delay, factor, extra, jitter }) => {
    const j: JitterKind = kind !== 'exponential' && jitter === 'decorrelated' ? 'full' : jitter;
    const options: BackoffOptions = {
      delay,
      maxDelay: delay + extra,
      jitter: j,
      ...(kind === 'exponential' && j !== 'decorrelated' ? { factor } : {}),
    };
    return { kind, options };
  });

/**
 * Brute-force reference: every call and granted retry with its time; the window at time t
 * is the BUDGET_BUCKETS buckets ending with t's bucket.
 */
export class BudgetModel {
  private readonly log: { t: number; retry: boolean }[] = [];
  constructor(
    readonly ratio: number,
    readonly minPerSecond: number,
    readonly window: number,
  ) {}
  counts(t: number): { calls: number; retries: number } {
    // Compare bucket indices, as the budget does: with a fractional bucket width,
    // `floor(t / width) * width` and `t` can round to different sides of a bucket edge.
    const width = this.window / BUDGET_BUCKETS;
    const first = Math.floor(t / width) - (BUDGET_BUCKETS - 1);
    let calls = 0;
    let retries = 0;
    for (const e of this.log) {
      if (Math.floor(e.t / width) < first) continue;
      if (e.retry) retries++;
      else calls++;
    }
    return { calls, retries };
  }
  limit(t: number): number {
    return this.ratio * this.counts(t).calls + (this.minPerSecond * this.window) / 1000;
  }
  call(t: number): void {
    this.log.push({ t, retry: false });
  }
  retry(t: number): boolean {
    if (this.counts(t).retries + 1 > this.limit(t) + 1e-9) return false;
    this.log.push({ t, retry: true });
    return true;
  }
}

