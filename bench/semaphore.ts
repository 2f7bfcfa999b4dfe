/**
 * The reference for the bulkhead contention cases: the least a concurrency limiter can
 * do. A counter of free slots and a FIFO of waiters in a ring buffer (O(1) push and
 * shift, grows by doubling). No options, no rejection, no cancellation, no events.
 *
 * @packageDocumentation
 */

/** A minimal counting semaphore with a ring-buffer wait queue. */
export class RingSemaphore {
  private active = 0;
  private ring: ((() => void) | undefined)[];
  private head = 0;
  private size = 0;

  /** @param limit - how many functions may run at once. */
  constructor(readonly limit: number) {
    this.ring = new Array<(() => void) | undefined>(16).fill(undefined);
  }

  /** Runs `fn` when a slot is free; the slot is released when its promise settles. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.push(resolve));
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Functions waiting for a slot. */
  get queued(): number {
    return this.size;
  }

  private release(): void {
    if (this.size === 0) {
      this.active--;
      return;
    }
    // Hand the slot straight to the oldest waiter: `active` does not change.
    const mask = this.ring.length - 1;
    const next = this.ring[this.head] as () => void;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & mask;
    this.size--;
    next();
  }

  private push(waiter: () => void): void {
    if (this.size === this.ring.length) this.grow();
    this.ring[(this.head + this.size) & (this.ring.length - 1)] = waiter;
    this.size++;
  }

  private grow(): void {
    const old = this.ring;
    const next = new Array<(() => void) | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.ring = next;
    this.head = 0;
  }
}
