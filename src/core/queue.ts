/**
 * The wait queue of the bulkhead and of the adaptive concurrency limit: an intrusive
 * doubly-linked FIFO. Each waiter already is an
 * object (it holds the call's context and continuation), so linking it costs no extra
 * allocation, and every operation is O(1): `push` at the tail, `shift` from the head, and
 * `remove` of any node (a waiter whose caller aborted, or whose queue wait timed out,
 * leaves the queue at once; no tombstones that would pile up behind a stuck head).
 *
 * @packageDocumentation
 */

/** @internal A node of a {@link LinkedQueue}. Fields are owned by the queue. */
export interface QueueNode<N extends QueueNode<N>> {
  /** Previous node (towards the head), or undefined. */
  prev: N | undefined;
  /** Next node (towards the tail), or undefined. */
  next: N | undefined;
  /** True while the node is in a queue. */
  queued: boolean;
}

/** @internal An intrusive FIFO with O(1) push, shift and removal of any node. */
export class LinkedQueue<N extends QueueNode<N>> {
  private head: N | undefined = undefined;
  private tail: N | undefined = undefined;
  private count = 0;

  /** Number of nodes in the queue. */
  get size(): number {
    return this.count;
  }

  /** The oldest node, or undefined. */
  peek(): N | undefined {
    return this.head;
  }

  /** Appends `node` at the tail. The node must not be in a queue. */
  push(node: N): void {
    node.queued = true;
    node.next = undefined;
    const tail = this.tail;
    node.prev = tail;
    if (tail === undefined) this.head = node;
    else tail.next = node;
    this.tail = node;
    this.count++;
  }

  /** Removes and returns the oldest node, or undefined when empty. */
  shift(): N | undefined {
    const node = this.head;
    if (node === undefined) return undefined;
    const next = node.next;
    this.head = next;
    if (next === undefined) this.tail = undefined;
    else next.prev = undefined;
    node.next = undefined;
    node.queued = false;
    this.count--;
    return node;
  }

  /** Removes `node` wherever it is. Returns false (and does nothing) if it is not queued. */
  remove(node: N): boolean {
    if (!node.queued) return false;
    const { prev, next } = node;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    node.prev = node.next = undefined;
    node.queued = false;
    this.count--;
    return true;
  }
}
