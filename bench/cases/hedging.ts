/**
 * Hedging cases (issue 17): a hedged call that the first attempt answers before the delay
 * (the common case: hedging on, nothing hedged), next to a timeout call, which does the
 * same bookkeeping (a clock read, one timer-service entry scheduled and cancelled, one
 * child cancellation scope). Also an adaptive-delay call (its latency window recorded on
 * every call). Target: the hedged call costs ≤ 1.5× the timeout call.
 *
 * @packageDocumentation
 */
import { hedging } from '../../src/hedging/index';
import { timeout } from '../../src/timeout/index';
import type { CallCase } from '../harness';
import type { Workload } from '../fns';
import { perCallText, type Results, type Target } from '../targets';

/** A delay no benchmark call reaches: the first attempt always answers before it. */
const DELAY_MS = 2_000;

/** Per-call hedging cases for one function variant. */
export function hedgingCallCases(w: Workload): CallCase[] {
  const fn = w.fn;
  const t = timeout(DELAY_MS);
  const fixed = hedging({ delay: DELAY_MS });
  // The delay stays 2 s (warm-up, then raised to `min`), while every call records its latency.
  const adaptive = hedging({ delay: { percentile: 95, window: 500, warmUpDelay: DELAY_MS, min: DELAY_MS } });
  const g = 'hedging';
  return [
    { id: `bw.timeout.forHedging@${w.id}`, group: g, label: 'breakwater timeout (2 s), the yardstick', op: () => t.execute(fn) },
    { id: `bw.hedging@${w.id}`, group: g, label: 'breakwater hedging (delay 2 s), answered by the first attempt', op: () => fixed.execute(fn) },
    {
      id: `bw.hedgingAdaptive@${w.id}`,
      group: g,
      label: 'breakwater hedging (adaptive p95 over 500 latencies), answered by the first attempt',
      op: () => adaptive.execute(fn),
    },
  ];
}

const ns = (r: Results, id: string): number | undefined => r.calls.get(id)?.nsPerOp;
const q = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : a / b);
const nsText = perCallText;
const times = (v: number): string => `${v.toFixed(2)}×`;

/** The hedging target, on `async () => 1`. */
export function hedgingTargets(): Target[] {
  const hedged = 'bw.hedging@immediate';
  const yardstick = 'bw.timeout.forHedging@immediate';
  return [
    {
      label: 'breakwater hedging, answered before the delay ÷ breakwater timeout',
      goal: '≤ 1.5×',
      value: (r) => q(ns(r, hedged), ns(r, yardstick)),
      operands: (r) => `${nsText(ns(r, hedged))} ÷ ${nsText(ns(r, yardstick))}`,
      format: times,
      pass: (v) => v <= 1.5,
    },
  ];
}
