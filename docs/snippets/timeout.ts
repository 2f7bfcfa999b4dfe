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
