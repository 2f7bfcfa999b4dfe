/**
 * Open-circuit rejection: each library's breaker forced open, the call rejected and the
 * rejection caught by the timing loop. A bare rejected await is the reference.
 *
 * @packageDocumentation
 */
import type { CallCase } from '../harness';
import { immediate } from '../fns';
import { cockatielBreaker, opossumBreaker } from './peers';

const PREMADE = new Error('premade');

/** The reference and the peers' open-circuit rejections. */
export function peerRejectionCases(): CallCase[] {
  const fn = immediate.fn;
  const cb = cockatielBreaker();
  cb.isolate(); // forced open: every call rejects with IsolatedCircuitError
  const ob = opossumBreaker(fn, 2000);
  ob.open(); // forced open: fire() rejects with `Breaker is open`
  const g = 'open circuit';
  return [
    {
      id: 'bare.reject',
      group: g,
      label: 'bare rejected await (`async () => { throw premade }`)',
      op: async () => {
        throw PREMADE;
      },
      rejects: true,
    },
    { id: 'cockatiel.open', group: g, label: 'cockatiel circuitBreaker, isolated', op: () => cb.execute(fn), rejects: true },
    { id: 'opossum.open', group: g, label: 'opossum breaker, opened', op: () => ob.fire(), rejects: true },
  ];
}
