// Examples of docs/timeout.md. Type-checked by `npm test`; each block of the page is copied from here.
import { isTimeoutError, pipeline, retry, timeout, TimeoutEvents } from '../../src/index';

interface Profile {
  readonly id: string;
  readonly name: string;
}
declare const profileApi: { get(id: string, opts: { signal: AbortSignal }): Promise<Profile> };
declare const leaderboardDb: {
  query(sql: string, opts: { signal: AbortSignal; timeoutMs: number }): Promise<readonly string[]>;
};
declare function saveDraft(): Promise<void>;

// --8<-- [start:basic]
const profileTimeout = timeout(800); // aggressive: reject at 800 ms and abort ctx.signal

export async function loadProfile(id: string): Promise<Profile | undefined> {
  try {
    return await profileTimeout.execute((ctx) => profileApi.get(id, { signal: ctx.signal }));
  } catch (error) {
    if (isTimeoutError(error)) return undefined; // error.duration === 800
    throw error;
  }
}
// --8<-- [end:basic]

// --8<-- [start:cooperative]
const saveTimeout = timeout({ duration: 5_000, strategy: 'cooperative', name: 'save-timeout' });

export async function save(): Promise<void> {
  // At 5 s the signal aborts; the call settles when saveDraft() does. If it still
  // succeeds, so does the call; if it fails, the call rejects with a TimeoutError whose
  // `cause` is that failure.
  await saveTimeout.execute(async (ctx) => {
    ctx.signal.addEventListener('abort', () => console.warn('save is late; asking it to stop'));
    await saveDraft();
  });
}
// --8<-- [end:cooperative]

// --8<-- [start:nesting]
const topScores = pipeline(
  timeout(1_000), // the whole call, retries included
  retry({ maxAttempts: 3 }),
  timeout(300), // each attempt; never past the 1 s above
);

export async function loadTopScores(requestDeadline: number): Promise<readonly string[]> {
  return topScores.execute(
    (ctx) =>
      // Tell the database how long it has left, so it gives up when we do.
      leaderboardDb.query('SELECT ...', { signal: ctx.signal, timeoutMs: ctx.remaining() }),
    { operation: 'leaderboard.top', deadline: requestDeadline }, // e.g. from the client's request
  );
}
// --8<-- [end:nesting]

// --8<-- [start:events]
profileTimeout.on(TimeoutEvents.timeout, (e) => {
  console.warn(`${e.operation}: timed out after ${e.effective} ms (configured ${e.duration} ms)`);
});
// --8<-- [end:events]

// --8<-- [start:stable-views]
declare const matchmaking: { poll(signal: AbortSignal): Promise<string | undefined> };

const findMatch = pipeline(retry({ maxAttempts: 2 }), timeout(5_000));

export function waitForMatch(): Promise<string> {
  return findMatch.execute(async (ctx) => {
    // This loop belongs to one attempt: when its timeout fires, ctx.signal aborts and
    // stays aborted, even while the next attempt runs with a signal of its own.
    while (!ctx.signal.aborted) {
      const match = await matchmaking.poll(ctx.signal);
      if (match !== undefined) return match;
    }
    throw new Error(`attempt ${ctx.attempt} gave up`);
  });
}
// --8<-- [end:stable-views]

// --8<-- [start:abort-on-settle]
declare const regions: readonly { ping(signal: AbortSignal): Promise<string> }[];

// The first region to answer wins; the others' pings are aborted when the call settles.
export const nearestRegion = (): Promise<string> =>
  pipeline(timeout(1_000)).execute((ctx) => Promise.any(regions.map((r) => r.ping(ctx.signal))), { abortOnSettle: true });
// --8<-- [end:abort-on-settle]
