import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { ExecutionContext } from '../core/context';
import { FallbackExhaustedError, isFallbackExhaustedError, OptionsValidationError, ResilienceError } from '../core/errors';
import type { ExecutedEvent } from '../core/events';
import { VirtualClock } from '../testing/virtual-clock';
import { FallbackEvents, type FallbackEvent } from './events';
import { fallback, FallbackPolicy } from './fallback';
import { lastKnownGood } from './last-known-good';

class NotFound extends Error {}

describe('fallback options', () => {
  it('reports every bad field at once, unknown keys included', () => {
    let error: OptionsValidationError | undefined;
    try {
      fallback({ tiers: [], handle: 5, handleResult: 'x', name: '', clock: {}, tier: 1 } as never);
    } catch (e) {
      error = e as OptionsValidationError;
    }
    expect(error).toBeInstanceOf(OptionsValidationError);
    expect(error?.issues.map((i) => i.path).sort()).toEqual(['clock', 'handle', 'handleResult', 'name', 'tier', 'tiers']);
  });

  it('requires tiers: an array of at least one', () => {
    expect(() => fallback({} as never)).toThrow(/expected `tiers` to be an array of at least 1/);
    expect(() => fallback({ tiers: 'x' } as never)).toThrow(/`tiers`/);
    expect(() => fallback({ tiers: [] })).toThrow(/`tiers`/);
    expect(() => fallback({ tiers: [undefined] })).not.toThrow();
  });

  it('accepts handle as a predicate, a class or a list of classes', () => {
    expect(() => fallback({ tiers: [1], handle: NotFound })).not.toThrow();
    expect(() => fallback({ tiers: [1], handle: [NotFound, TypeError] })).not.toThrow();
    expect(() => fallback({ tiers: [1], handle: [] as never })).toThrow(/`handle`/);
  });

  it('shorthand: a function, a lastKnownGood, a primitive or an array is one tier; a plain object is options', async () => {
    const fail = (): never => {
      throw new Error('x');
    };
    await expect(fallback('s').execute(fail)).resolves.toBe('s');
    await expect(fallback(null).execute(fail)).resolves.toBe(null);
    await expect(fallback<number[]>([]).execute(fail)).resolves.toEqual([]);
    await expect(fallback(() => 7).execute(fail)).resolves.toBe(7);
    const lkg = lastKnownGood({ maxAge: 1_000 });
    expect(fallback(lkg).tiers).toEqual([lkg]);
    expect(() => fallback({ id: 1 } as never)).toThrow(/unknown option `id`/);
  });

  it('validates lastKnownGood options', () => {
    for (const maxAge of [0, -1, Number.NaN, '5', undefined, null]) {
      expect(() => lastKnownGood({ maxAge } as never)).toThrow(/expected `maxAge` to be a duration in ms > 0 \(or Infinity\)/);
    }
    for (const maxEntries of [0, 1.5, -3, Number.NaN, Number.POSITIVE_INFINITY, '10']) {
      expect(() => lastKnownGood({ maxAge: 1, maxEntries } as never)).toThrow(/expected `maxEntries` to be an integer ≥ 1/);
    }
    expect(() => lastKnownGood({ maxAge: 1, key: 'tenant' } as never)).toThrow(/expected `key` to be a function/);
    expect(() => lastKnownGood({ maxAge: 1, maxage: 2 } as never)).toThrow(/unknown option `maxage`/);
    expect(() => lastKnownGood(undefined as never)).toThrow(/`maxAge`/);
    expect(lastKnownGood({ maxAge: Number.POSITIVE_INFINITY }).maxEntries).toBe(1000);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.double({ min: 1e-6, max: 1e12, noNaN: true }), (n, age) => {
        const l = lastKnownGood({ maxAge: age, maxEntries: n });
        expect([l.maxAge, l.maxEntries]).toEqual([age, n]);
      }),
    );
  });

  it('describes its tiers', () => {
    function secondary(): number {
      return 1;
    }
    const p = fallback({ tiers: [secondary, lastKnownGood({ maxAge: 5 }), 3], name: 'fb' });
    expect(p).toBeInstanceOf(FallbackPolicy);
    expect(p.describe()).toEqual({
      kind: 'fallback',
      name: 'fb',
      options: { tiers: ['function secondary', 'lastKnownGood(maxAge 5)', 'constant'] },
    });
  });
});

type TierKind = 'value' | 'async-value' | 'throw' | 'reject' | 'constant';

