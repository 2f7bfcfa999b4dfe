/**
 * Rules of the limit estimator that the policy-level tests leave unpinned (issue #23,
 * mutation testing), checked on the estimator itself with a scripted rule (a `LimitRule`
 * whose proposals the test chooses, and which records what it was asked): which calls are
 * timed, how a window is closed and summed up, how the proposal is clamped, how the no-load
 * latency follows windows and periods, when and how deep probes run and what their outcome
 * does, and the queueing check (Little's law) that undoes a cut when the dependency itself
 * became slower. Constants: windows of max(10, limit) samples, the first checkpoint after
 * window 2, then one per 40 windows, a repeated probe 2 windows later; probe margin 10 %,
 * response margin 15 %, in-flight drop 30 %.
 */
import { describe, expect, it } from 'vitest';
import type { LimitRule, RuleStep, WindowStats } from './algorithm';
import { LimitEstimator } from './estimator';

type Step = (limit: number, window: WindowStats, noLoad: number) => RuleStep;

/** The rule keeps the limit (no cut). */
const hold: Step = (limit) => ({ limit, cut: false });
/** The rule proposes `to`, not as a latency cut. */
const moveTo =
  (to: number): Step =>
  () => ({ limit: to, cut: false });
/** The rule proposes `to` as a cut for latency. */
const cutTo =
  (to: number): Step =>
  () => ({ limit: to, cut: true });

/** A rule whose next proposals are scripted (then it holds), and which records every question. */
class ScriptedRule implements LimitRule {
  readonly name = 'gradient2' as const;
  readonly asked: { limit: number; window: WindowStats; noLoad: number }[] = [];
  readonly script: Step[] = [];

  constructor(
    readonly usesNoLoad: boolean,
    readonly slowAfter = Number.POSITIVE_INFINITY,
  ) {}

  next(limit: number, window: WindowStats, noLoad: number): RuleStep {
    this.asked.push({ limit, window, noLoad });
    return (this.script.shift() ?? hold)(limit, window, noLoad);
  }

  describe(): Record<string, unknown> {
    return {};
  }
}

/** Feeds identical samples until one closes a window; returns how many it took. */
function closeWindow(e: LimitEstimator, latency: number, inFlight: number, failed = false): number {
  for (let n = 1; n <= 2_000; n++) if (e.sample(latency, inFlight, failed)) return n;
  throw new Error('the window never closed');
}

/** Closes windows of calls with the whole limit in flight until a probe starts; how many it took (Infinity: none within `most`). */
function windowsToProbe(e: LimitEstimator, latency: number, most = 100): number {
  for (let n = 1; n <= most; n++) {
    closeWindow(e, latency, e.limit);
    if (e.probing) return n;
  }
  return Number.POSITIVE_INFINITY;
}

/** An estimator under a rule that uses the no-load latency, after two windows at 10 ms with the whole limit in flight: its first probe runs. */
function probing(initialLimit = 20, minLimit = 1): { e: LimitEstimator; rule: ScriptedRule } {
  const rule = new ScriptedRule(true);
  const e = new LimitEstimator(rule, minLimit, 1_000, initialLimit);
  expect(windowsToProbe(e, 10)).toBe(2);
  expect(e.noLoadLatency).toBe(10);
  return { e, rule };
}

/** Runs the probe window: every sample at `latency`, with the probe's limit in flight. */
function probe(e: LimitEstimator, latency: number, failed = false): void {
  expect(e.probing).toBe(true);
  closeWindow(e, latency, e.probeLimit, failed);
  expect(e.probing).toBe(false);
}

describe('what the estimator reports', () => {
  it('starts at the initial limit, admits the whole of it, times calls from half of it rounded up, and knows no no-load latency', () => {
    const e = new LimitEstimator(new ScriptedRule(false), 1, 100, 11);
    expect(e.limit).toBe(11);
    expect(e.admissionLimit).toBe(11);
    expect(e.timedFrom).toBe(6);
    expect(e.noLoadLatency).toBeNaN();
    expect(e.lastLatency).toBeNaN();
    expect(e.probing).toBe(false);
  });

  it('the limit and the admission limit are the whole part of the estimate; timing starts at half the estimate, rounded up', () => {
    const rule = new ScriptedRule(false);
    const e = new LimitEstimator(rule, 1, 100, 11);
    rule.script.push(moveTo(12.7));
    closeWindow(e, 5, 11);
    expect(e.limit).toBe(12);
    expect(e.admissionLimit).toBe(12);
    expect(e.timedFrom).toBe(7);
  });
});

