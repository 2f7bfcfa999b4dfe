/**
 * @internal Promise helpers shared by the tests: reading how a promise settled without an
 * unhandled rejection. Not part of the package.
 */

/** Settles `p` into a readable state (pending, ok or error) without an unhandled rejection. */
export function settle<T>(p: Promise<T>): { state: () => 'pending' | 'ok' | 'error'; value: () => unknown } {
  let state: 'pending' | 'ok' | 'error' = 'pending';
  let value: unknown;
  p.then(
    (v) => {
      state = 'ok';
      value = v;
    },
    (e: unknown) => {
      state = 'error';
      value = e;
    },
  );
  return { state: () => state, value: () => value };
}

/** What {@link settleOn} reports: how the promise settled, with what, and the clock's time then. */
export interface SettledOn {
  readonly ok: boolean;
  readonly value: unknown;
  readonly at: number;
}

/** Runs `promise` to its end on the virtual `clock` (`runAll()`); returns how it settled and when. */
export async function settleOn(clock: { now(): number; runAll(): Promise<unknown> }, promise: Promise<unknown>): Promise<SettledOn> {
  let result: SettledOn | undefined;
  promise.then(
    (value) => (result = { ok: true, value, at: clock.now() }),
    (error: unknown) => (result = { ok: false, value: error, at: clock.now() }),
  );
  await clock.runAll();
  if (result === undefined) throw new Error('the call did not settle');
  return result;
}

/** The error `p` rejects with; throws when `p` resolves. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** What `signalsOfSettledCalls` needs of a policy: `execute()` with a context and options. */
interface Executes {
  execute(fn: (ctx: { readonly signal: AbortSignal }) => Promise<unknown>, options: { abortOnSettle: boolean }): Promise<unknown>;
}

/**
 * Runs one call that succeeds and one that fails through `policy` with `abortOnSettle`, each
 * reading `ctx.signal`, and returns the two signals once both calls settled.
 */
export async function signalsOfSettledCalls(policy: Executes): Promise<AbortSignal[]> {
  const signals: AbortSignal[] = [];
  await policy.execute((ctx) => {
    signals.push(ctx.signal);
    return Promise.resolve('ok');
  }, { abortOnSettle: true });
  await policy
    .execute((ctx) => {
      signals.push(ctx.signal);
      return Promise.reject(new Error('no'));
    }, { abortOnSettle: true })
    .catch(() => undefined);
  return signals;
}