describe('fallback tiers', () => {
  it('passes successes through without running a tier', async () => {
    const tier = vi.fn(() => 0);
    const p = fallback({ tiers: [tier] });
    const executed: ExecutedEvent[] = [];
    p.on('executed', (e) => executed.push(e));
    await expect(p.execute(() => 1)).resolves.toBe(1);
    await expect(p.execute(async () => 2)).resolves.toBe(2);
    expect(tier).not.toHaveBeenCalled();
    expect(executed.map((e) => e.fallback)).toEqual([false, false]);
  });

  it('runs tiers in order and stops at the first success; exhausted keeps every failure', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<TierKind>('value', 'async-value', 'throw', 'reject', 'constant'), { minLength: 1, maxLength: 6 }),
        async (kinds) => {
          const ran: number[] = [];
          const failures: unknown[] = [];
          const tiers = kinds.map((kind, i) => {
            if (kind === 'constant') return `c${i}`;
            return (_ctx: ExecutionContext, failure: unknown) => {
              ran.push(i);
              failures.push(failure);
              if (kind === 'value') return `v${i}`;
              if (kind === 'async-value') return Promise.resolve(`a${i}`);
              if (kind === 'throw') throw new Error(`t${i}`);
              return Promise.reject(new Error(`r${i}`));
            };
          });
          const p = fallback<string>({ tiers });
          const events: FallbackEvent[] = [];
          const executed: ExecutedEvent[] = [];
          p.onEvent((e) => {
            if (e.kind === 'fallback') events.push(e as FallbackEvent);
            else executed.push(e as ExecutedEvent);
          });
          const original = new Error('primary down');
          const outcome = await p.execute<string>(() => Promise.reject(original)).then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          );
          const first = kinds.findIndex((k) => k === 'value' || k === 'async-value' || k === 'constant');
          const last = first === -1 ? kinds.length - 1 : first;
          const expectedRan = kinds.map((k, i) => (k !== 'constant' && i <= last ? i : -1)).filter((i) => i >= 0);
          expect(ran).toEqual(expectedRan);
          expect(failures.every((f) => f === original)).toBe(true);
          const tierEvents = events.filter((e) => e.type === 'fallback');
          expect(tierEvents.map((e) => (e.type === 'fallback' ? e.tier : -1))).toEqual(kinds.slice(0, last + 1).map((_, i) => i));
          expect(tierEvents[0]?.type === 'fallback' && tierEvents[0].failure).toBe(original);
          expect(executed[0]?.fallback).toBe(first !== -1);
          if (first === -1) {
            expect(outcome.ok).toBe(false);
            const error = (outcome as { error: unknown }).error;
            expect(isFallbackExhaustedError(error)).toBe(true);
            const messages = (error as FallbackExhaustedError).errors.map((e) => (e as Error).message);
            expect(messages).toEqual(['primary down', ...kinds.map((k, i) => (k === 'throw' ? `t${i}` : `r${i}`))]);
            const exhausted = events.filter((e) => e.type === 'exhausted');
            expect(exhausted).toHaveLength(1);
            expect(exhausted[0]?.type === 'exhausted' && exhausted[0].errors).toEqual((error as FallbackExhaustedError).errors);
            // Each later tier's event names the failure of the tier before it.
            for (let i = 1; i < tierEvents.length; i++) {
              const e = tierEvents[i];
              expect(e?.type === 'fallback' && (e.failure as Error).message).toBe(messages[i]);
            }
          } else {
            const kind = kinds[first];
            const prefix = kind === 'value' ? 'v' : kind === 'async-value' ? 'a' : 'c';
            expect(outcome).toEqual({ ok: true, value: `${prefix}${first}` });
            expect(events.some((e) => e.type === 'exhausted')).toBe(false);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('passes unhandled errors through untouched', async () => {
    const tier = vi.fn(() => 'fb');
    const p = fallback({ tiers: [tier], handle: NotFound });
    const other = new TypeError('bug');
    await expect(p.execute(() => { throw other; })).rejects.toBe(other);
    expect(tier).not.toHaveBeenCalled();
    await expect(p.execute(() => { throw new NotFound(); })).resolves.toBe('fb');
    const throwingFilter = fallback({ tiers: ['fb'], handle: () => { throw new Error('filter bug'); } });
    await expect(throwingFilter.execute(() => { throw other; })).rejects.toBe(other);
  });

  it('handleResult: a flagged result is the failure the tiers see', async () => {
    const seen: unknown[] = [];
    const p = fallback<{ status: number }>({
      tiers: [(_ctx, failure) => { seen.push(failure); return { status: 200 }; }],
      handleResult: (r) => r.status >= 500,
    });
    await expect(p.execute(() => ({ status: 200, body: 'x' }))).resolves.toEqual({ status: 200, body: 'x' });
    await expect(p.execute(() => ({ status: 503 }))).resolves.toEqual({ status: 200 });
    expect(seen).toEqual([{ status: 503 }]);
  });

  it('never falls back on caller cancellation, and stops between tiers when the caller aborts', async () => {
    const tier = vi.fn(() => 'fb');
    const p = fallback({ tiers: [tier] });
    const ac = new AbortController();
    const call = p.execute((ctx) => new Promise<string>((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))), { signal: ac.signal });
    ac.abort(new Error('caller left'));
    await expect(call).rejects.toThrow('aborted');
    expect(tier).not.toHaveBeenCalled();

    const ac1 = new AbortController();
    const flagged = fallback<number>({ tiers: [tier as never], handleResult: (v) => v < 0 });
    await expect(flagged.execute(() => { ac1.abort('gone'); return -1; }, { signal: ac1.signal })).resolves.toBe(-1);
    expect(tier).not.toHaveBeenCalled();

    const ac2 = new AbortController();
    const second = vi.fn(() => 'second');
    const p2 = fallback({ tiers: [() => { ac2.abort('bye'); return Promise.reject(new Error('tier 0')); }, second] });
    await expect(p2.execute(() => { throw new Error('x'); }, { signal: ac2.signal })).rejects.toBe('bye');
    expect(second).not.toHaveBeenCalled();
  });

  it('contains tiers that throw synchronously and thenables whose then throws', async () => {
    const bad = { then: () => { throw new Error('bad then'); } } as unknown as PromiseLike<string>;
    const p = fallback<string>({ tiers: [() => { throw new Error('sync'); }, () => bad, 'ok'] });
    await expect(p.execute(() => Promise.reject(new Error('x')))).resolves.toBe('ok');
    const all = fallback<string>({ tiers: [() => bad] });
    const error = await all.execute(() => Promise.reject(new Error('x'))).catch((e: unknown) => e);
    expect((error as FallbackExhaustedError).errors.map((e) => (e as Error).message)).toEqual(['x', 'bad then']);
    expect((error as FallbackExhaustedError).message).toBe('Fallback "fallback": the call and all 1 tier(s) failed');
  });

  it('ignores a thenable that settles twice', async () => {
    const twice = { then: (res: (v: string) => void, rej: (e: unknown) => void) => { res('first'); rej(new Error('late')); res('second'); } } as PromiseLike<string>;
    const next = vi.fn(() => 'next');
    const p = fallback<string>({ tiers: [() => twice, next] });
    await expect(p.execute(() => Promise.reject(new Error('x')))).resolves.toBe('first');
    expect(next).not.toHaveBeenCalled();
  });
});

