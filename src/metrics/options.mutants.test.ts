/**
 * What the metrics options error says (issue #23: the mutation run found the wording
 * unpinned): it names the metrics options, and for each bad `labelKeys` entry its index, its
 * value and what was expected: a Prometheus label name, a name other than the reserved
 * labels (every one listed), or a name not listed twice.
 */
import { describe, expect, it } from 'vitest';
import { messageOf } from '../../test/support/fresh-module';
import { isOptionsValidationError, type ValidationIssue } from '../core/errors';
import { createMetrics } from './aggregator';
import type { MetricsOptions } from './options';

const RESERVED = 'pipeline, policy, operation, outcome, reason, state, result, tier, fault, fault_kind, limit, attempt, trigger, direction, le, quantile';
const LABEL_NAME = 'a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)';

function issuesOf(options: MetricsOptions): readonly ValidationIssue[] {
  try {
    createMetrics(options);
  } catch (e) {
    expect(isOptionsValidationError(e)).toBe(true);
    return (e as { issues: readonly ValidationIssue[] }).issues;
  }
  throw new Error('expected createMetrics() to reject the options');
}

describe('metrics options: what the error says', () => {
  it('names the metrics options and each bad field with its value', () => {
    expect(messageOf(() => createMetrics({ maxOperations: 0 }))).toBe('Invalid metrics options: expected `maxOperations` to be an integer ≥ 1 and ≤ 1000000, got 0');
  });

  it('a label key that is not a Prometheus label name', () => {
    expect(issuesOf({ labelKeys: ['region', '9x', 'a-b', '__meta'] })).toEqual([
      { path: 'labelKeys[1]', value: '9x', expected: LABEL_NAME },
      { path: 'labelKeys[2]', value: 'a-b', expected: LABEL_NAME },
      { path: 'labelKeys[3]', value: '__meta', expected: LABEL_NAME },
    ]);
  });

  it('a reserved label key, listing every reserved label', () => {
    expect(issuesOf({ labelKeys: ['operation', 'le'] })).toEqual([
      { path: 'labelKeys[0]', value: 'operation', expected: `a label name other than ${RESERVED}` },
      { path: 'labelKeys[1]', value: 'le', expected: `a label name other than ${RESERVED}` },
    ]);
  });

  it('the whole message for a reserved, a malformed and a repeated label key', () => {
    expect(messageOf(() => createMetrics({ labelKeys: ['quantile', '9x', 'region', 'region'] }))).toBe(
      'Invalid metrics options: ' +
        `expected \`labelKeys[0]\` to be a label name other than ${RESERVED}, got "quantile"; ` +
        `expected \`labelKeys[1]\` to be ${LABEL_NAME}, got "9x"; ` +
        'expected `labelKeys[3]` to be a label name not listed twice, got "region"',
    );
  });

  it('accepts label keys that are valid, unreserved and distinct', () => {
    expect(() => createMetrics({ labelKeys: ['region', '_tenant', 'Zone9'] })).not.toThrow();
  });
});