describe('which admitted calls are timed', () => {
  it('a call with at least half of the limit in flight (itself included) is timed; below that, one call in 32 is', () => {
    const e = new LimitEstimator(new ScriptedRule(false), 1, 100, 20);
    expect(e.wantsSample(10)).toBe(true);
    expect(e.wantsSample(25)).toBe(true);
    const below = Array.from({ length: 64 }, () => e.wantsSample(9));
    expect(below.flatMap((timed, i) => (timed ? [i + 1] : []))).toEqual([32, 64]);
  });

  it('during a probe every call is timed', () => {
    const { e } = probing();
    expect(e.timedFrom).toBe(0);
    expect(e.wantsSample(1)).toBe(true);
  });
});

describe('windows', () => {
  it('a window closes after max(10, limit) samples, and only the closing sample says so', () => {
    const big = new LimitEstimator(new ScriptedRule(false), 1, 100, 15);
    expect(closeWindow(big, 5, 15)).toBe(15);
    expect(closeWindow(big, 5, 15)).toBe(15);
    expect(closeWindow(new LimitEstimator(new ScriptedRule(false), 1, 100, 10), 5, 10)).toBe(10);
    expect(closeWindow(new LimitEstimator(new ScriptedRule(false), 1, 100, 5), 5, 5)).toBe(10);
  });

  it('sums up its samples: mean latency and in-flight of the latency samples, the most in flight, the drops (failures and samples slower than slowAfter) and every sample', () => {
    const rule = new ScriptedRule(false, 100);
    const e = new LimitEstimator(rule, 1, 100, 10);
    e.sample(50, 3, false);
    e.sample(100, 7, false); // as slow as slowAfter: not a drop
    e.sample(101, 5, false); // slower: a drop
    e.sample(20, 4, true); // a failure while no no-load latency is known: a drop, and no latency sample
    for (let i = 0; i < 6; i++) e.sample(50, 2, false);
    expect(rule.asked).toHaveLength(1);
    expect(rule.asked[0]?.window).toEqual({ latency: 551 / 9, meanInFlight: 27 / 9, maxInFlight: 7, drops: 2, samples: 10 });
    expect(e.lastLatency).toBe(551 / 9);
  });

  it('a failure counts in the window latency unless it was faster than the no-load latency', () => {
    const rule = new ScriptedRule(false);
    const e = new LimitEstimator(rule, 1, 100, 10);
    closeWindow(e, 50, 10);
    e.sample(49, 10, true);
    e.sample(50, 10, true);
    e.sample(80, 10, true);
    for (let i = 0; i < 7; i++) e.sample(50, 10, false);
    // the rule is asked with the no-load latency that already includes the window
    expect(rule.asked.map((q) => q.noLoad)).toEqual([50, 50]);
    expect(rule.asked[1]?.window).toEqual({ latency: 480 / 9, meanInFlight: 10, maxInFlight: 10, drops: 3, samples: 10 });
  });

  it('a window of fast failures only has no latency: the no-load latency stays unknown until a window has one', () => {
    const rule = new ScriptedRule(false);
    const e = new LimitEstimator(rule, 1, 100, 10);
    closeWindow(e, 1, 10, true);
    expect(rule.asked[0]?.window).toEqual({ latency: Number.NaN, meanInFlight: Number.NaN, maxInFlight: 10, drops: 10, samples: 10 });
    expect(e.lastLatency).toBeNaN();
    expect(e.noLoadLatency).toBeNaN();
    closeWindow(e, 5, 10);
    expect(e.noLoadLatency).toBe(5);
  });
});

