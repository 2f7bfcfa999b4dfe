/**
 * Bulkhead contention: N tasks submitted at once to a limiter of 64 slots; each task
 * awaits one macrotask (`setImmediate`). Measures the whole workload, so the queue's
 * behaviour under a deep backlog shows (an O(n) dequeue makes it quadratic).
 *
 * @packageDocumentation
 */
import { bulkhead as cBulkhead } from 'cockatiel';
import pLimit from 'p-limit';
import type { WorkloadCase } from '../harness';
import { RingSemaphore } from '../semaphore';

/** Slots of every limiter. */
export const SLOTS = 64;

/** The task: one macrotask. */
export function macrotask(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** Something that runs a task under a limit. */
export type Limiter = (task: () => Promise<void>) => Promise<void>;

/** Submits `tasks` tasks at once and waits for all. */
export async function flood(limiter: Limiter, tasks: number): Promise<void> {
  const all = new Array<Promise<void>>(tasks);
  for (let i = 0; i < tasks; i++) all[i] = limiter(macrotask);
  await Promise.all(all);
}

/** One workload case per limiter for a given task count. */
export function contentionCase(id: string, label: string, tasks: number, limiter: Limiter): WorkloadCase {
  return { id: `${id}@${tasks}`, group: `contention ${tasks}`, label, run: () => flood(limiter, tasks) };
}

/** The peer and reference limiters for `tasks` tasks. */
export function peerContentionCases(tasks: number): WorkloadCase[] {
  const sem = new RingSemaphore(SLOTS);
  const cb = cBulkhead(SLOTS, tasks);
  const limit = pLimit(SLOTS);
  return [
    contentionCase('semaphore', 'ring-buffer semaphore (bench/semaphore.ts)', tasks, (t) => sem.run(t)),
    contentionCase('p-limit', 'p-limit', tasks, (t) => limit(t)),
    contentionCase('cockatiel.bulkhead', 'cockatiel bulkhead', tasks, (t) => cb.execute(t)),
  ];
}
