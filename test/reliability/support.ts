/**
 * @internal Helpers of the reliability suite (not exported from the package): a probe
 * strategy that checks every layer of a chain settles each run exactly once, a fake
 * dependency driven by a fault schedule, a caller signal that counts its listeners, and an
 * `unhandledRejection` trap.
 */
import fc from 'fast-check';
import { afterAll, beforeAll } from 'vitest';
import type { Clock } from '../../src/core/clock';
import type { ExecutionContext } from '../../src/core/context';
import type { Done, Outcome } from '../../src/core/outcome';
import { StrategyPolicy, type Link } from '../../src/core/policy';

/**
 * @internal A strategy that watches the chain below it: every `run` must receive exactly
 * one outcome (never two, never none once the clock has run out), and it tracks how many
 * runs are in flight at once.
 */
export class ProbePolicy extends StrategyPolicy<never> {
  runs = 0;
  settled = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** Descriptions of every double settlement seen. */
  readonly violations: string[] = [];
  /** Called at the start of every run (for invariant checks). */
  onRun: ((ctx: ExecutionContext) => void) | undefined = undefined;
  /** Called at the end of every run, before the outcome goes up. */
  onSettle: ((ctx: ExecutionContext, o: Outcome) => void) | undefined = undefined;

  constructor(name: string, clock: Clock) {
    super({ kind: 'probe', name, clock });
  }

  run(ctx: ExecutionContext, link: Link, done: Done): void {
    this.runs++;
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
    this.onRun?.(ctx);
    let calls = 0;
    link.next(ctx, (o) => {
      calls++;
      if (calls > 1) {
        this.violations.push(`${this.name}: done called ${calls} times (outcome ${o.ok ? 'ok' : String(o.error)})`);
        return;
      }
      this.inFlight--;
      this.settled++;
      this.onSettle?.(ctx, o);
      done(o);
    });
  }

  protected describeOptions(): Record<string, unknown> {
    return {};
  }

  /** Asserts (by throwing) that every run settled exactly once. */
  assertBalanced(): void {
    if (this.violations.length > 0) throw new Error(this.violations.join('\n'));
    if (this.settled !== this.runs) throw new Error(`${this.name}: ${this.runs} runs but ${this.settled} outcomes (a layer below never settled)`);
  }
}

/** One step of a dependency's behaviour. */
export type DepStep =
  | { readonly kind: 'ok'; readonly delay: number }
  | { readonly kind: 'fail'; readonly delay: number }
  | { readonly kind: 'sync-ok' }
  | { readonly kind: 'sync-throw' }
  /** Abort-aware: waits `delay` (long) unless the call's signal aborts first. */
  | { readonly kind: 'hang'; readonly delay: number };

/** Arbitrary dependency steps; delays in virtual ms. */
export function depStepArb(maxDelay = 200): fc.Arbitrary<DepStep> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('ok' as const), delay: fc.integer({ min: 0, max: maxDelay }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('fail' as const), delay: fc.integer({ min: 0, max: maxDelay }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'sync-ok' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'sync-throw' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('hang' as const), delay: fc.integer({ min: maxDelay, max: maxDelay * 50 }) }) },
  );
}

/** The error a scripted dependency fails with. */
export class DependencyError extends Error {
  constructor(readonly attempt: number) {
    super(`dependency failed (call ${attempt})`);
    this.name = 'DependencyError';
  }
}

/**
 * A fake dependency that plays `steps` in a cycle (one step per invocation). Waits use
 * `clock.setTimeout` directly (the dependency is not the library). Returns the function
 * and a counter of invocations still running.
 */
export function scheduledDependency(steps: readonly DepStep[], clock: Clock): {
  fn: (ctx: ExecutionContext) => unknown;
  readonly running: () => number;
  readonly calls: () => number;
} {
  let n = 0;
  let running = 0;
  const fn = (ctx: ExecutionContext): unknown => {
    const i = n++;
    const step = steps[i % steps.length] ?? { kind: 'sync-ok' as const };
    switch (step.kind) {
      case 'sync-ok':
        return i;
      case 'sync-throw':
        throw new DependencyError(i);
      case 'ok':
      case 'fail': {
        running++;
        return new Promise((resolve, reject) => {
          clock.setTimeout(() => {
            running--;
            if (step.kind === 'ok') resolve(i);
            else reject(new DependencyError(i));
          }, step.delay);
        });
      }
      case 'hang': {
        running++;
        const signal = ctx.signal;
        return new Promise((resolve, reject) => {
          if (signal.aborted) {
            running--;
            reject(signal.reason);
            return;
          }
          const onAbort = (): void => {
            clock.clearTimeout(handle);
            running--;
            reject(signal.reason);
          };
          const handle = clock.setTimeout(() => {
            signal.removeEventListener('abort', onAbort);
            running--;
            resolve(i);
          }, step.delay);
          signal.addEventListener('abort', onAbort, { once: true });
        });
      }
    }
  };
  return { fn, running: () => running, calls: () => n };
}

