/**
 * Model-based property tests of both bulkheads on the virtual clock: random arrivals,
 * durations (some synchronous), caller aborts or enclosing-scope aborts, queue timeouts and
 * occupied slots. A model predicts, at every arrival, whether the call starts, queues or is
 * rejected, and the test checks the bulkhead against it at every timer boundary.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CancellationScope } from '../core/cancellation-scope';
import type { ExecutionContext } from '../core/context';
import { BulkheadRejectedError } from '../core/errors';
import { pipeline } from '../core/policy';
import { timerServiceFor } from '../core/timer-service';
import { flushMicrotasks, VirtualClock } from '../testing/virtual-clock';
import { bulkhead, type BulkheadStats } from './bulkhead';
import { ScopePolicy, SettleProbe } from '../../test/support/test-strategies';

interface CallSpec {
  readonly at: number;
  readonly key: number;
  /** 0 = a synchronous function. */
  readonly duration: number;
  /** Signal mode: absolute abort time; scope mode: delay after arrival. */
  readonly abortAt: number | null;
}
interface HoldSpec {
  readonly at: number;
  readonly key: number;
  readonly permits: number;
  readonly holdFor: number;
}
interface Scenario {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  readonly queueTimeout: number | undefined;
  readonly mode: 'signal' | 'scope';
  readonly calls: readonly CallSpec[];
  readonly holds: readonly HoldSpec[];
}

type Fate = 'started' | 'full' | 'queue-timeout' | 'aborted' | 'pre-aborted';

const scenario = (keys: number): fc.Arbitrary<Scenario> =>
  fc.record({
    maxConcurrent: fc.integer({ min: 1, max: 3 }),
    maxQueue: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(Number.POSITIVE_INFINITY)),
    queueTimeout: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
    mode: fc.constantFrom('signal' as const, 'scope' as const),
    calls: fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: 60 }),
        key: fc.integer({ min: 0, max: keys - 1 }),
        duration: fc.integer({ min: 0, max: 40 }),
        abortAt: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
      }),
      { maxLength: 25 },
    ),
    holds: fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: 60 }),
        key: fc.integer({ min: 0, max: keys - 1 }),
        permits: fc.integer({ min: 0, max: 3 }),
        holdFor: fc.integer({ min: 0, max: 50 }),
      }),
      { maxLength: 4 },
    ),
  });

