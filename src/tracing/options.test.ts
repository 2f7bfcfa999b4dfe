import * as api from '@opentelemetry/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOptionsValidationError, type ValidationIssue } from '../core/errors';
import { tracing, type TracingOptions } from './index';

function issues(options: unknown): ValidationIssue[] {
  try {
    tracing(options as TracingOptions);
  } catch (e) {
    expect(isOptionsValidationError(e)).toBe(true);
    return [...(e as { issues: ValidationIssue[] }).issues];
  }
  throw new Error('expected tracing() to reject the options');
}

const API_EXPECTED = "the @opentelemetry/api object (import * as api from '@opentelemetry/api'): trace.getTracer, trace.setSpan, context.active, context.with, SpanStatusCode and SpanKind";

describe('tracing options validation', () => {
  const notApis: [string, unknown][] = [
    ['no api', undefined],
    ['null', null],
    ['a string', '@opentelemetry/api'],
    ['api.trace instead of api', api.trace],
    ['a tracer', api.trace.getTracer('x')],
    ['an api without context.with', { ...api, context: { active: () => api.context.active() } }],
    ['an api without SpanStatusCode', { trace: api.trace, context: api.context, SpanKind: api.SpanKind }],
    ['an api whose SpanKind is not an enum', { ...api, SpanKind: 'INTERNAL' }],
  ];
  for (const [what, value] of notApis) {
    it(`rejects ${what} as api, saying what it expects`, () => {
      expect(issues(value === undefined ? {} : { api: value })).toEqual([{ path: 'api', value, expected: API_EXPECTED }]);
    });
  }

  it('tracing() without options names the missing api', () => {
    expect(issues(undefined).map((i) => i.path)).toEqual(['api']);
    expect(() => tracing(undefined as unknown as TracingOptions)).toThrow(/expected `api` to be the @opentelemetry\/api object/);
  });

  it('names every bad field at once, unknown keys included', () => {
    const found = issues({
      api: { trace: {} },
      tracerName: '',
      tracerVersion: 2,
      name: 7,
      labelKeys: ['region', 3],
      attributes: { 'peer.service': { nested: true } },
      recordExceptions: 'yes',
      tracername: 'typo',
    });
    expect(found.map((i) => i.path).sort()).toEqual(
      ['api', 'attributes', 'labelKeys', 'name', 'recordExceptions', 'tracerName', 'tracerVersion', 'tracername'].sort(),
    );
    expect(found.find((i) => i.path === 'tracername')?.expected).toBe('not present (unknown option)');
  });

  it('accepts the @opentelemetry/api module and describes itself', () => {
    const policy = tracing({ api, tracerName: 'shop', tracerVersion: '1.2.0', labelKeys: ['region'], attributes: { 'peer.service': 'gateway', shard: 2, primary: true } });
    expect(policy.describe()).toEqual({
      kind: 'tracing',
      name: 'tracing',
      options: {
        tracerName: 'shop',
        tracerVersion: '1.2.0',
        labelKeys: ['region'],
        attributes: { 'peer.service': 'gateway', shard: 2, primary: true },
        recordExceptions: true,
      },
    });
    expect(tracing({ api }).tracerName).toBe('breakwater');
  });

  it('attribute values: accepted exactly when a string, a boolean or a finite number (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0)), (value) => {
        const valid = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
        let accepted = true;
        try {
          tracing({ api, attributes: { key: value } as unknown as Record<string, string> });
        } catch (e) {
          expect(isOptionsValidationError(e)).toBe(true);
          accepted = false;
        }
        expect(accepted).toBe(valid);
      }),
    );
  });
});