describe('the estimate', () => {
  it('takes the rule’s proposal for the current estimate, clamped to [minLimit, maxLimit] (a NaN proposal falls to minLimit)', () => {
    const rule = new ScriptedRule(false);
    const e = new LimitEstimator(rule, 2, 100, 10);
    rule.script.push(moveTo(1), moveTo(Number.NaN), moveTo(500), moveTo(99.5), moveTo(2));
    const limits: number[] = [];
    for (let i = 0; i < 5; i++) {
      closeWindow(e, 5, e.limit);
      limits.push(e.limit);
    }
    expect(limits).toEqual([2, 2, 100, 99, 2]);
    expect(rule.asked.map((q) => q.limit)).toEqual([10, 2, 2, 100, 99.5]);
  });
});

describe('the no-load latency (a rule that does not use it: no probes)', () => {
  it('follows a faster window down at once, and not a slower one up', () => {
    const e = new LimitEstimator(new ScriptedRule(false), 1, 100, 10);
    const seen = [30, 20, 25].map((latency) => {
      closeWindow(e, latency, 10);
      return e.noLoadLatency;
    });
    expect(seen).toEqual([30, 20, 20]);
  });

  it('forgets lows older than a period: at each checkpoint (after window 2, then every 40 windows) the lowest of the period that ends becomes it', () => {
    const e = new LimitEstimator(new ScriptedRule(false), 1, 100, 10);
    closeWindow(e, 10, 10);
    closeWindow(e, 10, 10); // checkpoint: a new period
    for (let w = 3; w <= 41; w++) closeWindow(e, 30, 10);
    expect(e.noLoadLatency).toBe(10);
    closeWindow(e, 40, 10); // window 42, checkpoint: the period's lowest was 30
    expect(e.noLoadLatency).toBe(30);
    expect(e.probing).toBe(false);
  });

  it('a period without any latency keeps the no-load latency it had', () => {
    const e = new LimitEstimator(new ScriptedRule(false), 1, 100, 10);
    closeWindow(e, 10, 10);
    closeWindow(e, 10, 10);
    for (let w = 3; w <= 42; w++) closeWindow(e, 1, 10, true);
    expect(e.noLoadLatency).toBe(10);
  });
});

