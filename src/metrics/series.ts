/**
 * The counters of each series (pipeline, policy, operation, label set) and the table that
 * finds an event's series under the cardinality caps.
 *
 * @packageDocumentation
 */
import { EMPTY_LABELS, type Labels } from '../core/context';
import type { ResilienceEvent } from '../core/events';
import type { AvailabilityWindow } from './availability-window';
import type { LogHistogram } from './histogram';
import { CallOutcomes, OVERFLOW_VALUE } from './names';
import type { SeriesKey } from './snapshot';

/** @internal What is counted for one series; each policy kind fills its own part. */
export class Series {
  // calls (executed events)
  executed = false;
  readonly outcomes = new Float64Array(CallOutcomes.length);
  readonly rejections = new Map<string, number>();
  duration: LogHistogram | undefined = undefined;
  window: AvailabilityWindow | undefined = undefined;
  // rejections made by this policy (breaker, bulkhead, rate limiter), by reason
  readonly rejected = new Map<string, number>();
  // rate limiter: calls admitted (at once or after a wait)
  admitted = 0;
  // retry
  retrySeen = false;
  retries = 0;
  readonly giveUps = new Map<string, number>();
  budgetExhausted = 0;
  // timeout
  timeouts = 0;
  // fallback
  fallbackSeen = false;
  readonly tiers = new Map<string, number>();
  fallbackExhausted = 0;
  // chaos: key fault + '\u0000' + kind
  readonly injections = new Map<string, number>();
  // hedging: hedges started keyed attempt + '\u0000' + trigger, wins keyed by attempt
  hedgingSeen = false;
  readonly hedges = new Map<string, number>();
  readonly hedgeWins = new Map<string, number>();
  hedgeLosersCancelled = 0;
  hedgeBudgetExhausted = 0;
  // adaptive concurrency: limit changes by direction (`up`, `down`)
  readonly limitChanges = new Map<string, number>();

  constructor(readonly key: SeriesKey) {}
}

/**
 * @internal The series of an aggregator, keyed by pipeline, policy, operation and label
 * set. Past `maxOperations` distinct operations, further ones count under `_other`; past
 * `maxLabelSets` distinct label sets, further ones count with every value `_other`.
 */
export class SeriesTable {
  private readonly series = new Map<string, Series>();
  private readonly operations = new Set<string>();
  private readonly labelSets = new Map<string, Labels>();
  /** Events whose operation was counted as `_other`. */
  droppedOperations = 0;
  /** Events whose label values were counted as `_other`. */
  droppedLabelSets = 0;

  constructor(
    private readonly labelKeys: readonly string[],
    private readonly maxOperations: number,
    private readonly maxLabelSets: number,
  ) {}

  /** Every series, in the order first seen. */
  values(): IterableIterator<Series> {
    return this.series.values();
  }

  /** The series of the event's pipeline, policy, operation and labels (created if new). */
  of(e: ResilienceEvent): Series {
    let operation = e.operation;
    if (!this.operations.has(operation)) {
      if (this.operations.size < this.maxOperations) this.operations.add(operation);
      else {
        operation = OVERFLOW_VALUE;
        this.droppedOperations++;
      }
    }
    // Stryker disable next-line StringLiteral: equivalent — without label keys every series has the same constant suffix, so the keys stay distinct exactly as before
    let labelKey = '';
    let labels = EMPTY_LABELS;
    const keys = this.labelKeys;
    // Stryker disable next-line ConditionalExpression: equivalent for `true` — with no label keys the loop builds one frozen empty label set, equal to EMPTY_LABELS, in one slot of maxLabelSets (at least 1)
    if (keys.length > 0) {
      const values = keys.map((k) => e.labels[k] ?? '');
      labelKey = values.join('\u0001');
      const known = this.labelSets.get(labelKey);
      if (known !== undefined) labels = known;
      else if (this.labelSets.size < this.maxLabelSets) {
        labels = Object.freeze(Object.fromEntries(keys.map((k, i) => [k, values[i] as string])));
        this.labelSets.set(labelKey, labels);
      } else {
        this.droppedLabelSets++;
        // The same key as a real label set whose values are all `_other`: one series.
        labelKey = keys.map(() => OVERFLOW_VALUE).join('\u0001');
        labels = this.labelSets.get(labelKey) ?? Object.freeze(Object.fromEntries(keys.map((k) => [k, OVERFLOW_VALUE])));
      }
    }
    const pipeline = e.pipeline ?? '';
    const key = `${pipeline}\u0000${e.policy}\u0000${operation}\u0000${labelKey}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = new Series({ pipeline, policy: e.policy, operation, labels });
      this.series.set(key, s);
    }
    return s;
  }
}
