// The chaos side of fleet chaos, on an in-memory fleet (the Redis fleet is tested against a
// real redis-server in test/redis/): what the controller does with what the fleet asks,
// and the safety rules that hold whatever the fleet sends.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isOptionsValidationError, type OptionsValidationError } from '../core/errors';
import { onCallbackError } from '../core/report';
import { VirtualClock } from '../testing/virtual-clock';
import { faultInjection } from './call-faults';
import { FLEET_JOINING, type ChaosFleet, type ChaosFleetLink, type ChaosFleetMember, type ChaosFleetSwitch } from './fleet';
import { ChaosArmingError, createChaosController, type ChaosController } from './guards';
import type { ExperimentJournal, ExperimentOptions } from './experiment/index';
import { runExperiment } from './experiment/runner';

const ON = { BREAKWATER_CHAOS: '1' };

/** An in-memory fleet: one bus, one endpoint per instance; halts persist on the bus like Redis's halt flag. */
class Bus {
  halted: string | undefined;
  readonly endpoints = new Set<Endpoint>();
}

class Endpoint implements ChaosFleet {
  readonly members = new Set<ChaosFleetMember>();
  readonly log: string[] = [];
  readonly requests: ChaosFleetSwitch[] = [];
  /** Drops "off" requests (a runner that died before switching the fleet's faults off). */
  dropOff = false;
  constructor(
    private readonly bus: Bus,
    /** Confirm at once on join (like a fleet that has read its halt flag), or leave the member held. */
    private readonly confirm = true,
  ) {
    bus.endpoints.add(this);
  }
  others(): ChaosFleetMember[] {
    return [...this.bus.endpoints].filter((e) => e !== this).flatMap((e) => [...e.members]);
  }
  joinChaos(member: ChaosFleetMember): ChaosFleetLink {
    this.members.add(member);
    this.log.push('join');
    if (this.confirm) {
      if (this.bus.halted !== undefined) member.halt(this.bus.halted);
      else member.hold(undefined);
    }
    return {
      changed: () => this.log.push(`changed:${member.announcement().state}`),
      halt: (reason) => {
        this.log.push(`halt:${reason}`);
        this.bus.halted = reason;
        for (const m of this.others()) m.halt(reason);
      },
      switchFaults: (request) => {
        this.log.push(`switch:${request.on ? 'on' : 'off'}:${request.faults.join(',')}`);
        this.requests.push(request);
        if (!request.on && this.dropOff) return;
        for (const m of this.others()) m.switchFaults(request);
      },
      leave: () => {
        this.log.push('leave');
        this.members.delete(member);
      },
    };
  }
  only(): ChaosFleetMember {
    expect(this.members.size).toBe(1);
    return [...this.members][0] as ChaosFleetMember;
  }
}

interface Instance {
  clock: VirtualClock;
  controller: ChaosController;
  endpoint: Endpoint;
  fault: ReturnType<typeof faultInjection>;
}

function instance(bus: Bus, opts: { env?: Record<string, string>; confirm?: boolean; arm?: boolean; clock?: VirtualClock } = {}): Instance {
  const clock = opts.clock ?? new VirtualClock();
  const controller = createChaosController({ env: opts.env ?? ON, clock });
  const endpoint = new Endpoint(bus, opts.confirm ?? true);
  const fault = faultInjection({ name: 'gateway-down', controller, clock, enabled: false });
  if (opts.arm !== false) controller.arm({ environment: 'staging', coordinator: endpoint, fleetFaults: [fault] });
  return { clock, controller, endpoint, fault };
}

const injects = async (i: Instance): Promise<boolean> => {
  try {
    await i.fault.execute(() => 'real');
    return false;
  } catch {
    return true;
  }
};

const on = (faults: string[], duration = 10_000): ChaosFleetSwitch => ({ on: true, faults, experiment: 'x', duration });
const off = (faults: string[]): ChaosFleetSwitch => ({ on: false, faults, experiment: 'x', duration: 0 });

function issues(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(isOptionsValidationError(e)).toBe(true);
    return (e as OptionsValidationError).issues.map((i) => `${i.path}: ${i.expected}`);
  }
  throw new Error('expected a validation error');
}

