/**
 * What the drill's load calls count as a broken answer (shared by every experiment).
 */
import type { HttpAnswer } from './client';

/** Thrown by a load call whose answer a player would call broken. */
export class BadAnswerError extends Error {
  constructor(
    readonly route: string,
    readonly status: number,
  ) {
    super(`${route} answered ${status}`);
    this.name = 'BadAnswerError';
  }
}

/** A 5xx, or any status the route lists as a failure, fails the load call. */
export function expectOk(route: string, answer: HttpAnswer, alsoFailures: readonly number[] = []): HttpAnswer {
  if (answer.status >= 500 || alsoFailures.includes(answer.status)) throw new BadAnswerError(route, answer.status);
  return answer;
}