describe('probes (a rule that uses the no-load latency)', () => {
  it('the first one starts after window 2 of calls that used the limit: admission falls to half the limit, the limit stays', () => {
    const { e } = probing(20);
    expect(e.probeLimit).toBe(10);
    expect(e.admissionLimit).toBe(10);
    expect(e.limit).toBe(20);
  });

  it('admits minLimit at least', () => {
    const { e } = probing(20, 15);
    expect(e.admissionLimit).toBe(15);
  });

  it('none when the rule does not use the no-load latency', () => {
    const e = new LimitEstimator(new ScriptedRule(false), 1, 1_000, 20);
    expect(windowsToProbe(e, 10, 45)).toBe(Number.POSITIVE_INFINITY);
  });

  it('none at a checkpoint whose window did not use the limit (fewer than half in flight): the next chance is a period later', () => {
    const e = new LimitEstimator(new ScriptedRule(true), 1, 1_000, 20);
    closeWindow(e, 10, 9);
    closeWindow(e, 10, 9);
    expect(e.probing).toBe(false);
    expect(windowsToProbe(e, 10)).toBe(40);
  });

  it('none when the probe would admit the whole limit (minLimit is the limit)', () => {
    const e = new LimitEstimator(new ScriptedRule(true), 20, 1_000, 20);
    expect(windowsToProbe(e, 10, 45)).toBe(Number.POSITIVE_INFINITY);
  });

  it('a probe window counts only calls admitted under the probe, closes after max(10, probe limit) of them, and does not ask the rule', () => {
    const { e, rule } = probing(30);
    expect(e.probeLimit).toBe(15);
    expect(e.sample(10, 16, false)).toBe(false);
    expect(closeWindow(e, 12, 15)).toBe(15);
    expect(e.probing).toBe(false);
    expect(rule.asked).toHaveLength(2);
    expect(e.limit).toBe(30);
    expect(e.lastLatency).toBe(12);

    const small = probing(20).e;
    expect(closeWindow(small, 10, 10)).toBe(10);
  });

  it('one within 10 % of the no-load latency (up to 1.1 ×) confirms it: the next probe comes 40 windows later, at half the limit', () => {
    const { e } = probing();
    probe(e, 11);
    expect(e.noLoadLatency).toBe(10);
    expect(windowsToProbe(e, 10)).toBe(40);
    expect(e.probeLimit).toBe(10);
  });

  it('one exactly 10 % lower also confirms: its latency is taken, the next probe comes a period later at half the limit', () => {
    const { e } = probing();
    probe(e, 9);
    expect(e.noLoadLatency).toBe(9);
    expect(windowsToProbe(e, 10)).toBe(40);
    expect(e.probeLimit).toBe(10);
  });

  it('one more than 10 % lower is taken, and probed again two windows later, twice as deep; a confirmation resets the depth', () => {
    const { e } = probing();
    probe(e, 8);
    expect(e.noLoadLatency).toBe(8);
    expect(windowsToProbe(e, 10)).toBe(2);
    expect(e.probeLimit).toBe(5);
    expect(closeWindow(e, 8, 5)).toBe(10);
    expect(windowsToProbe(e, 10)).toBe(40);
    expect(e.probeLimit).toBe(10);
  });

  it('goes twice as deep each time, down to 1/64 of the limit', () => {
    const { e } = ((): { e: LimitEstimator } => {
      const rule = new ScriptedRule(true);
      const est = new LimitEstimator(rule, 1, 1_000, 640);
      expect(windowsToProbe(est, 1_000)).toBe(2);
      return { e: est };
    })();
    const limits: number[] = [];
    for (const latency of [500, 400, 300, 200, 100, 50, 25]) {
      limits.push(e.probeLimit);
      probe(e, latency);
      if (latency > 25) expect(windowsToProbe(e, 1_000)).toBe(2);
    }
    expect(limits).toEqual([320, 160, 80, 40, 20, 10, 10]);
  });

  it('one more than 10 % higher leaves the no-load latency, and is repeated two windows later, twice as deep', () => {
    const { e } = probing();
    probe(e, 20);
    expect(e.noLoadLatency).toBe(10);
    expect(windowsToProbe(e, 30)).toBe(2);
    expect(e.probeLimit).toBe(5);
  });

  it('a repeated high probe within 15 % of the first (down to 0.85 ×) says nothing was queueing: the lower reading is adopted and the next probe is a period later', () => {
    for (const [second, adopted] of [
      [18, 18],
      [17, 17],
      [25, 20],
    ] as const) {
      const { e } = probing();
      probe(e, 20);
      windowsToProbe(e, 30);
      probe(e, second);
      expect(e.noLoadLatency).toBe(adopted);
      expect(windowsToProbe(e, 30)).toBe(40);
      expect(e.probeLimit).toBe(10);
    }
  });

  it('a repeated high probe more than 15 % lower is repeated again, deeper, and compared with that latest reading', () => {
    const { e } = probing();
    probe(e, 20);
    windowsToProbe(e, 30);
    probe(e, 16);
    expect(e.noLoadLatency).toBe(10);
    expect(windowsToProbe(e, 30)).toBe(2);
    expect(e.probeLimit).toBe(2);
    probe(e, 15);
    expect(e.noLoadLatency).toBe(15);
  });

  it('a probe window without a latency above 0 changes nothing: the next probe comes a period later, at the same depth', () => {
    for (const [latency, failed] of [
      [0, false],
      [1, true],
    ] as const) {
      const { e } = probing();
      probe(e, latency, failed);
      expect(e.noLoadLatency).toBe(10);
      expect(windowsToProbe(e, 10)).toBe(40);
      expect(e.probeLimit).toBe(10);
    }
  });

  it('a probe before any latency is known takes its latency as the no-load latency', () => {
    const e = new LimitEstimator(new ScriptedRule(true), 1, 1_000, 20);
    closeWindow(e, 1, 20, true);
    closeWindow(e, 1, 20, true);
    expect(e.noLoadLatency).toBeNaN();
    probe(e, 5);
    expect(e.noLoadLatency).toBe(5);
    expect(windowsToProbe(e, 10)).toBe(40);
  });
});

