import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinkedQueue, type QueueNode } from './queue';

class Node implements QueueNode<Node> {
  prev: Node | undefined = undefined;
  next: Node | undefined = undefined;
  queued = false;
  constructor(readonly id: number) {}
}

function drain(q: LinkedQueue<Node>): number[] {
  const out: number[] = [];
  for (let n = q.shift(); n !== undefined; n = q.shift()) out.push(n.id);
  return out;
}

describe('LinkedQueue', () => {
  it('is FIFO and removes any node in O(1) (matches an array model)', () => {
    const op = fc.oneof(
      fc.constant({ kind: 'push' as const, at: 0 }),
      fc.constant({ kind: 'shift' as const, at: 0 }),
      fc.record({ kind: fc.constant('remove' as const), at: fc.nat(50) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const q = new LinkedQueue<Node>();
        const model: Node[] = [];
        const all: Node[] = [];
        let id = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            const n = new Node(id++);
            all.push(n);
            q.push(n);
            model.push(n);
          } else if (o.kind === 'shift') {
            expect(q.shift()).toBe(model.shift());
          } else if (all.length > 0) {
            const n = all[o.at % all.length] as Node;
            const i = model.indexOf(n);
            expect(q.remove(n)).toBe(i >= 0);
            if (i >= 0) model.splice(i, 1);
          }
          expect(q.size).toBe(model.length);
          expect(q.peek()).toBe(model[0]);
        }
        expect(drain(q)).toEqual(model.map((n) => n.id));
        expect(q.size).toBe(0);
        expect(all.every((n) => !n.queued && n.prev === undefined && n.next === undefined)).toBe(true);
      }),
    );
  });

  it('a removed node can be queued again', () => {
    const q = new LinkedQueue<Node>();
    const [a, b, c] = [new Node(1), new Node(2), new Node(3)];
    q.push(a);
    q.push(b);
    q.push(c);
    expect(q.remove(b)).toBe(true);
    expect(q.remove(b)).toBe(false);
    q.push(b);
    expect(drain(q)).toEqual([1, 3, 2]);
  });
});
