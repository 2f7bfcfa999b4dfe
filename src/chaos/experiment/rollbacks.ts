/**
 * The experiment's rollbacks: run once each, in order, all of them even when one throws
 * or does not settle within `rollbackTimeout`, each result recorded.
 *
 * @packageDocumentation
 */
import type { Clock } from '../../core/clock';
import { isThenable } from '../../core/outcome';
import { timerServiceFor } from '../../core/timer-service';
import type { RollbackRecord } from './journal';
import { describeError } from './user-callbacks';
import { round } from './window-stats';

/** Runs `rollbacks` one after the other on `clock`; resolves with a record of each. */
export async function runRollbacks(rollbacks: readonly (() => unknown)[], limit: number, clock: Clock): Promise<RollbackRecord[]> {
  const out: RollbackRecord[] = [];
  for (let i = 0; i < rollbacks.length; i++) {
    const fn = rollbacks[i] as () => unknown;
    const name = fn.name !== '' ? fn.name : `rollback #${i + 1}`;
    const start = clock.now();
    let ok = true;
    let error: string | undefined;
    try {
      const r = fn();
      if (isThenable(r)) await withTimeout(r, limit, clock);
    } catch (e) {
      ok = false;
      error = describeError(e);
    }
    out.push({ index: i, name, ok, ...(error !== undefined ? { error } : {}), duration: round(clock.now() - start) });
  }
  return out;
}

function withTimeout(p: PromiseLike<unknown>, ms: number, clock: Clock): Promise<unknown> {
  if (ms === Number.POSITIVE_INFINITY) return Promise.resolve(p);
  return new Promise((resolve, reject) => {
    const entry = timerServiceFor(clock).schedule(clock.now() + ms, () => reject(new Error(`did not settle within ${ms} ms (rollbackTimeout)`)));
    p.then(
      (v) => {
        entry.cancel();
        resolve(v);
      },
      (e: unknown) => {
        entry.cancel();
        reject(e);
      },
    );
  });
}
