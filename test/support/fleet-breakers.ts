/**
 * Several fleet-aware breakers of one name, one per "instance", on one VirtualClock and one
 * {@link MemoryFleet}; calls that fail, succeed or hang on demand. A test helper
 * (test/support/), never part of the package.
 */
import { circuitBreaker, type CircuitBreakerPolicy } from '../../src/circuit-breaker/circuit-breaker';
import type { CircuitBreakerEvent } from '../../src/circuit-breaker/events';
import type { CircuitBreakerOptions } from '../../src/circuit-breaker/options';
import { isBrokenCircuitError, type BrokenCircuitError } from '../../src/core/errors';
import { flushMicrotasks, VirtualClock } from '../../src/testing/virtual-clock';
import { MemoryFleet } from './fleet-memory';

/** The breaker name every instance shares. */
export const FLEET_BREAKER = 'gateway';

/** Defaults of the test fleets: opens after 2 failures, a 1 s break, probes time out after 500 ms. */
export const FLEET_TEST_OPTIONS = { failureThreshold: 2, recoveryTimeout: 1_000, halfOpen: { probeTimeout: 500 } } as const;

/** One instance: its breaker and the events it emitted. */
export interface FleetInstance {
  readonly id: string;
  readonly breaker: CircuitBreakerPolicy;
  readonly events: CircuitBreakerEvent[];
}

/** @internal */
export class FleetBreakers {
  readonly clock: VirtualClock;
  readonly fleet: MemoryFleet;
  readonly instances = new Map<string, FleetInstance>();

  constructor(
    ids: readonly string[],
    private readonly options: Omit<CircuitBreakerOptions, 'clock' | 'coordinator' | 'name'> = FLEET_TEST_OPTIONS,
    clock = new VirtualClock(),
  ) {
    this.clock = clock;
    this.fleet = new MemoryFleet(clock);
    for (const id of ids) this.add(id);
  }

  /** Starts instance `id` (a new process joining the fleet). */
  add(id: string, extra: Partial<CircuitBreakerOptions> = {}): FleetInstance {
    const breaker = circuitBreaker({ ...this.options, ...extra, name: FLEET_BREAKER, clock: this.clock, coordinator: this.fleet.instance(id) });
    const events: CircuitBreakerEvent[] = [];
    breaker.onEvent((e) => {
      if (e.kind === 'circuit-breaker') events.push(e as CircuitBreakerEvent);
    });
    const inst = { id, breaker, events };
    this.instances.set(id, inst);
    return inst;
  }

  get(id: string): FleetInstance {
    const i = this.instances.get(id);
    if (i === undefined) throw new Error(`no instance ${id}`);
    return i;
  }

  breaker(id: string): CircuitBreakerPolicy {
    return this.get(id).breaker;
  }

  /** Lets the fleet's deliveries (microtasks) run. */
  async settle(): Promise<void> {
    await flushMicrotasks();
    await flushMicrotasks();
  }

  /** Runs `n` failing calls on instance `id`, then lets the fleet deliver. */
  async fail(id: string, n = 1): Promise<void> {
    for (let i = 0; i < n; i++) await this.breaker(id).execute(() => Promise.reject(new Error('gateway down'))).catch(() => undefined);
    await this.settle();
  }

  /** One call on instance `id` that succeeds; resolves with how it ended. */
  async call(id: string, outcome: 'ok' | 'fail' = 'ok'): Promise<'ok' | 'failed' | BrokenCircuitError> {
    try {
      await this.breaker(id).execute(() => (outcome === 'ok' ? 'ok' : Promise.reject(new Error('gateway down'))));
      return 'ok';
    } catch (e) {
      return isBrokenCircuitError(e) ? e : 'failed';
    } finally {
      await this.settle();
    }
  }

  /** Starts a call on `id` that hangs until the returned `finish` is called; `admitted` tells whether it ran. */
  async hang(id: string): Promise<{ admitted: boolean; finish(outcome: 'ok' | 'fail'): Promise<void> }> {
    let admitted = false;
    let end: ((v: unknown) => void) | undefined;
    let fail: ((e: unknown) => void) | undefined;
    const p = this.breaker(id).execute(
      () =>
        new Promise((resolve, reject) => {
          admitted = true;
          end = resolve;
          fail = reject;
        }),
    );
    p.catch(() => undefined);
    await this.settle();
    return {
      admitted,
      finish: async (outcome) => {
        if (outcome === 'ok') end?.('ok');
        else fail?.(new Error('gateway down'));
        await p.catch(() => undefined);
        await this.settle();
      },
    };
  }

  /** The state of every instance, by id. */
  states(): Record<string, string> {
    return Object.fromEntries([...this.instances].map(([id, i]) => [id, i.breaker.state]));
  }

  /** `opened:<reason>` / `closed:<reason>` / `half-opened` events of `id`, in order. */
  transitions(id: string): string[] {
    return this.get(id).events.flatMap((e) =>
      e.type === 'opened' ? [`opened:${e.reason}`] : e.type === 'closed' ? [`closed:${e.reason}`] : e.type === 'half-opened' ? ['half-opened'] : [],
    );
  }

  /** Advances the clock and lets the fleet deliver. */
  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
    await this.settle();
  }
}
