import { afterEach, describe, expect, it } from 'vitest';
import { isOptionsValidationError, type OptionsValidationError } from '../core/errors';
import { VirtualClock } from '../testing/virtual-clock';
import { faultInjection, hang } from './call-faults';
import { ChaosArmingError, chaos, isChaosArmingError, createChaosController, parseChaosRules, validateChaosRules } from './guards';

const ON = { BREAKWATER_CHAOS: '1' };

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(isOptionsValidationError(e)).toBe(true);
    return (e as OptionsValidationError).issues.map((i) => `${i.path}: ${i.expected}`);
  }
  throw new Error('expected a validation error');
}

describe('arm()', () => {
  it('arms with code and the environment switch', () => {
    const clock = new VirtualClock(100);
    const c = createChaosController({ env: ON, clock });
    expect(c.isArmed()).toBe(false);
    expect(c.status().reason).toMatch(/never called/);
    const s = c.arm({ environment: 'staging' });
    expect(s).toMatchObject({ armed: true, active: true, environment: 'staging', armedAt: 100, expiresAt: Number.POSITIVE_INFINITY, reason: undefined });
    expect(c.isArmed()).toBe(true);
  });

  it('accepts BREAKWATER_CHAOS=true, refuses other values with a reason', () => {
    expect(createChaosController({ env: { BREAKWATER_CHAOS: 'true' } }).arm({ environment: 'x' }).armed).toBe(true);
    const s = createChaosController({ env: { BREAKWATER_CHAOS: '0' } }).arm({ environment: 'x' });
    expect(s.armed).toBe(false);
    expect(s.reason).toBe('not armed: the environment switch BREAKWATER_CHAOS is "0" (set it to 1 to allow chaos in this process)');
  });

  it('an environment that cannot be read (Deno without --allow-env) means not armed, never a throw', () => {
    const env = new Proxy({} as Record<string, string | undefined>, {
      get() {
        throw new Error('NotCapable: requires env access');
      },
    });
    const s = createChaosController({ env }).arm({ environment: 'x' });
    expect(s.armed).toBe(false);
    expect(s.reason).toMatch(/could not be read .*NotCapable/);
  });

  it('refuses a production environment without allowProduction, with a clear error', () => {
    const c = createChaosController({ env: ON });
    for (const environment of ['production', 'prod']) {
      expect(() => c.arm({ environment })).toThrow(ChaosArmingError);
      let thrown: unknown;
      try {
        c.arm({ environment });
      } catch (e) {
        thrown = e;
      }
      expect(isChaosArmingError(thrown)).toBe(true);
      expect(isChaosArmingError(new Error('x'))).toBe(false);
      expect(() => c.arm({ environment })).toThrow(`"${environment}" is a production environment; pass allowProduction: true`);
    }
    expect(c.isArmed()).toBe(false);
    expect(() => c.arm({ environment: 'live', productionEnvironments: ['live'] })).toThrow(/production/);
    expect(c.arm({ environment: 'production', allowProduction: true }).armed).toBe(true);
  });

  it('refuses production even when the environment switch is off (a misconfiguration fails loudly)', () => {
    expect(() => createChaosController({ env: {} }).arm({ environment: 'production' })).toThrow(ChaosArmingError);
  });

  it('validates its options', () => {
    const c = createChaosController({ env: ON });
    expect(issues(() => c.arm({} as never))).toEqual(['environment: a non-empty string']);
    expect(issues(() => c.arm({ environment: 'x', maxDuration: -5, extra: 1 } as never)).map((i) => i.split(':')[0])).toEqual(['extra', 'maxDuration']);
  });

  it('the global controller reads BREAKWATER_CHAOS from process.env at arm()', () => {
    const saved = process.env['BREAKWATER_CHAOS'];
    try {
      delete process.env['BREAKWATER_CHAOS'];
      expect(chaos.arm({ environment: 'test' }).reason).toMatch(/not set/);
      process.env['BREAKWATER_CHAOS'] = '1';
      expect(chaos.arm({ environment: 'test' }).armed).toBe(true);
    } finally {
      chaos.disarm();
      if (saved === undefined) delete process.env['BREAKWATER_CHAOS'];
      else process.env['BREAKWATER_CHAOS'] = saved;
    }
  });
});

