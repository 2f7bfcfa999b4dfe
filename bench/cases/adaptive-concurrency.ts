/**
 * Adaptive concurrency cases (issue 17): a call through the adaptive limit next to the
 * bulkhead call of `bwCallCases` (`bw.bulkhead`, 64 slots). Two cases:
 *
 * - `bw.adaptiveConcurrency`: the limit is not in play (one call at a time under a limit of
 *   64), which is the path the target is about: one call in 32 reads the clock.
 * - `bw.adaptiveConcurrencyTimed`: a limit of 1, always in play, so every call is timed (two
 *   clock reads, the classification of its outcome and a window sample): what a call costs
 *   while the limit is doing its job.
 *
 * @packageDocumentation
 */
import { adaptiveConcurrency } from '../../src/adaptive-concurrency/index';
import type { CallCase } from '../harness';
import type { Workload } from '../fns';
import { perCallText, type Results, type Target } from '../targets';

/** Adaptive-limit calls on the success path, for one function variant. */
export function acCallCases(w: Workload): CallCase[] {
  const fn = w.fn;
  const idle = adaptiveConcurrency({ initialLimit: 64, minLimit: 1, maxLimit: 1_000 });
  const timed = adaptiveConcurrency({ initialLimit: 1, minLimit: 1, maxLimit: 1 });
  const g = 'breakwater';
  return [
    { id: `bw.adaptiveConcurrency@${w.id}`, group: g, label: 'breakwater adaptiveConcurrency (gradient2; limit not in play: 1 call in 32 timed)', op: () => idle.execute(fn) },
    { id: `bw.adaptiveConcurrencyTimed@${w.id}`, group: g, label: 'breakwater adaptiveConcurrency (limit in play: every call timed)', op: () => timed.execute(fn) },
  ];
}

const ns = (r: Results, id: string): number | undefined => r.calls.get(id)?.nsPerOp;
const q = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : a / b);
const nsText = perCallText;
const times = (v: number): string => `${v.toFixed(2)}×`;

/** The adaptive concurrency target (the timed case is in the per-call table, for reference). */
export function acTargets(): Target[] {
  const a = 'bw.adaptiveConcurrency@immediate';
  const b = 'bw.bulkhead@immediate';
  return [
    {
      label: 'breakwater adaptiveConcurrency ÷ breakwater bulkhead',
      goal: '≤ 1.2×',
      value: (r) => q(ns(r, a), ns(r, b)),
      operands: (r) => `${nsText(ns(r, a))} ÷ ${nsText(ns(r, b))}`,
      format: times,
      pass: (v) => v <= 1.2,
    },
  ];
}
