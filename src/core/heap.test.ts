import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Heap } from './heap';

describe('Heap', () => {
  it('property: pops every pushed item in sorted order, interleaved with pushes', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constant(null))), (ops) => {
        const heap = new Heap<number>((a, b) => a < b);
        const model: number[] = [];
        for (const op of ops) {
          if (op === null) {
            model.sort((a, b) => a - b);
            expect(heap.pop()).toBe(model.shift());
          } else {
            heap.push(op);
            model.push(op);
          }
          expect(heap.size).toBe(model.length);
          expect(heap.peek()).toBe(model.length === 0 ? undefined : Math.min(...model));
        }
      }),
      { numRuns: 300 },
    );
  });
});