describe('the queueing check (Little’s law), under a rule that does not probe', () => {
  /** An estimator at limit 40 whose no-load latency is 10 ms, past its first checkpoint. */
  function warm(initialLimit = 40, minLimit = 1): { e: LimitEstimator; rule: ScriptedRule } {
    const rule = new ScriptedRule(false);
    const e = new LimitEstimator(rule, minLimit, 100, initialLimit);
    closeWindow(e, 10, initialLimit);
    closeWindow(e, 10, initialLimit);
    return { e, rule };
  }

  /** A window whose samples all have `latency` and `inFlight`, after which the rule proposes `step`. */
  function windowThen(e: LimitEstimator, rule: ScriptedRule, step: Step, latency: number, inFlight: number): void {
    rule.script.push(step);
    closeWindow(e, latency, inFlight);
  }

  it('after a cut, calls in flight down by 30 % with latency not down by 15 %: the dependency is slower; its latency is the no-load latency and the limit goes back', () => {
    const { e, rule } = warm();
    windowThen(e, rule, cutTo(30), 100, 40);
    expect(e.limit).toBe(30);
    windowThen(e, rule, cutTo(20), 100, 28);
    expect(e.limit).toBe(40);
    expect(e.noLoadLatency).toBe(100);
  });

  it('a latency down by 15 % or more was the limiter’s own queueing: the cut stands and that window is the new reference', () => {
    const { e, rule } = warm();
    windowThen(e, rule, cutTo(30), 100, 40);
    windowThen(e, rule, cutTo(20), 85, 28);
    expect(e.limit).toBe(20);
    expect(e.noLoadLatency).toBe(10);
    // 19 ≤ 0.7 × 28 and 85 > 0.85 × 85: back to the estimate before the reference window
    windowThen(e, rule, cutTo(15), 85, 19);
    expect(e.limit).toBe(30);
    expect(e.noLoadLatency).toBe(85);
  });

  it('while the calls in flight have not fallen by 30 %, the cut stands and the reference is kept', () => {
    const { e, rule } = warm();
    windowThen(e, rule, cutTo(30), 100, 40);
    windowThen(e, rule, cutTo(25), 100, 29);
    expect(e.limit).toBe(25);
    expect(e.noLoadLatency).toBe(10);
    windowThen(e, rule, cutTo(20), 100, 28);
    expect(e.limit).toBe(40);
    expect(e.noLoadLatency).toBe(100);
  });

  it('with few calls, falling to minLimit in flight counts as the 30 % drop', () => {
    const { e, rule } = warm(4, 3);
    windowThen(e, rule, cutTo(3), 100, 4);
    windowThen(e, rule, cutTo(3), 100, 3);
    expect(e.limit).toBe(4);
    expect(e.noLoadLatency).toBe(100);
  });

  it('a latency that rose beyond the response margin (more than 1 / 0.85 ×) since the reference makes a new reference', () => {
    const { e, rule } = warm();
    windowThen(e, rule, cutTo(30), 100, 40);
    windowThen(e, rule, cutTo(20), 200, 28);
    expect(e.limit).toBe(20);
    expect(e.noLoadLatency).toBe(10);
    windowThen(e, rule, cutTo(15), 200, 19);
    expect(e.limit).toBe(30);
    expect(e.noLoadLatency).toBe(200);
  });

  it('a latency that rose exactly to 1 / 0.85 × the reference keeps the reference', () => {
    const { e, rule } = warm();
    windowThen(e, rule, cutTo(30), 85, 40);
    windowThen(e, rule, cutTo(20), 100, 28);
    expect(e.limit).toBe(40);
    expect(e.noLoadLatency).toBe(100);
  });

  it('a window the rule does not cut for latency drops the reference', () => {
    const { e, rule } = warm();
    windowThen(e, rule, cutTo(30), 100, 40);
    windowThen(e, rule, hold, 100, 28);
    expect(e.limit).toBe(30);
    expect(e.noLoadLatency).toBe(10);
    windowThen(e, rule, cutTo(20), 100, 28);
    expect(e.limit).toBe(20);
    expect(e.noLoadLatency).toBe(10);
  });

  it('a restored limit is never below the proposal', () => {
    const { e, rule } = warm();
    windowThen(e, rule, cutTo(30), 100, 40);
    windowThen(e, rule, cutTo(50), 100, 28);
    expect(e.limit).toBe(50);
  });
});
