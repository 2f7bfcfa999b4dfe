/**
 * The `handle` / `handleResult` rules of core/classify.ts, read directly: an error class
 * (one that extends `Error`, `Error` itself, or any `class`) matches by `instanceof`; an
 * array of classes matches when any of them does; any other function is a predicate, and only
 * a predicate's `true` counts; a `handleResult` that answers `true` makes a value a failure;
 * a call its caller cancelled is never handled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionContext } from './context';
import type { Subscription } from './events';
import { compileClassifier, errorPredicate, Handling } from './classify';
import { onCallbackError } from './report';

class Timeout extends Error {}
class Refused extends Error {}
/** A class that does not extend `Error`: still a class, so still matched by `instanceof`. */
class Outage {
  readonly code = 503;
}

const live = { cancelledByCaller: false } as ExecutionContext;
const cancelled = { cancelledByCaller: true } as ExecutionContext;

const subs: Subscription[] = [];
afterEach(() => {
  for (const s of subs.splice(0)) s.dispose();
});

describe('errorPredicate', () => {
  it('matches a subclass of Error by instanceof, not by calling it', () => {
    const is = errorPredicate(Timeout);
    expect(is(new Timeout('slow'))).toBe(true);
    expect(is(new Error('other'))).toBe(false);
    expect(is('Timeout')).toBe(false);
  });

  it('matches Error itself as a class: every error, nothing else', () => {
    const classifier = compileClassifier({ handle: Error });
    expect(classifier.classify({ ok: false, error: new TypeError('x') }, live)).toBe(Handling.Failure);
    expect(classifier.classify({ ok: false, error: 'a string' }, live)).toBe(Handling.Ignored);
    expect(errorPredicate(Error)(new RangeError('r'))).toBe(true);
  });

  it('matches a class that does not extend Error by instanceof', () => {
    const is = errorPredicate(Outage);
    expect(is(new Outage())).toBe(true);
    expect(is({ code: 503 })).toBe(false);
  });

  it('calls a predicate whose source mentions "class " later on, rather than taking it for a class', () => {
    const mentions = (e: unknown): boolean => e === 'class x';
    const is = errorPredicate(mentions);
    expect(is('class x')).toBe(true);
    expect(is('y')).toBe(false);
  });

  it('matches an array of classes when any of them matches', () => {
    const is = errorPredicate([Timeout, Refused]);
    expect(is(new Refused('no'))).toBe(true);
    expect(is(new Timeout('slow'))).toBe(true);
    expect(is(new Error('other'))).toBe(false);
    const classifier = compileClassifier({ handle: [Timeout, Refused] });
    expect(classifier.classify({ ok: false, error: new Refused('no') }, live)).toBe(Handling.Failure);
  });
});

describe('compileClassifier', () => {
  it('makes a value a failure only when handleResult answers true', () => {
    const classifier = compileClassifier({ handleResult: (v: unknown) => (v === 'bad' ? true : v === 'truthy' ? 1 : false) as boolean });
    expect(classifier.classify({ ok: true, value: 'bad' }, live)).toBe(Handling.Failure);
    expect(classifier.classify({ ok: true, value: 'good' }, live)).toBe(Handling.Success);
    expect(classifier.classify({ ok: true, value: 'truthy' }, live)).toBe(Handling.Success);
  });

  it('never handles the error of a call its caller cancelled, even one handle matches', () => {
    const classifier = compileClassifier({ handle: () => true });
    const error = new Error('aborted by the caller');
    expect(classifier.classify({ ok: false, error }, cancelled)).toBe(Handling.Ignored);
    expect(classifier.classify({ ok: false, error }, live)).toBe(Handling.Failure);
  });

  it('reports nothing when handle is a class or an array of classes (neither is called)', () => {
    const reported: string[] = [];
    subs.push(onCallbackError((_e, source) => reported.push(source)));
    compileClassifier({ handle: Outage }).classify({ ok: false, error: new Error('x') }, live);
    compileClassifier({ handle: [Timeout] }).classify({ ok: false, error: new Error('x') }, live);
    expect(reported).toEqual([]);
  });
});
