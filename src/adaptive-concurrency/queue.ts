/**
 * The wait queue of an adaptive limit: an intrusive doubly-linked FIFO (the waiter is the
 * node, so queueing allocates nothing more), O(1) push, shift and removal of any node (a
 * waiter whose caller aborts, or whose wait times out, leaves at once).
 *
 * Adapted from the bulkhead's queue: a policy may not import another policy. Both would use
 * one copy if it moved to `core/`.
 *
 * @packageDocumentation
 */

/** @internal A node of a {@link WaitQueue}; its fields are owned by the queue. */
export interface WaitNode<N extends WaitNode<N>> {
  prev: N | undefined;
  next: N | undefined;
  /** True while the node is in a queue. */
  queued: boolean;
}

/** @internal An intrusive FIFO with O(1) push, shift and removal of any node. */
export class WaitQueue<N extends WaitNode<N>> {
  private head: N | undefined = undefined;
  private tail: N | undefined = undefined;
  /** Number of nodes in the queue. */
  size = 0;

  /** Appends `node` (not in a queue) at the tail. */
  push(node: N): void {
    node.queued = true;
    node.next = undefined;
    node.prev = this.tail;
    if (this.tail === undefined) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.size++;
  }

  /** Removes and returns the oldest node, or undefined when empty. */
  shift(): N | undefined {
    const node = this.head;
    if (node !== undefined) this.remove(node);
    return node;
  }

  /** Removes `node` wherever it is; false (and nothing done) when it is not queued. */
  remove(node: N): boolean {
    if (!node.queued) return false;
    const { prev, next } = node;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    node.prev = node.next = undefined;
    node.queued = false;
    this.size--;
    return true;
  }
}
