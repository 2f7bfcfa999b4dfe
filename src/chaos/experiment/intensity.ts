/**
 * The fault intensity dial that the experiment runner turns during the ramp.
 *
 * @packageDocumentation
 */
import type { Clock } from '../../core/clock';

/**
 * A dial from 0 to 1 that the runner turns during the ramp: give faults a rate made by
 * {@link FaultIntensity.scale} and pass the dial as the experiment's `intensity`. Outside
 * an experiment the level is 1.
 *
 * @example
 * ```ts
 * const intensity = faultIntensity();
 * const errors = faultInjection({ rate: intensity.scale(0.5) }); // 0 → 0.5 during the ramp
 * await runExperiment({ ...experiment, faults: [errors], intensity, schedule: { ...schedule, ramp: 10_000 } });
 * ```
 */
export class FaultIntensity {
  private clock: Clock | undefined = undefined;
  private from = 0;
  private to = 0;
  private fixed = 1;

  /** The current level, 0–1. */
  get level(): number {
    const c = this.clock;
    if (c === undefined) return this.fixed;
    const t = c.now();
    if (t >= this.to) return 1;
    if (t <= this.from) return 0;
    return (t - this.from) / (this.to - this.from);
  }

  /** A rate function for a fault's `rate` option: `max × level`. */
  scale(max: number): () => number {
    if (!(typeof max === 'number' && max >= 0 && max <= 1)) throw new RangeError(`FaultIntensity.scale() expects a rate in [0, 1], got ${String(max)}`);
    return () => max * this.level;
  }

  /** @internal Ramps linearly from `from` to `to` (clock times). */
  ramp(clock: Clock, from: number, to: number): void {
    this.clock = clock;
    this.from = from;
    this.to = to;
  }

  /** @internal Holds a fixed level. */
  set(level: number): void {
    this.clock = undefined;
    this.fixed = level;
  }
}

/**
 * Creates a {@link FaultIntensity} dial.
 *
 * @example
 * ```ts
 * const intensity = faultIntensity();
 * const slow = paymentGatewaySlow({ rate: intensity.scale(0.5) });
 * ```
 */
export function faultIntensity(): FaultIntensity {
  return new FaultIntensity();
}