let reported: string[] = [];
const sub = onCallbackError((_e, source) => reported.push(source));
afterEach(() => {
  reported = [];
});
void sub;

describe('joining a fleet', () => {
  it('an armed controller joins held and injects nothing until the fleet confirms', async () => {
    const bus = new Bus();
    const a = instance(bus, { confirm: false });
    a.fault.enable();
    expect(a.controller.status()).toMatchObject({ armed: true, active: false, fleet: true, reason: FLEET_JOINING });
    expect(a.endpoint.only().announcement()).toMatchObject({ state: 'held', environment: 'staging', faults: ['gateway-down'], switchedOn: [] });
    expect(await injects(a)).toBe(false);
    a.endpoint.only().hold(undefined);
    expect(a.controller.status()).toMatchObject({ armed: true, active: true, reason: undefined });
    expect(await injects(a)).toBe(true);
  });

  it('a late joiner of a halted fleet is halted as it joins, and never injects', async () => {
    const bus = new Bus();
    bus.halted = 'incident 42';
    const late = instance(bus);
    late.fault.enable();
    expect(late.controller.status()).toMatchObject({ armed: false, active: false, haltReason: 'incident 42', reason: 'halted: incident 42' });
    expect(late.endpoint.only().announcement().state).toBe('halted');
    expect(await injects(late)).toBe(false);
  });

  it('joins even when the environment switch is off: visible as off, relays halts, never armed by the fleet', async () => {
    const bus = new Bus();
    const armed = instance(bus);
    const unarmed = instance(bus, { env: {} });
    expect(unarmed.controller.status()).toMatchObject({ armed: false, fleet: true });
    expect(unarmed.endpoint.only().announcement()).toMatchObject({ state: 'off', reason: expect.stringMatching(/BREAKWATER_CHAOS is not set/) });
    unarmed.controller.halt('from the unarmed one');
    expect(armed.controller.status()).toMatchObject({ armed: false, haltReason: 'from the unarmed one' });
  });

  it('the production guard holds per instance: a production arm without allowance throws and joins nothing', () => {
    const bus = new Bus();
    const clock = new VirtualClock();
    const controller = createChaosController({ env: ON, clock });
    const endpoint = new Endpoint(bus);
    expect(() => controller.arm({ environment: 'production', coordinator: endpoint })).toThrow(ChaosArmingError);
    expect(endpoint.members.size).toBe(0);
    expect(controller.status()).toMatchObject({ armed: false, fleet: false });
  });

  it('a coordinator that throws on join leaves the controller held (fail closed), reported', async () => {
    const clock = new VirtualClock();
    const controller = createChaosController({ env: ON, clock });
    const broken: ChaosFleet = {
      joinChaos: () => {
        throw new Error('closed');
      },
    };
    const fault = faultInjection({ controller, clock });
    controller.arm({ environment: 'staging', coordinator: broken });
    expect(controller.status()).toMatchObject({ armed: true, active: false, reason: expect.stringMatching(/could not join the fleet/) });
    await expect(fault.execute(() => 'real')).resolves.toBe('real');
    expect(reported).toEqual(['chaos fleet joinChaos']);
  });

  it('validates the fleet options with the others, in one error', () => {
    const c = createChaosController({ env: ON });
    expect(issues(() => c.arm({ environment: 'x', coordinator: {} as never, maxDuration: -1 }))).toEqual([
      'maxDuration: a duration in ms > 0 (or Infinity)',
      'coordinator: a chaos fleet: an object with a joinChaos(member) function (redisChaosFleet() or redisCoordinator() of breakwater/redis)',
    ]);
    const f = faultInjection({ name: 'same' });
    expect(issues(() => c.arm({ environment: 'x', coordinator: new Endpoint(new Bus()), fleetFaults: [f, f] }))).toEqual([
      'fleetFaults: an array of faults (name, enable(), disable()) with distinct names',
    ]);
    expect(issues(() => c.arm({ environment: 'x', fleetFaults: [f] }))).toEqual(['fleetFaults: given only with a coordinator (the fleet that switches them)']);
  });
});

