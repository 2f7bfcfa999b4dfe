/**
 * Latency distributions for `latencyInjection` (and `exhaustion`'s hold time): fixed,
 * uniform, normal, lognormal and empirical. Each draws from an injected {@link Random},
 * so a seeded random replays the same delays.
 *
 * @packageDocumentation
 */
import type { Random } from '../core/random';
import { rules, validateOptions } from '../core/validation';
import type { ValidationIssue } from '../core/errors';

/**
 * A distribution of delays in milliseconds. Every sample is a finite number ≥ 0.
 *
 * @example
 * ```ts
 * const slow = distributions.lognormal({ median: 120, p99: 2_000 });
 * slow.sample(seededRandom(1)); // a delay in ms
 * ```
 */
export interface LatencyDistribution {
  /** `'fixed'`, `'uniform'`, `'normal'`, `'lognormal'` or `'empirical'`. */
  readonly kind: string;
  /** Expected value of a sample in ms (after clamping, where the distribution clamps). */
  readonly mean: number;
  /** Smallest possible sample (ms). */
  readonly min: number;
  /** Largest possible sample (ms); `Infinity` when unbounded. */
  readonly max: number;
  /** Draws one delay (ms) using `random`. */
  sample(random: Random): number;
  /** A plain description (for `describe()` and journals). */
  describe(): Readonly<Record<string, unknown>>;
}

/** Options of {@link distributions.normal}. */
export interface NormalOptions {
  /** Mean in ms. */
  readonly mean: number;
  /** Standard deviation in ms. */
  readonly stdDev: number;
  /** Samples below are clamped up to it. @defaultValue 0 */
  readonly min?: number | undefined;
  /** Samples above are clamped down to it. @defaultValue `Infinity` */
  readonly max?: number | undefined;
}

/**
 * Options of {@link distributions.lognormal}: either `median` and `p99` (the natural way
 * to describe a slow dependency), or the log-space `mu` and `sigma`.
 */
export type LognormalOptions =
  | {
      /** Median delay in ms (> 0): half the samples are below it. */
      readonly median: number;
      /** 99th-percentile delay in ms (≥ `median`). */
      readonly p99: number;
      /** Samples above are clamped down to it (ms). @defaultValue `Infinity` */
      readonly max?: number | undefined;
    }
  | {
      /** Mean of the underlying normal, i.e. of `ln(delay in ms)`; `exp(mu)` is the median in ms. */
      readonly mu: number;
      /** Standard deviation of the underlying normal (≥ 0). */
      readonly sigma: number;
      /** Samples above are clamped down to it (ms). @defaultValue `Infinity` */
      readonly max?: number | undefined;
    };

/** z-score of the 99th percentile of the standard normal distribution. */
const Z99 = 2.3263478740408408;