/**
 * An AbortController whose signal counts the `abort` listeners attached to it, so a test
 * can check that a call leaves none behind.
 */
export class CountingController {
  readonly controller = new AbortController();
  readonly signal: AbortSignal;
  /** Listeners currently attached (with their `once` flag). */
  private readonly live = new Map<unknown, boolean>();
  added = 0;

  constructor() {
    const signal = this.controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((type: string, listener: unknown, options?: unknown) => {
      if (type === 'abort' && listener != null && !this.live.has(listener)) {
        this.live.set(listener, typeof options === 'object' && options !== null && (options as { once?: boolean }).once === true);
        this.added++;
      }
      add(type, listener as EventListener, options as AddEventListenerOptions);
    }) as AbortSignal['addEventListener'];
    signal.removeEventListener = ((type: string, listener: unknown, options?: unknown) => {
      if (type === 'abort') this.live.delete(listener);
      remove(type, listener as EventListener, options as EventListenerOptions);
    }) as AbortSignal['removeEventListener'];
    this.signal = signal;
  }

  abort(reason?: unknown): void {
    this.controller.abort(reason);
    // `once` listeners are removed by the dispatch itself.
    for (const [l, once] of this.live) if (once) this.live.delete(l);
  }

  /** Listeners still attached. */
  get listeners(): number {
    return this.live.size;
  }
}

/** A caller's plan for one call: no signal, a signal aborted before the call, or aborted at `at` ms. */
export type AbortPlan = { readonly kind: 'none' } | { readonly kind: 'pre' } | { readonly kind: 'at'; readonly at: number } | { readonly kind: 'never' };

export function abortPlanArb(maxAt = 2_000): fc.Arbitrary<AbortPlan> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'pre' as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'never' as const }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('at' as const), at: fc.integer({ min: 0, max: maxAt }) }) },
  );
}

/** A call in flight, with its settlement recorded. */
export interface TrackedCall {
  readonly promise: Promise<unknown>;
  settlements: number;
  outcome: Outcome | undefined;
  readonly controller: CountingController | undefined;
}

/**
 * Starts `execute(fn, { signal })` according to `plan` and records its settlement. The
 * promise is always observed, so a rejection can never be unhandled because of the test.
 */
export function track(
  execute: (signal: AbortSignal | undefined) => Promise<unknown>,
  plan: AbortPlan,
  clock: Clock,
): TrackedCall {
  let controller: CountingController | undefined;
  if (plan.kind !== 'none') controller = new CountingController();
  if (plan.kind === 'pre') controller?.abort(new Error('caller aborted before the call'));
  const promise = execute(controller?.signal);
  const call: TrackedCall = { promise, settlements: 0, outcome: undefined, controller };
  promise.then(
    (value) => {
      call.settlements++;
      call.outcome = { ok: true, value };
    },
    (error: unknown) => {
      call.settlements++;
      call.outcome = { ok: false, error };
    },
  );
  if (plan.kind === 'at') {
    const c = controller as CountingController;
    clock.setTimeout(() => c.abort(new Error('caller aborted')), plan.at);
  }
  return call;
}

/**
 * Installs a process `unhandledRejection` listener for the file; `takeUnhandled()` returns
 * and clears what it caught. The suite's `afterAll` fails if anything is left.
 */
export function trapUnhandledRejections(): { take(): unknown[] } {
  const caught: unknown[] = [];
  const listener = (reason: unknown): void => {
    caught.push(reason);
  };
  beforeAll(() => {
    process.on('unhandledRejection', listener);
  });
  afterAll(() => {
    process.off('unhandledRejection', listener);
    if (caught.length > 0) throw new Error(`unhandled rejections: ${caught.map(String).join('; ')}`);
  });
  return {
    take: () => caught.splice(0, caught.length),
  };
}

/** Lets pending promise reactions (and any unhandled-rejection detection) run. */
export function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs `fn` with `console.error` silenced; returns what was written to it. */
export async function quietly<T>(fn: () => Promise<T> | T): Promise<{ value: T; errors: unknown[][] }> {
  const errors: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => {
    errors.push(args);
  };
  try {
    const value = await fn();
    return { value, errors };
  } finally {
    console.error = original;
  }
}