describe('halting the fleet', () => {
  it('halt() on one instance halts every other one synchronously, with the reason', async () => {
    const bus = new Bus();
    const [a, b, c] = [instance(bus), instance(bus), instance(bus)] as [Instance, Instance, Instance];
    for (const i of [a, b, c]) i.fault.enable();
    expect(await injects(b)).toBe(true);
    a.controller.halt('operator pressed the red button');
    for (const i of [a, b, c]) {
      expect(i.controller.status()).toMatchObject({ armed: false, haltReason: 'operator pressed the red button' });
      expect(await injects(i)).toBe(false);
    }
    expect(a.endpoint.log).toContain('halt:operator pressed the red button');
    expect(b.endpoint.log).not.toContain('halt:operator pressed the red button'); // not told again
  });

  it('a fleet halt with an empty or non-string reason still halts, with a default reason', () => {
    const a = instance(new Bus());
    a.endpoint.only().halt('' as string);
    expect(a.controller.status()).toMatchObject({ armed: false, haltReason: 'halted by the fleet' });
    const b = instance(new Bus());
    b.endpoint.only().halt(42 as unknown as string);
    expect(b.controller.status().haltReason).toBe('halted by the fleet');
  });

  it('a hold pauses injection (and switches fleet faults off); releasing it resumes, without arming anything', async () => {
    const bus = new Bus();
    const a = instance(bus);
    const m = a.endpoint.only();
    m.switchFaults(on(['gateway-down']));
    expect(await injects(a)).toBe(true);
    m.hold('held: the fleet is unreachable');
    expect(a.controller.status()).toMatchObject({ armed: true, active: false, reason: 'held: the fleet is unreachable' });
    expect(a.fault.isEnabled).toBe(false);
    expect(await injects(a)).toBe(false);
    m.hold(undefined);
    expect(a.controller.status().active).toBe(true);
    expect(m.switchFaults(on(['gateway-down']))).toEqual(['gateway-down']);
    expect(await injects(a)).toBe(true);
    a.controller.disarm();
    m.hold(undefined); // after leaving: ignored
    expect(a.controller.status()).toMatchObject({ armed: false, fleet: false });
  });

  it('a link that throws is reported; the local halt still holds', () => {
    const clock = new VirtualClock();
    const controller = createChaosController({ env: ON, clock });
    const fleet: ChaosFleet = {
      joinChaos: (m) => {
        m.hold(undefined);
        const boom = (): never => {
          throw new Error('link down');
        };
        return { changed: boom, halt: boom, switchFaults: boom, leave: boom };
      },
    };
    controller.arm({ environment: 'staging', coordinator: fleet });
    expect(controller.halt('red').armed).toBe(false);
    expect(controller.switchFleetFaults(on(['x']))).toBe(true);
    controller.disarm();
    expect(reported).toEqual(['chaos fleet link changed', 'chaos fleet link halt', 'chaos fleet link switchFaults', 'chaos fleet link leave']);
  });
});

describe('the fleet can never arm', () => {
  it('nothing the fleet sends arms an unarmed instance or switches on its faults', async () => {
    const bus = new Bus();
    for (const env of [{}, { BREAKWATER_CHAOS: '0' }]) {
      const u = instance(bus, { env });
      const m = u.endpoint.only();
      m.hold(undefined);
      expect(m.switchFaults(on(['gateway-down']))).toEqual([]);
      m.halt('x');
      m.hold(undefined);
      expect(m.switchFaults(on(['gateway-down']))).toEqual([]);
      expect(u.controller.isArmed()).toBe(false);
      expect(u.fault.isEnabled).toBe(false);
      expect(await injects(u)).toBe(false);
    }
  });

  it('after a halt, no switch request turns a fault on again, and releasing a hold does not re-arm', async () => {
    const a = instance(new Bus());
    const m = a.endpoint.only();
    a.controller.halt('stop');
    m.hold(undefined);
    expect(m.switchFaults(on(['gateway-down']))).toEqual([]);
    expect(a.controller.isArmed()).toBe(false);
    expect(await injects(a)).toBe(false);
  });

  it('switches on only the faults this instance offered, with a positive duration, while armed and not held', () => {
    const a = instance(new Bus(), { confirm: false });
    const m = a.endpoint.only();
    expect(m.switchFaults(on(['gateway-down']))).toEqual([]); // held: joining
    m.hold(undefined);
    expect(m.switchFaults(on(['not-offered', 'constructor', '__proto__']))).toEqual([]);
    expect(m.switchFaults({ on: true, faults: 'gateway-down' as never, experiment: 'x', duration: 1 })).toEqual([]);
    for (const duration of [0, -1, Number.NaN]) expect(m.switchFaults(on(['gateway-down'], duration))).toEqual([]);
    expect(a.fault.isEnabled).toBe(false);
    expect(m.switchFaults(on(['gateway-down', 'other']))).toEqual(['gateway-down']);
    expect(a.fault.isEnabled).toBe(true);
    expect(m.announcement().switchedOn).toEqual(['gateway-down']);
  });
});