describe('lastKnownGood', () => {
  const fail = (): Promise<never> => Promise.reject(new Error('down'));

  it('serves the last good value iff it is younger than maxAge', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 200_000 }), async (maxAge, age) => {
        const clock = new VirtualClock(50);
        const cache = lastKnownGood({ maxAge });
        const p = fallback({ tiers: [cache, 'default'], clock });
        await p.execute(() => 'old');
        await p.execute(() => 'good');
        await clock.advance(age);
        const value = await p.execute(fail);
        expect(value).toBe(age < maxAge ? 'good' : 'default');
      }),
      { numRuns: 100 },
    );
  });

  it('at exactly maxAge the value is no longer served', async () => {
    for (const [age, expected] of [[999, 'good'], [1_000, 'default'], [1_001, 'default']] as const) {
      const clock = new VirtualClock();
      const p = fallback({ tiers: [lastKnownGood({ maxAge: 1_000 }), 'default'], clock });
      await p.execute(() => 'good');
      await clock.advance(age);
      await expect(p.execute(fail)).resolves.toBe(expected);
    }
  });

  it('Infinity serves any stored value; with nothing stored the next tier runs', async () => {
    const clock = new VirtualClock();
    const cache = lastKnownGood({ maxAge: Number.POSITIVE_INFINITY });
    const p = fallback({ tiers: [cache], clock });
    const error = await p.execute(fail).catch((e: unknown) => e);
    expect(isFallbackExhaustedError(error)).toBe(true);
    const miss = (error as FallbackExhaustedError).errors[1];
    expect(miss).toBeInstanceOf(ResilienceError);
    expect((miss as Error).message).toMatch(/no value stored/);
    await p.execute(() => 1);
    await clock.advance(1e12);
    await expect(p.execute(fail)).resolves.toBe(1);
  });

  it('stores per operation and key; a throwing key neither records nor serves', async () => {
    const cache = lastKnownGood({ maxAge: 1_000, key: (ctx) => { if (ctx.labels['player'] === 'bad') throw new Error('no'); return ctx.labels['player'] ?? ''; } });
    const clock = new VirtualClock();
    const p = fallback({ tiers: [cache, 'none'], clock });
    await p.execute(() => 'p1-profile', { operation: 'profile', labels: { player: 'p1' } });
    await p.execute(() => 'p2-profile', { operation: 'profile', labels: { player: 'p2' } });
    await p.execute(() => 'p1-inventory', { operation: 'inventory', labels: { player: 'p1' } });
    await p.execute(() => 'bad-profile', { operation: 'profile', labels: { player: 'bad' } });
    expect(cache.size).toBe(3);
    await expect(p.execute(fail, { operation: 'profile', labels: { player: 'p1' } })).resolves.toBe('p1-profile');
    await expect(p.execute(fail, { operation: 'profile', labels: { player: 'p2' } })).resolves.toBe('p2-profile');
    await expect(p.execute(fail, { operation: 'inventory', labels: { player: 'p1' } })).resolves.toBe('p1-inventory');
    await expect(p.execute(fail, { operation: 'inventory', labels: { player: 'p2' } })).resolves.toBe('none');
    await expect(p.execute(fail, { operation: 'profile', labels: { player: 'bad' } })).resolves.toBe('none');
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('records nothing from fallback results or flagged results', async () => {
    const cache = lastKnownGood({ maxAge: 1_000 });
    const p = fallback<number>({ tiers: [cache, 99], handleResult: (v) => v < 0 });
    await p.execute(fail);
    await p.execute(() => -1);
    expect(cache.size).toBe(0);
    await p.execute(() => 5);
    await expect(p.execute(() => -1)).resolves.toBe(5);
  });

  it('keeps at most maxEntries values, dropping the least recently used (model check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.record({ op: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), ok: fc.boolean() }), { maxLength: 40 }),
        async (maxEntries, steps) => {
          const cache = lastKnownGood({ maxAge: 1_000_000, maxEntries });
          const p = fallback<string>({ tiers: [cache, 'miss'], clock: new VirtualClock() });
          // Model: keys in recency order (least recent first), with their values.
          const model = new Map<string, string>();
          for (const [i, { op, ok }] of steps.entries()) {
            if (ok) {
              const value = `${op}${i}`;
              await p.execute(() => value, { operation: op });
              model.delete(op);
              model.set(op, value);
              if (model.size > maxEntries) model.delete(model.keys().next().value as string);
            } else {
              const got = await p.execute(fail, { operation: op });
              const expected = model.get(op);
              expect(got).toBe(expected ?? 'miss');
              if (expected !== undefined) {
                model.delete(op);
                model.set(op, expected);
              }
            }
            expect(cache.size).toBe(model.size);
            expect(cache.size).toBeLessThanOrEqual(maxEntries);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('one cache shared by two fallbacks, and listed twice in one, records once per success', async () => {
    const cache = lastKnownGood({ maxAge: 1_000, maxEntries: 1 });
    const a = fallback({ tiers: [cache, cache, 'x'], name: 'a' });
    const b = fallback({ tiers: [cache], name: 'b' });
    await a.execute(() => 'from-a', { operation: 'op' });
    await expect(b.execute(fail, { operation: 'op' })).resolves.toBe('from-a');
    expect(cache.size).toBe(1);
  });

  it('emits fallback and exhausted events with the tier index and failures', async () => {
    const clock = new VirtualClock(10);
    const p = fallback({ tiers: [lastKnownGood({ maxAge: 1 }), () => { throw new Error('t1'); }], name: 'fb', clock });
    const events: FallbackEvent[] = [];
    p.on(FallbackEvents.fallback, (e) => events.push(e));
    p.on(FallbackEvents.exhausted, (e) => events.push(e));
    const down = new Error('down');
    await p.execute(() => Promise.reject(down), { operation: 'op' }).catch(() => undefined);
    expect(events.map((e) => [e.type, e.kind, e.policy, e.operation, e.time])).toEqual([
      ['fallback', 'fallback', 'fb', 'op', 10],
      ['fallback', 'fallback', 'fb', 'op', 10],
      ['exhausted', 'fallback', 'fb', 'op', 10],
    ]);
    const [first, second, exhausted] = events;
    expect(first?.type === 'fallback' && [first.tier, first.failure]).toEqual([0, down]);
    expect(second?.type === 'fallback' && second.tier).toBe(1);
    expect(second?.type === 'fallback' && second.failure).toBeInstanceOf(ResilienceError);
    expect(exhausted?.type === 'exhausted' && exhausted.errors.length).toBe(3);
  });
});
