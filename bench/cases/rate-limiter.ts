/**
 * Rate limiter cases (issue 16): an admitted call through the policy (against a bulkhead
 * call), the rejection path (against an open-circuit rejection), the decision API
 * `tryAcquire` per decision (batches of 1 000 synchronous decisions per timed op, so the
 * harness's `await` is amortized), the same keyed decisions through rate-limiter-flexible's
 * in-memory limiter in the same run, and the heap left by 1 000 000 one-off keys once they
 * have refilled with no further calls.
 *
 * @packageDocumentation
 */
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { rateLimiter, type MemoryRateLimitStore } from '../../src/rate-limiter/index';
import { heapAfterGc, type CallCase, type MemoryCase } from '../harness';
import { immediate, type Workload } from '../fns';
import { perCallText, type Results, type Target } from '../targets';

/** Decisions per timed op of the decision cases. */
export const BATCH = 1_000;
/** Distinct keys the keyed decision cases cycle through. */
const KEYS = Array.from({ length: 1_000 }, (_, i) => `player-${i}`);
/** rate-limiter-flexible's points: never spent within a run. */
const HUGE = 1e12;
/** Admitted-path limiters: a key never refills during a run (so keyed cases find live keys) and never runs out. */
const LIVE = { rate: 1, per: 3_600_000, burst: 1e9 } as const;
/** What the synchronous batches return (the harness awaits each op). */
const DONE = Promise.resolve();

/** An admitted call through the policy, for one function variant. */
export function rlCallCases(w: Workload): CallCase[] {
  const fn = w.fn;
  const limiter = rateLimiter(LIVE);
  return [{ id: `bw.rateLimiter@${w.id}`, group: 'breakwater', label: 'breakwater rateLimiter (GCRA, admitted)', op: () => limiter.execute(fn) }];
}

/** The rejection path: a limiter whose one unit per hour is spent. */
export function rlRejectionCases(): CallCase[] {
  const fn = immediate.fn;
  const spent = rateLimiter({ rate: 1, per: 3_600_000 });
  spent.tryAcquire();
  return [{ id: 'bw.rateLimited', group: 'breakwater', label: 'breakwater rateLimiter, limit spent (RateLimitedError)', op: () => spent.execute(fn), rejects: true }];
}

/** Decisions without a call: breakwater `tryAcquire` / `acquire` and rate-limiter-flexible `consume`. */
export function rlDecisionCases(): CallCase[] {
  const plain = rateLimiter(LIVE);
  const keyed = rateLimiter.partitioned({ key: () => '', ...LIVE });
  const rlf = new RateLimiterMemory({ points: HUGE, duration: 1 });
  let i = 0;
  const g = 'rate limiter decisions';
  return [
    {
      id: 'bw.tryAcquire.x1000',
      group: g,
      label: 'breakwater `tryAcquire()` (one bucket)',
      op: () => {
        for (let n = 0; n < BATCH; n++) plain.tryAcquire();
        return DONE;
      },
    },
    {
      id: 'bw.tryAcquireKeyed.x1000',
      group: g,
      label: 'breakwater `tryAcquire(key)` (partitioned, 1 000 keys)',
      op: () => {
        for (let n = 0; n < BATCH; n++) keyed.tryAcquire(KEYS[(i = (i + 1) % 1_000)] as string);
        return DONE;
      },
    },
    {
      id: 'bw.acquireKeyed.x1000',
      group: g,
      label: 'breakwater `await acquire(key)` (partitioned, 1 000 keys)',
      op: async () => {
        for (let n = 0; n < BATCH; n++) await keyed.acquire(KEYS[(i = (i + 1) % 1_000)] as string);
      },
    },
    {
      id: 'rlf.consumeKeyed.x1000',
      group: g,
      label: 'rate-limiter-flexible 11.4.0 `await RateLimiterMemory.consume(key)` (1 000 keys)',
      op: async () => {
        for (let n = 0; n < BATCH; n++) await rlf.consume(KEYS[(i = (i + 1) % 1_000)] as string);
      },
    },
  ];
}