describe('fleet experiments switching faults', () => {
  it('the other instances switch their offered faults on and off; the asking one is not asked', () => {
    const bus = new Bus();
    const [a, b] = [instance(bus), instance(bus)] as [Instance, Instance];
    expect(a.controller.switchFleetFaults(on(['gateway-down']))).toBe(true);
    expect(b.fault.isEnabled).toBe(true);
    expect(a.fault.isEnabled).toBe(false);
    a.controller.switchFleetFaults(off(['gateway-down']));
    expect(b.fault.isEnabled).toBe(false);
    expect(createChaosController({ env: ON }).switchFleetFaults(on(['gateway-down']))).toBe(false);
  });

  it('a switched-on fault goes off by itself after the duration; its timer is unref\'d-style background and gone after', async () => {
    const a = instance(new Bus());
    const m = a.endpoint.only();
    m.switchFaults(on(['gateway-down'], 5_000));
    expect(a.clock.pending).toBe(1);
    await a.clock.advance(4_999);
    expect(a.fault.isEnabled).toBe(true);
    await a.clock.advance(1);
    expect(a.fault.isEnabled).toBe(false);
    expect(a.clock.pending).toBe(0);
    expect(a.endpoint.log.at(-1)).toBe('changed:armed');
  });

  it('a newer "on" keeps the fault on past an older request\'s timer; "off" clears the timers', async () => {
    const a = instance(new Bus());
    const m = a.endpoint.only();
    m.switchFaults(on(['gateway-down'], 1_000));
    await a.clock.advance(500);
    m.switchFaults(on(['gateway-down'], 1_000));
    await a.clock.advance(600);
    expect(a.fault.isEnabled).toBe(true); // the first timer no longer owns it
    m.switchFaults(off(['gateway-down']));
    expect(a.fault.isEnabled).toBe(false);
    expect(a.clock.pending).toBe(0);
  });

  it('halt, expiry, disarm and re-arm switch fleet faults off, so re-arming never finds them on', async () => {
    const bus = new Bus();
    const stops: ((i: Instance) => unknown)[] = [
      (i) => i.controller.halt(),
      (i) => i.endpoint.only().halt('remote'),
      (i) => i.controller.disarm(),
      (i) => i.controller.arm({ environment: 'staging' }),
    ];
    for (const stop of stops) {
      const i = instance(bus);
      bus.halted = undefined;
      i.endpoint.only().switchFaults(on(['gateway-down']));
      stop(i);
      expect(i.fault.isEnabled).toBe(false);
      expect(i.clock.pending).toBe(0);
    }
    const clock = new VirtualClock();
    const c = createChaosController({ env: ON, clock });
    const endpoint = new Endpoint(new Bus());
    const fault = faultInjection({ name: 'f', controller: c, clock, enabled: false });
    c.arm({ environment: 'staging', coordinator: endpoint, fleetFaults: [fault], maxDuration: 1_000 });
    endpoint.only().switchFaults(on(['f'], 60_000));
    await clock.advance(1_000);
    expect(fault.isEnabled).toBe(false);
    expect(endpoint.only().announcement()).toMatchObject({ state: 'off', reason: expect.stringMatching(/maxDuration elapsed/) });
  });

  it('disarm leaves the fleet: later halts are not delivered and the fleet is told', () => {
    const bus = new Bus();
    const [a, b] = [instance(bus), instance(bus)] as [Instance, Instance];
    b.controller.disarm();
    expect(b.endpoint.log).toContain('leave');
    expect(b.endpoint.members.size).toBe(0);
    b.controller.arm({ environment: 'staging' }); // armed alone now
    a.controller.halt('fleet halt');
    expect(b.controller.isArmed()).toBe(true);
  });

  it('re-arming with another coordinator leaves the first fleet', () => {
    const a = instance(new Bus());
    const other = new Endpoint(new Bus());
    a.controller.arm({ environment: 'staging', coordinator: other });
    expect(a.endpoint.members.size).toBe(0);
    expect(other.members.size).toBe(1);
  });

  it('announces expiresIn from its maxDuration', async () => {
    const clock = new VirtualClock();
    const c = createChaosController({ env: ON, clock });
    const e = new Endpoint(new Bus());
    c.arm({ environment: 'qa', coordinator: e, maxDuration: 10_000 });
    await clock.advance(2_500);
    expect(e.only().announcement()).toEqual({ state: 'armed', environment: 'qa', reason: undefined, expiresIn: 7_500, faults: [], switchedOn: [] });
  });
});

