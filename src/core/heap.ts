/**
 * @internal A binary min-heap ordered by a `before(a, b)` predicate. Shared by the timer
 * service (bucket keys) and the virtual clock (timers).
 *
 * @packageDocumentation
 */

/** @internal */
export class Heap<T> {
  /** The items in heap order (`items[0]` is the smallest). */
  readonly items: T[] = [];

  /** @param before - true when `a` must come out before `b`. */
  constructor(private readonly before: (a: T, b: T) => boolean) {}

  /** Number of items. */
  get size(): number {
    return this.items.length;
  }

  /** The smallest item, or `undefined` when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Removes every item. */
  clear(): void {
    this.items.length = 0;
  }

  /** Adds an item: O(log n). */
  push(value: T): void {
    const a = this.items;
    let i = a.length;
    a.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as T;
      if (!this.before(value, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = value;
  }

  /** Removes and returns the smallest item: O(log n). */
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && this.before(a[r] as T, a[l] as T) ? r : l;
        if (!this.before(a[c] as T, last)) break;
        a[i] = a[c] as T;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