/** A standard normal draw (Box–Muller) from two uniform draws. */
function standardNormal(random: Random): number {
  let u = random();
  if (!(u > 0)) u = Number.MIN_VALUE; // log(0) guard
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function clamp(x: number, min: number, max: number): number {
  return x < min ? min : x > max ? max : x;
}

/** Standard normal pdf and cdf (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
function pdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}
function cdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Mean of N(mu, sd) clamped to [a, b] (censored, not truncated). */
function clampedNormalMean(mu: number, sd: number, a: number, b: number): number {
  if (sd === 0) return clamp(mu, a, b);
  const alpha = (a - mu) / sd;
  const beta = b === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : (b - mu) / sd;
  const Fa = cdf(alpha);
  const Fb = beta === Number.POSITIVE_INFINITY ? 1 : cdf(beta);
  const inner = mu * (Fb - Fa) + sd * (pdf(alpha) - (beta === Number.POSITIVE_INFINITY ? 0 : pdf(beta)));
  return a * Fa + inner + (b === Number.POSITIVE_INFINITY ? 0 : b * (1 - Fb));
}

const nonNegative = rules.number(0);

/**
 * Ready-made latency distributions. All validate their parameters at once
 * (`OptionsValidationError`) and never return a negative or non-finite delay.
 *
 * @example
 * ```ts
 * latencyInjection({ latency: distributions.uniform(50, 250), rate: 0.2 });
 * latencyInjection({ latency: distributions.lognormal({ median: 80, p99: 1_500 }) });
 * latencyInjection({ latency: distributions.empirical([12, 15, 18, 40, 900]) });
 * ```
 */
export const distributions = {
  /** Always `ms`. */
  fixed(ms: number): LatencyDistribution {
    validateOptions('fixed latency', { ms }, { ms: rules.required(nonNegative) });
    return { kind: 'fixed', mean: ms, min: ms, max: ms, sample: () => ms, describe: () => ({ kind: 'fixed', ms }) };
  },

  /** Uniform in [`min`, `max`). */
  uniform(min: number, max: number): LatencyDistribution {
    validateOptions<{ min: number; max: number }>('uniform latency', { min, max }, { min: rules.required(nonNegative), max: rules.required(nonNegative) }, (o, issues) => {
      if (o.max < o.min) issues.push({ path: 'max', value: o.max, expected: `≥ min (${o.min})` });
    });
    const width = max - min;
    return {
      kind: 'uniform',
      mean: min + width / 2,
      min,
      max,
      sample: (random) => min + width * random(),
      describe: () => ({ kind: 'uniform', min, max }),
    };
  },

  /** Normal with `mean` and `stdDev`, clamped to [`min` (default 0), `max`]. */
  normal(options: NormalOptions): LatencyDistribution {
    const o = validateOptions<NormalOptions>(
      'normal latency',
      options,
      { mean: rules.required(nonNegative), stdDev: rules.required(nonNegative), min: nonNegative, max: rules.number(0, Number.POSITIVE_INFINITY, { allowInfinity: true }) },
      (v, issues) => {
        if ((v.max ?? Number.POSITIVE_INFINITY) < (v.min ?? 0)) issues.push({ path: 'max', value: v.max, expected: `≥ min (${v.min ?? 0})` });
      },
    );
    const { mean, stdDev } = o;
    const lo = o.min ?? 0;
    const hi = o.max ?? Number.POSITIVE_INFINITY;
    return {
      kind: 'normal',
      mean: clampedNormalMean(mean, stdDev, lo, hi),
      min: lo,
      max: hi,
      sample: (random) => clamp(mean + stdDev * standardNormal(random), lo, hi),
      describe: () => ({ kind: 'normal', mean, stdDev, min: lo, max: hi }),
    };
  },

  /**
   * Lognormal: the long-tailed shape of real service latency (most calls near the
   * median, a few very slow). Give `median` and `p99` in ms, or `mu` and `sigma` of the
   * underlying normal. `max` clamps the tail. @defaultValue `max`: `Infinity`
   */
  lognormal(options: LognormalOptions): LatencyDistribution {
    const input = options as Record<string, unknown>;
    const byQuantiles = input['median'] !== undefined || input['p99'] !== undefined;
    const o = validateOptions<{ median?: number; p99?: number; mu?: number; sigma?: number; max?: number }>(
      'lognormal latency',
      options,
      byQuantiles
        ? { median: rules.required(rules.number(0, Number.POSITIVE_INFINITY, { exclusiveMin: true })), p99: rules.required(rules.number(0, Number.POSITIVE_INFINITY, { exclusiveMin: true })), max: rules.number(0, Number.POSITIVE_INFINITY, { allowInfinity: true }) }
        : { mu: rules.required(rules.number()), sigma: rules.required(nonNegative), max: rules.number(0, Number.POSITIVE_INFINITY, { allowInfinity: true }) },
      (v, issues: ValidationIssue[]) => {
        if (byQuantiles && (v.p99 as number) < (v.median as number)) issues.push({ path: 'p99', value: v.p99, expected: `≥ median (${v.median})` });
      },
    );
    const mu = byQuantiles ? Math.log(o.median as number) : (o.mu as number);
    const sigma = byQuantiles ? (Math.log(o.p99 as number) - mu) / Z99 : (o.sigma as number);
    const hi = o.max ?? Number.POSITIVE_INFINITY;
    // Mean of min(X, hi) for X ~ LogNormal(mu, sigma).
    let mean: number;
    if (hi === Number.POSITIVE_INFINITY) mean = Math.exp(mu + (sigma * sigma) / 2);
    else if (sigma === 0) mean = Math.min(Math.exp(mu), hi);
    else {
      const z = (Math.log(hi) - mu) / sigma;
      mean = Math.exp(mu + (sigma * sigma) / 2) * cdf(z - sigma) + hi * (1 - cdf(z));
    }
    return {
      kind: 'lognormal',
      mean,
      min: 0,
      max: hi,
      sample: (random) => {
        const x = Math.exp(mu + sigma * standardNormal(random));
        return x > hi ? hi : Number.isFinite(x) ? x : hi === Number.POSITIVE_INFINITY ? Number.MAX_VALUE : hi;
      },
      describe: () => ({ kind: 'lognormal', mu, sigma, median: Math.exp(mu), p99: Math.exp(mu + Z99 * sigma), max: hi }),
    };
  },

  /**
   * Picks one of `samples` uniformly at random: replay delays measured in production
   * (for example a day's p50…p99.9 latencies of the payment gateway).
   */
  empirical(samples: readonly number[]): LatencyDistribution {
    validateOptions('empirical latency', { samples }, { samples: rules.required(rules.arrayOf(nonNegative, { minLength: 1 })) });
    const copy = Object.freeze([...samples]);
    const n = copy.length;
    let sum = 0;
    let lo = Number.POSITIVE_INFINITY;
    let hi = 0;
    for (const s of copy) {
      sum += s;
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    return {
      kind: 'empirical',
      mean: sum / n,
      min: lo,
      max: hi,
      sample: (random) => copy[Math.min(n - 1, Math.floor(random() * n))] as number,
      describe: () => ({ kind: 'empirical', samples: n, min: lo, max: hi }),
    };
  },
} as const;

/** @internal Is `value` shaped like a {@link LatencyDistribution}? */
export function isLatencyDistribution(value: unknown): value is LatencyDistribution {
  return typeof value === 'object' && value !== null && typeof (value as { sample?: unknown }).sample === 'function';
}