async function simulate(s: Scenario, partitioned: boolean): Promise<void> {
  const clock = new VirtualClock();
  const base = {
    maxConcurrent: s.maxConcurrent,
    maxQueue: s.maxQueue,
    clock,
    ...(s.queueTimeout !== undefined ? { queueTimeout: s.queueTimeout } : {}),
  };
  const keyOf = (k: number): string => (partitioned ? `k${k}` : 'all');
  const part = partitioned ? bulkhead.partitioned({ ...base, key: (ctx) => ctx.labels['k'] ?? 'none' }) : undefined;
  const plain = partitioned ? undefined : bulkhead(base);
  const policy = part ?? plain!;
  const statsOf = (key: string): BulkheadStats => (part !== undefined ? part.statsOf(key) : plain!.stats);
  const probe = new SettleProbe(clock);
  const scopes = new ScopePolicy(clock);
  const p = s.mode === 'scope' ? pipeline(probe, scopes, policy) : pipeline(probe, policy);

  const keys = [...new Set(s.calls.map((c) => keyOf(c.key)).concat(s.holds.map((h) => keyOf(h.key))))];
  const running = new Map<string, number>(keys.map((k) => [k, 0]));
  const held = new Map<string, number>(keys.map((k) => [k, 0]));
  const queue = new Map<string, string[]>(keys.map((k) => [k, []]));
  const enqueuedAt = new Map<string, number>();
  const fate = new Map<string, Fate>();
  const arrived = new Set<string>();
  const reasons = new Map<string, Error>();
  const results = new Map<string, { ok: boolean; value?: unknown; error?: unknown }>();
  const callKey = new Map<string, string>();
  let entering: string | undefined;
  const max = s.maxConcurrent;

  const setFate = (id: string, f: Fate): void => {
    expect(fate.get(id), `fate of ${id}`).toBeUndefined();
    fate.set(id, f);
  };
  const q = (k: string): string[] => queue.get(k) as string[];

  // Checked at every timer boundary (all promise continuations have run).
  const boundary = (): void => {
    let live = 0;
    for (const k of keys) {
      const st = statsOf(k);
      const active = (running.get(k) as number) + (held.get(k) as number);
      expect(st.active).toBe(active);
      expect(st.queued).toBe(q(k).length);
      expect(st.active).toBeLessThanOrEqual(max);
      expect(st.queued).toBeLessThanOrEqual(s.maxQueue);
      if (st.queued > 0) expect(st.active).toBe(max); // no idle slot while a call waits
      if (active > 0 || st.queued > 0) live++;
    }
    if (part !== undefined) expect(part.partitions).toBe(live); // idle partitions dropped at once
  };

  policy.onEvent((e) => {
    if (e.kind !== 'bulkhead') return;
    const id = e.labels['id'] as string;
    const k = callKey.get(id) as string;
    expect(e.partition).toBe(partitioned ? k : undefined);
    if (e.type === 'queued') {
      q(k).push(id);
      enqueuedAt.set(id, clock.now());
      expect(e.queued).toBe(q(k).length);
      expect(e.queued).toBeLessThanOrEqual(s.maxQueue);
    } else if (e.reason === 'full') {
      setFate(id, 'full');
      expect(q(k)).not.toContain(id);
      expect(e.queued).toBe(s.maxQueue);
      expect(e.active).toBe((running.get(k) as number) + (held.get(k) as number));
    } else {
      const i = q(k).indexOf(id);
      expect(i).toBeGreaterThanOrEqual(0);
      q(k).splice(i, 1);
      setFate(id, 'queue-timeout');
      expect(clock.now() - (enqueuedAt.get(id) as number)).toBe(s.queueTimeout);
      expect(e.queued).toBe(q(k).length);
    }
  });

  const fn = (ctx: ExecutionContext): unknown => {
    const id = ctx.labels['id'] as string;
    const k = callKey.get(id) as string;
    const st = statsOf(k);
    expect(st.active).toBeLessThanOrEqual(max);
    expect(st.queued).toBeLessThanOrEqual(s.maxQueue);
    if (entering === id) {
      expect(q(k)).toEqual([]); // admitted directly: nobody was waiting
    } else {
      expect(q(k)[0]).toBe(id); // admitted from the queue: FIFO
      q(k).shift();
    }
    setFate(id, 'started');
    running.set(k, (running.get(k) as number) + 1);
    const d = s.calls[Number(id)]?.duration ?? 0;
    if (d === 0) return id;
    return new Promise((resolve) =>
      clock.setTimeout(() => {
        boundary();
        resolve(id);
      }, d),
    );
  };
  const onSettled = (id: string): void => {
    if (fate.get(id) === 'started') {
      const k = callKey.get(id) as string;
      running.set(k, (running.get(k) as number) - 1);
    }
  };
  s.calls.forEach((c, index) => {
    const id = String(index);
    const k = keyOf(c.key);
    callKey.set(id, k);
    const reason = new Error(`abort ${id}`);
    reasons.set(id, reason);
    const ac = new AbortController();
    const abortNow = (scope: CancellationScope | undefined): void => {
      boundary();
      const wasQueued = q(k).includes(id);
      const before = statsOf(k).queued;
      if (scope !== undefined) scope.abort(reason);
      else ac.abort(reason);
      if (wasQueued) {
        expect(statsOf(k).queued).toBe(before - 1); // left the queue at once
        q(k).splice(q(k).indexOf(id), 1);
        setFate(id, 'aborted');
      } else if (!arrived.has(id)) {
        setFate(id, 'pre-aborted');
      }
    };
    clock.setTimeout(() => {
      boundary();
      arrived.add(id);
      const active = (running.get(k) as number) + (held.get(k) as number);
      const predicted: Fate | 'queued' | 'pre-aborted' =
        fate.get(id) === 'pre-aborted'
          ? 'pre-aborted'
          : active < max && q(k).length === 0
            ? 'started'
            : q(k).length < s.maxQueue
              ? 'queued'
              : 'full';
      const scopeIndex = scopes.scopes.length;
      entering = id;
      const promise = p.execute(fn, { labels: { id, k }, signal: s.mode === 'signal' && c.abortAt !== null ? ac.signal : undefined });
      entering = undefined;
      if (predicted === 'queued') expect(q(k)).toContain(id);
      else if (predicted !== 'pre-aborted') expect(fate.get(id)).toBe(predicted);
      promise.then(
        (value) => results.set(id, { ok: true, value }),
        (error: unknown) => results.set(id, { ok: false, error }),
      );
      promise.then(
        () => onSettled(id),
        () => onSettled(id),
      );
      if (s.mode === 'scope' && c.abortAt !== null) {
        const scope = scopes.scopes[scopeIndex];
        clock.setTimeout(() => abortNow(scope), c.abortAt);
      }
    }, c.at);
    if (s.mode === 'signal' && c.abortAt !== null) clock.setTimeout(() => abortNow(undefined), c.abortAt);
  });

  for (const h of s.holds) {
    const k = keyOf(h.key);
    clock.setTimeout(() => {
      boundary();
      const free = max - (running.get(k) as number) - (held.get(k) as number);
      const handle = policy.occupy(h.permits, partitioned ? k : undefined);
      expect(handle.held).toBe(Math.min(h.permits, free));
      const n = handle.held;
      held.set(k, (held.get(k) as number) + n);
      boundary();
      clock.setTimeout(() => {
        boundary();
        held.set(k, (held.get(k) as number) - n);
        handle.release();
        handle.release(); // idempotent
      }, h.holdFor);
    }, h.at);
  }

  await clock.runAll();
  await flushMicrotasks();
  boundary();

  s.calls.forEach((_, index) => {
    const id = String(index);
    const f = fate.get(id);
    const r = results.get(id);
    expect(r, `call ${id} settled`).toBeDefined();
    const outcomes = probe.settled.get(id) ?? [];
    expect(outcomes.length).toBe(f === 'pre-aborted' ? 0 : 1); // the chain settled it exactly once
    switch (f) {
      case 'started':
        expect(r).toEqual({ ok: true, value: id });
        break;
      case 'full':
      case 'queue-timeout':
        expect(r?.error).toBeInstanceOf(BulkheadRejectedError);
        expect((r?.error as BulkheadRejectedError).reason).toBe(f);
        expect((r?.error as BulkheadRejectedError).partition).toBe(partitioned ? callKey.get(id) : undefined);
        break;
      case 'aborted':
      case 'pre-aborted':
        expect(r).toEqual({ ok: false, error: reasons.get(id) });
        break;
      default:
        throw new Error(`call ${id} has no fate`);
    }
  });
  for (const k of keys) expect(statsOf(k)).toMatchObject({ active: 0, queued: 0 });
  expect(policy.stats).toMatchObject({ active: 0, queued: 0 });
  if (part !== undefined) expect(part.partitions).toBe(0);
  expect(timerServiceFor(clock).pending).toBe(0);
  expect(clock.pending).toBe(0);
}

describe('bulkhead properties (virtual clock)', () => {
  it('never over maxConcurrent or maxQueue, FIFO admission, aborts and queue timeouts leave at once, every call settles once, stats return to 0', async () => {
    await fc.assert(
      fc.asyncProperty(scenario(1), (s) => simulate(s, false)),
      { numRuns: 150 },
    );
  });

  it('partitioned: the same per key; keys are isolated (a saturated key never blocks another) and idle partitions are dropped at once', async () => {
    await fc.assert(
      fc.asyncProperty(scenario(3), (s) => simulate(s, true)),
      { numRuns: 150 },
    );
  });
});
