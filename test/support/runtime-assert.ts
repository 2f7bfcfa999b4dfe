/**
 * The tiny, self-contained assertion helper of the runtime suite (`test/runtimes/`). The
 * checks run inside Bun, Deno, headless Chromium and Node, where vitest is not available:
 * this file uses nothing but the language (no Node API, no package), so it runs wherever
 * the library is meant to run.
 */

/** Thrown by a failed assertion; its message says what was expected and what came. */
export class RuntimeAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeAssertionError';
  }
}

/** A short, stable rendering of any value for failure messages (JSON where it can). */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || value === undefined || value === null) {
    return String(value);
  }
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Passes when `condition` is truthy. */
export function ok(condition: unknown, message: string): asserts condition {
  if (!condition) throw new RuntimeAssertionError(message);
}

/** Passes when `actual` and `expected` are the same value (`Object.is`). */
export function equal<T>(actual: T, expected: T, what: string): void {
  if (!Object.is(actual, expected)) throw new RuntimeAssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Structural equality of plain data: primitives, arrays and plain objects (key order ignored). */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameData(v, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Passes when `actual` equals `expected` as plain data (see {@link sameData}). */
export function deepEqual(actual: unknown, expected: unknown, what: string): void {
  if (!sameData(actual, expected)) throw new RuntimeAssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Passes when `text` contains `part`. */
export function includes(text: string, part: string, what: string): void {
  if (!text.includes(part)) throw new RuntimeAssertionError(`${what}: expected to contain ${show(part)}, got ${show(text.length > 400 ? `${text.slice(0, 400)}…` : text)}`);
}

/**
 * Awaits `promise`, which must reject; returns the rejection for further checks. `what`
 * names the call in the failure message.
 */
export async function rejects(promise: Promise<unknown>, what: string): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new RuntimeAssertionError(`${what}: expected a rejection, got the value ${show(value)}`);
}

/** Calls `fn`, which must throw; returns the thrown value. */
export function throws(fn: () => unknown, what: string): unknown {
  let value: unknown;
  try {
    value = fn();
  } catch (error) {
    return error;
  }
  throw new RuntimeAssertionError(`${what}: expected a throw, got ${show(value)}`);
}

/**
 * A short digest of `text`, equal on every runtime for equal text (FNV-1a over UTF-16 code
 * units): rendered output reported as a fact, so runtimes can be compared without shipping it.
 */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