/** Heap left by `count` one-off keys after one refill with no calls (the background sweep's work). */
export function rlMemoryCases(count: number): MemoryCase[] {
  return [
    {
      id: 'bw.rateLimiterKeys',
      label: `breakwater rateLimiter.partitioned: ${count.toLocaleString('en')} one-off keys, then idle past one refill`,
      items: count,
      measure: async () => {
        // 10 per 100 ms, burst 10: a key that spent one unit is full again 10 ms later.
        const limiter = rateLimiter.partitioned({ key: () => '', rate: 10, per: 100 });
        const store = limiter.store as MemoryRateLimitStore;
        const before = heapAfterGc();
        for (let n = 0; n < count; n++) limiter.tryAcquire(`one-off-${n}`);
        const deadline = Date.now() + 10_000;
        await new Promise((resolve) => setTimeout(resolve, 20));
        while (store.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
        const after = heapAfterGc();
        if (store.size > 0) process.stderr.write(`rateLimiterKeys: ${store.size} keys still held after 10 s\n`);
        limiter.tryAcquire('keep-alive'); // the limiter is still referenced when the heap is read
        return after - before;
      },
    },
  ];
}

/** The per-decision table. */
export function rlDecisionTable(cases: readonly CallCase[], r: Results): string {
  const rows = cases.map((c) => {
    const v = r.calls.get(c.id)?.nsPerOp;
    return `| ${c.label} | ${v === undefined ? '–' : `${(v / BATCH).toFixed(1)} ns`} |`;
  });
  return ['| decision | ns per decision |', '| --- | --: |', ...rows].join('\n');
}

const per = (r: Results, id: string): number | undefined => {
  const v = r.calls.get(id)?.nsPerOp;
  return v === undefined ? undefined : v / BATCH;
};
const ns = (r: Results, id: string): number | undefined => r.calls.get(id)?.nsPerOp;
const q = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : a / b);
const nsText = perCallText;
const times = (v: number): string => `${v.toFixed(2)}×`;

/** The issue's rate limiter targets. */
export function rlTargets(keys: number): Target[] {
  return [
    {
      label: 'breakwater rateLimiter (admitted) ÷ breakwater bulkhead',
      goal: '≤ 1.1×',
      value: (r) => q(ns(r, 'bw.rateLimiter@immediate'), ns(r, 'bw.bulkhead@immediate')),
      operands: (r) => `${nsText(ns(r, 'bw.rateLimiter@immediate'))} ÷ ${nsText(ns(r, 'bw.bulkhead@immediate'))}`,
      format: times,
      pass: (v) => v <= 1.1,
    },
    {
      label: 'breakwater `tryAcquire()` per decision',
      goal: '≤ 60 ns',
      value: (r) => per(r, 'bw.tryAcquire.x1000'),
      format: (v) => `${v.toFixed(1)} ns`,
      pass: (v) => v <= 60,
    },
    {
      label: 'breakwater rate-limited rejection ÷ open-circuit rejection',
      goal: '≤ 1.0×',
      value: (r) => q(ns(r, 'bw.rateLimited'), ns(r, 'bw.open')),
      operands: (r) => `${nsText(ns(r, 'bw.rateLimited'))} ÷ ${nsText(ns(r, 'bw.open'))}`,
      format: times,
      pass: (v) => v <= 1,
    },
    {
      label: `heap left by ${keys.toLocaleString('en')} one-off keys, idle past one refill`,
      goal: '< 20 MB',
      value: (r) => r.memory.get('bw.rateLimiterKeys')?.bytes,
      format: (v) => `${(v / 1024 / 1024).toFixed(2)} MB`,
      pass: (v) => v < 20 * 1024 * 1024,
    },
    {
      label: 'rate-limiter-flexible `consume(key)` ÷ breakwater `tryAcquire(key)`, per decision',
      goal: '> 1×',
      value: (r) => q(per(r, 'rlf.consumeKeyed.x1000'), per(r, 'bw.tryAcquireKeyed.x1000')),
      operands: (r) => `${nsText(per(r, 'rlf.consumeKeyed.x1000'))} ÷ ${nsText(per(r, 'bw.tryAcquireKeyed.x1000'))}`,
      format: times,
      pass: (v) => v > 1,
    },
    {
      label: 'rate-limiter-flexible `consume(key)` ÷ breakwater `await acquire(key)` (both async), per decision',
      goal: '> 1×',
      value: (r) => q(per(r, 'rlf.consumeKeyed.x1000'), per(r, 'bw.acquireKeyed.x1000')),
      operands: (r) => `${nsText(per(r, 'rlf.consumeKeyed.x1000'))} ÷ ${nsText(per(r, 'bw.acquireKeyed.x1000'))}`,
      format: times,
      pass: (v) => v > 1,
    },
  ];
}
