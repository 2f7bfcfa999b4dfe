// The payload decoders of fleet chaos against untrusted input (fast-check): they never
// throw, accept only well-formed payloads, and a halt is never refused for its payload.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_REASON_LENGTH,
  MAX_SWITCH_DURATION,
  MAX_SWITCH_FAULTS,
  cleanText,
  decodeFlag,
  decodeHalt,
  decodeLeft,
  decodeRollCall,
  decodeState,
  decodeSwitch,
} from './fleet-chaos-messages';

/** Any JSON-ish value, with the prototype-pollution keys and wrong types mixed in. */
const anything = fc.oneof(
  fc.jsonValue(),
  fc.anything(),
  fc.dictionary(fc.constantFrom('on', 'faults', 'experiment', 'duration', 'member', 'origin', 'state', 'environment', 'reason', 'expiresIn', 'switchedOn', '__proto__', 'constructor'), fc.jsonValue()),
);

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const name = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !CONTROL.test(s));

const validSwitch = fc.record(
  {
    on: fc.boolean(),
    faults: fc.array(name, { maxLength: MAX_SWITCH_FAULTS }),
    experiment: name,
    duration: fc.integer({ min: 1, max: MAX_SWITCH_DURATION }),
    member: name,
    origin: name,
  },
  { requiredKeys: ['on', 'faults', 'experiment', 'duration'] },
);

describe('fleet chaos decoders (fuzz)', () => {
  it('never throw on anything', () => {
    fc.assert(
      fc.property(anything, fc.string(), (v, from) => {
        decodeHalt(v, from);
        decodeSwitch(v);
        decodeState(v);
        decodeLeft(v);
        decodeRollCall(v);
        decodeFlag(v);
        cleanText(v);
      }),
      { numRuns: 2_000 },
    );
  });

  it('a halt is never refused: any payload gives a printable reason of bounded length', () => {
    fc.assert(
      fc.property(anything, fc.string(), (v, from) => {
        const h = decodeHalt(v, from);
        expect(typeof h.reason).toBe('string');
        expect(h.reason.length).toBeGreaterThan(0);
        expect(h.reason.length).toBeLessThanOrEqual(MAX_REASON_LENGTH + 140);
        expect(CONTROL.test(h.reason)).toBe(false);
      }),
      { numRuns: 1_000 },
    );
  });

  it('a switch is accepted only when well-formed, and then its fields are within bounds', () => {
    fc.assert(
      fc.property(anything, (v) => {
        const s = decodeSwitch(v);
        if (s === undefined) return;
        expect(typeof s.on).toBe('boolean');
        expect(s.faults.length).toBeLessThanOrEqual(MAX_SWITCH_FAULTS);
        expect(s.faults.every((f) => typeof f === 'string' && f.length >= 1 && f.length <= 128)).toBe(true);
        expect(s.duration).toBeGreaterThanOrEqual(s.on ? Number.MIN_VALUE : 0);
        expect(s.duration).toBeLessThanOrEqual(MAX_SWITCH_DURATION);
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(validSwitch, (v) => {
        expect(decodeSwitch(v)).toEqual({ member: undefined, origin: undefined, ...v });
        expect(decodeSwitch({ ...v, extra: 1 })).toBeUndefined();
        expect(decodeSwitch({ ...v, duration: v.on ? 0 : -1 })).toBeUndefined();
        expect(decodeSwitch({ ...v, duration: MAX_SWITCH_DURATION + 1 })).toBeUndefined();
        expect(decodeSwitch({ ...v, faults: [...v.faults, 7] })).toBeUndefined();
      }),
    );
  });

  it('a state row is accepted only when well-formed', () => {
    const row = { member: 'game-1', state: 'armed', environment: 'staging', reason: null, expiresIn: null, faults: ['a'], switchedOn: [] };
    expect(decodeState(row)).toEqual({ ...row, reason: undefined, expiresIn: undefined, origin: undefined });
    for (const bad of [{ ...row, state: 'arming' }, { ...row, expiresIn: -1 }, { ...row, faults: 'a' }, { ...row, more: 1 }, { ...row, member: '' }, [row], null]) {
      expect(decodeState(bad)).toBeUndefined();
    }
  });

  it('any stored flag value at all means halted; its fields are read when they are well-formed', () => {
    expect(decodeFlag(null)).toBeUndefined();
    expect(decodeFlag('1')).toMatchObject({ reason: 'the fleet is halted (its halt flag is set)', by: undefined, at: undefined });
    expect(decodeFlag('{"reason":"incident","by":"game-2","at":1700000000000}')).toMatchObject({ reason: 'incident', by: 'game-2', at: 1_700_000_000_000 });
    expect(decodeFlag(Object.create(null))).toMatchObject({ raw: '(not a string)' });
    fc.assert(
      fc.property(fc.string(), (s) => {
        const f = decodeFlag(s);
        expect(f).toBeDefined();
        expect(f?.raw).toBe(s);
      }),
    );
  });
});