describe('property: a fault the fleet switched on is on exactly while the model says', () => {
  type Op = { t: 'on'; d: number } | { t: 'off' } | { t: 'advance'; ms: number } | { t: 'halt' } | { t: 'hold' } | { t: 'release' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ t: fc.constant('on' as const), d: fc.integer({ min: 1, max: 5_000 }) }),
    fc.constant({ t: 'off' as const }),
    fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
    fc.constant({ t: 'halt' as const }),
    fc.constant({ t: 'hold' as const }),
    fc.constant({ t: 'release' as const }),
  );

  it('on ⇔ armed, not held, and now < (time of the last "on" that applied) + its duration, with no off/hold/halt since', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), async (ops) => {
        const a = instance(new Bus());
        const m = a.endpoint.only();
        let armed = true;
        let held = false;
        let until: number | undefined;
        for (const o of ops) {
          if (o.t === 'on') {
            const applied = m.switchFaults(on(['gateway-down'], o.d)).length > 0;
            expect(applied).toBe(armed && !held);
            if (applied) until = a.clock.now() + o.d;
          } else if (o.t === 'off') {
            m.switchFaults(off(['gateway-down']));
            until = undefined;
          } else if (o.t === 'advance') {
            await a.clock.advance(o.ms);
          } else if (o.t === 'halt') {
            m.halt('p');
            armed = false;
            until = undefined;
          } else if (o.t === 'hold') {
            m.hold('held: p');
            held = true;
            until = undefined;
          } else {
            m.hold(undefined);
            held = false;
          }
          if (until !== undefined && a.clock.now() >= until) until = undefined;
          expect(a.fault.isEnabled).toBe(until !== undefined);
          expect(await injects(a)).toBe(until !== undefined);
        }
        a.controller.disarm();
        expect(a.clock.pending).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});

