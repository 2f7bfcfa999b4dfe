import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { observeCall, observing } from './call-observer';
import { Link, type Strategy } from './chain';
import { systemClock } from './clock';
import { ExecutionContext } from './context';
import { Emitter, type ResilienceEvent, type Subscription } from './events';

const strategy: Strategy = { kind: 'test', name: 'test', run: () => {} };
const silent = { event: () => {}, attempt: (ctx: ExecutionContext, run: (c: ExecutionContext) => unknown) => run(ctx) };
const newCall = () => new ExecutionContext(systemClock, undefined, 'default', undefined);

type Op =
  | { op: 'on'; emitter: number }
  | { op: 'dispose'; index: number }
  | { op: 'observe' }
  | { op: 'unobserve'; index: number }
  | { op: 'read'; link: number };

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant('on' as const), emitter: fc.nat(2) }),
    fc.record({ op: fc.constant('dispose' as const), index: fc.nat(7) }),
    fc.constant({ op: 'observe' as const }),
    fc.record({ op: fc.constant('unobserve' as const), index: fc.nat(3) }),
    fc.record({ op: fc.constant('read' as const), link: fc.nat(2) }),
  ) as fc.Arbitrary<Op>,
  { maxLength: 60 },
);

describe('Link.listening', () => {
  it('answers, at every read, whether one of its emitters has a listener or any call is observed', () => {
    fc.assert(
      fc.property(ops, (script) => {
        const emitters = [new Emitter<ResilienceEvent>(), new Emitter<ResilienceEvent>(), new Emitter<ResilienceEvent>()];
        // Links share emitters, as a policy's emitter is shared by every pipeline it is in.
        const links = [
          new Link(strategy, [emitters[0]!, emitters[1]!], undefined),
          new Link(strategy, [emitters[1]!], undefined),
          new Link(strategy, [emitters[2]!], undefined),
        ];
        const subs: Subscription[] = [];
        const ends: (() => void)[] = [];
        const truth = (i: number) =>
          observing() || (i === 0 ? emitters[0]!.size + emitters[1]!.size > 0 : emitters[i === 1 ? 1 : 2]!.size > 0);
        try {
          for (const step of script) {
            if (step.op === 'on') subs.push(emitters[step.emitter]!.on(() => {}));
            else if (step.op === 'dispose') subs[step.index % Math.max(1, subs.length)]?.dispose();
            else if (step.op === 'observe') {
              const end = observeCall(newCall(), silent);
              if (end !== undefined) ends.push(end);
            } else if (step.op === 'unobserve') ends[step.index % Math.max(1, ends.length)]?.();
            for (let i = 0; i < links.length; i++) expect(links[i]!.listening).toBe(truth(i));
          }
        } finally {
          for (const end of ends) end();
          for (const sub of subs) sub.dispose();
        }
        expect(observing()).toBe(false);
      }),
    );
  });

  it('is false again once the last listener leaves, after having been read as true', () => {
    const emitter = new Emitter<ResilienceEvent>();
    const link = new Link(strategy, [emitter], undefined);
    expect(link.listening).toBe(false);
    const a = emitter.on(() => {});
    const b = emitter.on(() => {});
    expect(link.listening).toBe(true);
    a.dispose();
    expect(link.listening).toBe(true);
    a.dispose(); // a second dispose changes nothing
    expect(link.listening).toBe(true);
    b.dispose();
    expect(link.listening).toBe(false);
  });

  it('turns true while a call is observed and false when its observation ends', () => {
    const link = new Link(strategy, [new Emitter<ResilienceEvent>()], undefined);
    expect(link.listening).toBe(false);
    const first = observeCall(newCall(), silent)!;
    const second = observeCall(newCall(), silent)!;
    expect(link.listening).toBe(true);
    first();
    first(); // idempotent: the other observation still holds
    expect(link.listening).toBe(true);
    second();
    expect(link.listening).toBe(false);
  });
});