describe('halt() and disarm()', () => {
  afterEach(() => chaos.disarm());

  it('halt is synchronous, reports its reason, and re-arming clears it', () => {
    const c = createChaosController({ env: ON });
    c.arm({ environment: 'test' });
    const s = c.halt('incident 42');
    expect(s).toMatchObject({ armed: false, active: false, reason: 'halted: incident 42', haltReason: 'incident 42' });
    expect(c.arm({ environment: 'test' })).toMatchObject({ armed: true, haltReason: undefined });
    expect(c.disarm().reason).toBe('not armed: disarmed by chaos.disarm()');
  });

  it('a halt of one controller does not touch another', async () => {
    const a = createChaosController({ env: ON });
    const b = createChaosController({ env: ON });
    a.arm({ environment: 'test' });
    b.arm({ environment: 'test' });
    a.halt();
    await expect(faultInjection({ controller: b }).execute(() => 1)).rejects.toThrow();
    await expect(faultInjection({ controller: a }).execute(() => 1)).resolves.toBe(1);
  });
});

describe('maxDuration', () => {
  it('disarms by itself once the duration has elapsed', async () => {
    const clock = new VirtualClock();
    const c = createChaosController({ env: ON, clock });
    c.arm({ environment: 'test', maxDuration: 1_000 });
    const f = faultInjection({ controller: c, clock });
    expect(c.status().expiresAt).toBe(1_000);
    await expect(f.execute(() => 1)).rejects.toThrow();
    await clock.advance(999);
    await expect(f.execute(() => 1)).rejects.toThrow();
    await clock.advance(1);
    await expect(f.execute(() => 1)).resolves.toBe(1);
    expect(c.status()).toMatchObject({ armed: false, reason: expect.stringMatching(/maxDuration elapsed/) });
  });

  it('its background timer releases hung calls at expiry and is cleared on disarm', async () => {
    const clock = new VirtualClock();
    const c = createChaosController({ env: ON, clock });
    c.arm({ environment: 'test', maxDuration: 500 });
    const p = hang({ controller: c, clock }).execute(() => 'released');
    await clock.advance(500);
    await expect(p).resolves.toBe('released');
    c.arm({ environment: 'test', maxDuration: 500 });
    expect(clock.pending).toBe(1);
    c.disarm();
    expect(clock.pending).toBe(0);
  });

  it('a lazily noticed expiry works without any timer firing', async () => {
    let now = 0;
    const clock = { now: () => now, setTimeout: () => ({}), clearTimeout: () => {} };
    const c = createChaosController({ env: ON, clock });
    c.arm({ environment: 'test', maxDuration: 50 });
    const f = faultInjection({ controller: c, clock });
    await expect(f.execute(() => 1)).rejects.toThrow();
    now = 50;
    await expect(f.execute(() => 1)).resolves.toBe(1);
    expect(c.isArmed()).toBe(false);
  });

  it('its timer, and the hold timer of an exhaustion, are unref\'d: they never keep a process alive', async () => {
    const unrefs: string[] = [];
    let now = 0;
    const clock = {
      now: () => now,
      setTimeout: (_fn: () => void, ms: number) => ({ unref: () => unrefs.push(`unref ${ms}`), ref: () => {} }),
      clearTimeout: () => {},
    };
    const c = createChaosController({ env: ON, clock });
    c.arm({ environment: 'test', maxDuration: 5_000 });
    expect(unrefs).toEqual(['unref 5000']);
    const { exhaustion } = await import('./state-faults');
    await exhaustion({ controller: c, clock, bulkhead: { occupy: (n) => ({ held: n, release: () => {} }) }, permits: 1, holdFor: 700 }).execute(() => 1);
    expect(unrefs).toEqual(['unref 5000', 'unref 700']);
    now = 1;
  });

  it('the rules cap maxDuration', () => {
    const clock = new VirtualClock();
    const c = createChaosController({ env: ON, clock });
    expect(c.arm({ environment: 'test', maxDuration: 10_000, rules: { maxDuration: 2_000 } }).expiresAt).toBe(2_000);
    expect(c.arm({ environment: 'test', rules: { maxDuration: 3_000 } }).expiresAt).toBe(3_000);
    expect(c.arm({ environment: 'test', maxDuration: 1_000, rules: { maxDuration: 3_000 } }).expiresAt).toBe(1_000);
  });
});

