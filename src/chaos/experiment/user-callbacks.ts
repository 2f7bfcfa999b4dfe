/**
 * The one place where the experiment runner guards the user's callbacks (observers,
 * `load.operation`, `wallClock`, breakers' subscriptions) and words their errors: an error
 * they throw never breaks an experiment, and is reported (`onCallbackError`).
 *
 * @packageDocumentation
 */
import { reportInternalError } from '../../core/report';

/** Runs `fn`; what it throws is reported, never thrown (observers must not break an experiment). */
export function safely(fn: () => void, what = 'an experiment observer'): void {
  try {
    fn();
  } catch (error) {
    reportInternalError(error, what);
  }
}

/** `Name: message` of an error, for the journal. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return String(error);
  } catch {
    return 'unknown error';
  }
}

/** The operation of call `index` (`'default'` when the function throws or returns no name). */
export function safeOperation(fn: (index: number) => string, index: number): string {
  try {
    const op = fn(index);
    return typeof op === 'string' && op !== '' ? op : 'default';
  } catch (error) {
    reportInternalError(error, 'load.operation');
    return 'default';
  }
}

/** The wall clock's time as an ISO date, or `null` when it throws or is not a valid time. */
export function safeIso(wallClock: () => number): string | null {
  try {
    return new Date(wallClock()).toISOString();
  } catch (error) {
    reportInternalError(error, 'wallClock');
    return null;
  }
}
