/**
 * The one-clock rule of a pipeline: its own `clock` option and every clock its policies pin
 * must be one time source.
 *
 * @packageDocumentation
 */
import { isSystemClock, sameClock, type Clock } from './clock';
import { OptionsValidationError } from './errors';

/** What the rule needs to know of a policy. */
interface ClockedPolicy {
  readonly kind: string;
  readonly name: string;
  readonly clock: Clock;
  readonly pinnedClock: Clock | undefined;
}

/**
 * @internal The one clock a pipeline runs on: its own `clock` option and every clock its
 * policies pin must be the same object. A breaker built without `clock` pins the system
 * clock, so `pipeline({ clock: virtual }, circuitBreaker())` is refused rather than run
 * with the breaker on wall time and the rest on virtual time.
 */
export function oneClock(own: Clock | undefined, policies: readonly ClockedPolicy[]): Clock | undefined {
  let chosen = own;
  let from = 'the pipeline (its `clock` option)';
  for (let i = 0; i < policies.length; i++) {
    const p = policies[i] as ClockedPolicy;
    const c = p.pinnedClock;
    if (c === undefined) continue;
    if (chosen === undefined) {
      chosen = c;
      from = `policies[${i}]`;
    } else if (!sameClock(c, chosen)) {
      throw new OptionsValidationError('pipeline', [
        {
          path: `policies[${i}].clock`,
          value: describeClockOf(p),
          expected: `the clock of ${from}: a pipeline runs on one clock, so give the same \`clock\` to the pipeline and to every policy that keeps time across calls (circuitBreaker, chaos faults, a retry with a budget), or to none of them`,
        },
      ]);
    }
  }
  return chosen;
}

function describeClockOf(p: ClockedPolicy): string {
  return `${p.kind} '${p.name}' on ${isSystemClock(p.clock) ? 'the system clock' : 'another clock'}`;
}