describe('declarative set of chaos rules', () => {
  it('restricts environments', () => {
    const c = createChaosController({ env: ON });
    expect(() => c.arm({ environment: 'dev', rules: { environments: ['staging', 'qa'] } })).toThrow(
      'the chaos rules allow only "staging", "qa", not "dev"',
    );
    expect(c.arm({ environment: 'qa', rules: { environments: ['staging', 'qa'] } }).armed).toBe(true);
  });

  it('injects only inside its UTC time windows', async () => {
    let wall = Date.UTC(2026, 10, 23, 8, 59); // Monday 08:59 UTC
    const c = createChaosController({ env: ON, wallClock: () => wall });
    c.arm({ environment: 'test', rules: { windows: [{ days: ['mon', 'tue'], fromHour: 9, toHour: 17 }] } });
    const f = faultInjection({ controller: c });
    await expect(f.execute(() => 1)).resolves.toBe(1);
    expect(c.status()).toMatchObject({ armed: true, active: false, reason: expect.stringMatching(/time windows/) });
    wall = Date.UTC(2026, 10, 23, 9, 0);
    await expect(f.execute(() => 1)).rejects.toThrow();
    wall = Date.UTC(2026, 10, 23, 16, 59);
    await expect(f.execute(() => 1)).rejects.toThrow();
    wall = Date.UTC(2026, 10, 23, 17, 0);
    await expect(f.execute(() => 1)).resolves.toBe(1);
    wall = Date.UTC(2026, 10, 25, 10, 0); // Wednesday
    await expect(f.execute(() => 1)).resolves.toBe(1);
    wall = Date.UTC(2026, 10, 24, 10, 0); // Tuesday
    await expect(f.execute(() => 1)).rejects.toThrow();
  });

  it('validates strictly: unknown keys, wrong types, bad windows', () => {
    expect(
      issues(() => validateChaosRules({ maxRate: 2, environments: 'staging', maxDurationMs: 5, windows: [{ fromHour: 10, toHour: 9 }] })),
    ).toEqual([
      'maxDurationMs: not present (unknown option)',
      'environments: an array of at least 1 non-empty string item(s)',
      'maxRate: a finite number ≥ 0 and ≤ 1',
    ]);
    expect(issues(() => validateChaosRules({ windows: [{ fromHour: 10, toHour: 9 }] }))).toEqual(['windows[0].toHour: greater than fromHour (10)']);
    expect(issues(() => validateChaosRules({ windows: [{ days: ['monday'], from: 1 }, 'x'] }))).toEqual([
      'windows[0].from: not present (unknown option)',
      'windows[0].days: an array of at least 1 one of "sun", "mon", "tue", "wed", "thu", "fri", "sat" item(s)',
      'windows[1]: a plain object',
    ]);
    expect(issues(() => validateChaosRules([]))).toEqual(['(rules): a plain object']);
    expect(issues(() => validateChaosRules({ version: 2 }))).toEqual(['version: one of 1']);
  });

  it('rejects prototype-pollution keys, at the top and nested', () => {
    const top = JSON.parse('{"__proto__": {"maxRate": 1}, "maxRate": 0.1}') as unknown;
    expect(issues(() => validateChaosRules(top))).toEqual(['__proto__: not present (unknown option)']);
    const nested = JSON.parse('{"windows": [{"constructor": {"prototype": {}}, "fromHour": 1}]}') as unknown;
    expect(issues(() => validateChaosRules(nested))).toEqual(['windows[0].constructor: not present (unknown option)']);
    expect(() => parseChaosRules('{"__proto__": {"polluted": true}}')).toThrow('unknown option `__proto__`');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('parses JSON, returns a frozen copy, and reports bad JSON clearly', () => {
    const p = parseChaosRules('{"version":1,"environments":["staging"],"maxRate":0.2,"maxCohortPercent":5,"maxDuration":600000,"windows":[{"days":["mon"],"fromHour":9,"toHour":17}]}');
    expect(p).toEqual({ version: 1, environments: ['staging'], maxRate: 0.2, maxCohortPercent: 5, maxDuration: 600_000, windows: [{ days: ['mon'], fromHour: 9, toHour: 17 }] });
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.windows?.[0])).toBe(true);
    expect(() => parseChaosRules('{maxRate:')).toThrow(/valid JSON/);
  });

  it('arm() validates the rules it is given', () => {
    const c = createChaosController({ env: ON });
    expect(() => c.arm({ environment: 'x', rules: { maxRate: -1 } })).toThrow(/maxRate/);
    expect(c.arm({ environment: 'x', rules: { maxRate: 0.5, maxCohortPercent: 10 } })).toMatchObject({ maxRate: 0.5, maxCohortPercent: 10 });
  });
});
