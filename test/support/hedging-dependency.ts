/**
 * @internal Test helpers of the hedging policy: a fake dependency on a virtual clock whose
 * every call answers after a scripted latency (or fails), records the signal and attempt it
 * ran with, and stops early when its signal aborts (unless told to ignore it); and the
 * nearest-rank percentile used to read latency tails. Not part of the package.
 */
import type { Clock } from '../../src/core/clock';
import type { ExecutionContext } from '../../src/core/context';

/** What one call of the dependency does: answer `value` (or fail with `error`) after `ms`. */
export interface Answer {
  readonly ms: number;
  readonly error?: unknown;
  readonly value?: unknown;
}

/** One call the dependency received. */
export interface DependencyCall {
  /** `ctx.attempt` of the view it ran with. */
  readonly attempt: number;
  /** The signal of that view. */
  readonly signal: AbortSignal;
  /** Clock time it started. */
  readonly startedAt: number;
  /** How it ended: `'answered'`, `'failed'`, `'aborted'` (it saw its signal abort), or still `'running'`. */
  state: 'running' | 'answered' | 'failed' | 'aborted';
}

/** A fake dependency (see the module). */
export interface FakeDependency {
  /** The function to execute through a policy. */
  readonly fn: (ctx: ExecutionContext) => Promise<unknown>;
  /** Every call it received, in order. */
  readonly calls: DependencyCall[];
  /** Calls running now. */
  running(): number;
}

/**
 * A dependency whose `i`-th call (0-based, over all calls) does `script(i, ctx)`. With
 * `honourAbort` (default), a call whose signal aborts rejects at once with the signal's
 * reason and clears its timer; without, it answers as scripted whatever happens.
 */
export function fakeDependency(clock: Clock, script: (i: number, ctx: ExecutionContext) => Answer, honourAbort = true): FakeDependency {
  const calls: DependencyCall[] = [];
  let running = 0;
  const fn = (ctx: ExecutionContext): Promise<unknown> => {
    const i = calls.length;
    const answer = script(i, ctx);
    const signal = ctx.signal;
    const call: DependencyCall = { attempt: ctx.attempt, signal, startedAt: clock.now(), state: 'running' };
    calls.push(call);
    running++;
    return new Promise((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        if (honourAbort) signal.removeEventListener('abort', onAbort);
        running--;
        if (answer.error !== undefined) {
          call.state = 'failed';
          reject(answer.error);
        } else {
          call.state = 'answered';
          resolve(answer.value ?? `answer ${i}`);
        }
      }, answer.ms);
      const onAbort = (): void => {
        clock.clearTimeout(timer);
        running--;
        call.state = 'aborted';
        reject(signal.reason);
      };
      if (honourAbort) {
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  };
  return { fn, calls, running: () => running };
}

/** The nearest-rank percentile `p` (0–100] of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}