describe('runExperiment({ fleet: true })', () => {
  /** The runner's instance and two others on one clock: one armed, one whose environment switch is off. */
  function fleetWorld() {
    const bus = new Bus();
    const clock = new VirtualClock();
    const runner = instance(bus, { clock });
    const armed = instance(bus, { clock });
    const unarmed = instance(bus, { clock, env: {} });
    return { bus, clock, runner, armed, unarmed };
  }

  function experiment(w: ReturnType<typeof fleetWorld>, extra: Partial<ExperimentOptions> = {}): ExperimentOptions {
    return {
      name: 'gateway outage',
      hypothesis: 'the fleet survives',
      faults: [w.runner.fault],
      load: { fn: () => 'ok', rate: 10 },
      steadyState: { '*': { errorRate: ['rate<0.5'] } },
      schedule: { baseline: 1_000, inject: 2_000, recovery: 2_000, evaluationInterval: 500 },
      controller: w.runner.controller,
      fleet: true,
      clock: w.clock,
      ...extra,
    };
  }

  it('switches the faults on every armed instance for the inject phase and off at its end; an unarmed one never', async () => {
    const w = fleetWorld();
    const seen: string[] = [];
    const sample = (phase: string) => seen.push(`${phase}:${w.armed.fault.isEnabled}:${w.unarmed.fault.isEnabled}`);
    const p = runExperiment(experiment(w, { progress: { onPhase: (i) => sample(i.phase) } }));
    await w.clock.advance(999);
    sample('late baseline');
    await w.clock.advance(1_000);
    sample('mid inject');
    await w.clock.runAll();
    const j: ExperimentJournal = await p;
    expect(j.verdict).toBe('pass');
    expect(seen).toEqual(['baseline:false:false', 'late baseline:false:false', 'inject:true:false', 'mid inject:true:false', 'recovery:false:false']);
    expect(w.runner.endpoint.requests.map((r) => [r.on, r.faults, r.experiment, r.duration])).toEqual([
      [false, ['gateway-down'], 'gateway outage', 0], // reset before the baseline
      [true, ['gateway-down'], 'gateway outage', 3_000], // to the inject's end (2 000) + one window, at least 1 s
      [false, ['gateway-down'], 'gateway outage', 0],
    ]);
    expect(w.unarmed.controller.isArmed()).toBe(false);
    expect(w.clock.pending).toBe(0);
  });

  it('a halt anywhere in the fleet stops the experiment (aborted: chaos switched off) and every instance', async () => {
    const w = fleetWorld();
    const p = runExperiment(experiment(w));
    await w.clock.advance(1_200);
    expect(w.armed.fault.isEnabled).toBe(true);
    w.armed.controller.halt('operator on another instance');
    await w.clock.runAll();
    const j = await p;
    expect(j.verdict).toBe('aborted');
    expect(j.reason).toBe('chaos was switched off during the experiment (halted: operator on another instance)');
    expect(w.runner.controller.status().haltReason).toBe('operator on another instance');
    expect(w.armed.fault.isEnabled).toBe(false);
  });

  it('refuses to start when the controller is in no fleet', async () => {
    const clock = new VirtualClock();
    const controller = createChaosController({ env: ON, clock });
    controller.arm({ environment: 'staging' });
    const j = await runExperiment({
      name: 'x',
      hypothesis: 'y',
      faults: [faultInjection({ controller, clock })],
      load: { fn: () => 1, rate: 1 },
      steadyState: { '*': { errorRate: ['rate<1'] } },
      schedule: { baseline: 100, inject: 100, recovery: 300, evaluationInterval: 100 },
      controller,
      fleet: true,
      clock,
    });
    expect(j.verdict).toBe('aborted');
    expect(j.reason).toBe('refused to start: chaos is off (fleet: true, but the controller is in no fleet (arm it with a coordinator))');
  });

  it('validates fleet', async () => {
    const w = fleetWorld();
    await expect(runExperiment(experiment(w, { fleet: 'yes' as never }))).rejects.toThrow('expected `fleet` to be a boolean, got "yes"');
  });

  it('property: without the "off", the other instances keep the faults on through ramp and inject, and switch them off within one window (≥ 1 s) of the inject\'s planned end', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          baseline: fc.integer({ min: 1, max: 3_000 }),
          ramp: fc.integer({ min: 0, max: 3_000 }),
          inject: fc.integer({ min: 1, max: 5_000 }),
          evaluationInterval: fc.integer({ min: 50, max: 2_500 }),
        }),
        async (s) => {
          const w = fleetWorld();
          w.runner.endpoint.dropOff = true;
          const schedule = { ...s, recovery: 3 * s.evaluationInterval };
          let offAt: number | undefined;
          const injectEnd = s.baseline + s.ramp + s.inject;
          const p = runExperiment(experiment(w, { schedule, recoveryStreak: 1, steadyState: { '*': { errorRate: ['rate<=1'] } } }));
          // Sample the other instance's fault every 25 ms until it goes off after the inject phase.
          while (w.clock.pending > 0 && offAt === undefined) {
            await w.clock.advance(25);
            const t = w.clock.now();
            const onNow = w.armed.fault.isEnabled;
            if (t >= s.baseline && t < injectEnd) expect(onNow).toBe(true);
            if (t < s.baseline) expect(onNow).toBe(false);
            if (t >= injectEnd && !onNow) offAt = t;
          }
          await w.clock.runAll();
          await p;
          expect(w.armed.fault.isEnabled).toBe(false);
          expect(offAt).toBeDefined();
          expect(offAt as number).toBeLessThanOrEqual(injectEnd + Math.max(1_000, s.evaluationInterval) + 25);
        },
      ),
      { numRuns: 25 },
    );
  });
});
