/**
 * Rules of the binary heap (core/heap.ts) that the sorted-order property does not pin on its
 * own: the order predicate is only ever asked about items the heap holds (never an empty slot
 * past the end, never the slot above the root), and `clear()` empties it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Heap } from './heap';

interface Item {
  readonly key: number;
}

/** A heap whose predicate fails the test when handed anything but an item it holds or is pushing. */
function strictHeap(): { heap: Heap<Item>; held: Set<Item> } {
  const held = new Set<Item>();
  const heap = new Heap<Item>((a, b) => {
    if (!held.has(a) || !held.has(b)) throw new Error(`before() was asked about a non-item: ${String(a)}, ${String(b)}`);
    return a.key < b.key;
  });
  return { heap, held };
}

describe('Heap', () => {
  it('asks its order predicate only about items it holds, through any mix of pushes and pops', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constant(null)), { maxLength: 80 }), (ops) => {
        const { heap, held } = strictHeap();
        const model: number[] = [];
        for (const op of ops) {
          if (op === null) {
            model.sort((a, b) => a - b);
            const top = heap.pop();
            expect(top?.key).toBe(model.shift());
            // The popped item stays in `held` until pop() returns: it may be compared on the way down.
            if (top !== undefined) held.delete(top);
          } else {
            const item = { key: op };
            held.add(item);
            heap.push(item);
            model.push(op);
          }
          expect(heap.size).toBe(model.length);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('orders an item pushed onto a one-item heap without consulting anything above the root', () => {
    const { heap, held } = strictHeap();
    const a = { key: 2 };
    const b = { key: 1 };
    held.add(a).add(b);
    heap.push(a);
    heap.push(b);
    expect(heap.peek()).toBe(b);
    expect(heap.pop()).toBe(b);
    expect(heap.pop()).toBe(a);
    expect(heap.pop()).toBeUndefined();
  });

  it('clear() removes every item', () => {
    const heap = new Heap<number>((a, b) => a < b);
    for (const n of [3, 1, 2]) heap.push(n);
    heap.clear();
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
    heap.push(5);
    expect(heap.pop()).toBe(5);
  });
});
