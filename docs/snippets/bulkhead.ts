// Bulkhead examples, as shown in docs/bulkhead.md. Type-checked by `npm test`.
import {
  BulkheadEvents,
  bulkhead,
  isBulkheadRejectedError,
  pipeline,
  retry,
  timeout,
  type ExecutionContext,
} from '../../src/index';

interface Receipt {
  readonly id: string;
}
interface Reply {
  status(code: number): Reply;
  header(name: string, value: string): Reply;
  send(body: unknown): void;
}
declare const gateway: { charge(orderId: string, opts: { signal: AbortSignal }): Promise<Receipt> };
declare const db: { saveMatch(lobby: string, state: unknown): Promise<void> };
declare const metrics: { gauge(name: string, value: number): void; count(name: string, tags: Record<string, string>): void };

// --8<-- [start:basic]
const payments = bulkhead({
  name: 'payment-gateway',
  maxConcurrent: 32, // at most 32 charges in flight
  maxQueue: 64, // up to 64 more wait, first come first served
  queueTimeout: 250, // ...for at most 250 ms
});

export async function charge(orderId: string, reply: Reply, signal: AbortSignal): Promise<void> {
  try {
    const receipt = await payments.execute((ctx) => gateway.charge(orderId, { signal: ctx.signal }), { signal });
    reply.send(receipt);
  } catch (error) {
    if (isBulkheadRejectedError(error)) {
      // 'full': no slot and no queue place; 'queue-timeout': waited longer than 250 ms.
      reply.status(503).header('Retry-After', '1').send({ error: `busy (${error.reason})` });
      return;
    }
    throw error;
  }
}
// --8<-- [end:basic]

// --8<-- [start:shorthand]
const thumbnails = bulkhead(4); // = bulkhead({ maxConcurrent: 4 }): 4 at once, no queue
// --8<-- [end:shorthand]

// --8<-- [start:sizing]
// Little's law: calls in flight = arrival rate × time in the system.
const peakRate = 400; // charges per second at peak
const p99Latency = 0.08; // seconds per charge when the gateway is healthy
const inFlight = Math.ceil(peakRate * p99Latency); // 32 slots carry the peak
const burst = 0.15; // seconds of backlog we accept to absorb a burst
const sized = bulkhead({
  name: 'payment-gateway',
  maxConcurrent: inFlight,
  maxQueue: Math.ceil(peakRate * burst), // 60 waiters ≈ 150 ms of arrivals
  queueTimeout: 150,
});
// --8<-- [end:sizing]

// --8<-- [start:partitioned]
const lobbies = bulkhead.partitioned({
  name: 'match-store',
  key: (ctx: ExecutionContext) => ctx.labels['lobby'] ?? 'no-lobby',
  maxConcurrent: 2, // per lobby: one noisy lobby cannot take every database connection
  maxQueue: 8,
  queueTimeout: 1_000,
  maxPartitions: 5_000, // live lobbies at once; idle ones are dropped immediately
});

export function saveMatch(lobby: string, state: unknown): Promise<void> {
  return lobbies.execute(() => db.saveMatch(lobby, state), { labels: { lobby } });
}

export function lobbyLoad(lobby: string): string {
  const { active, queued } = lobbies.statsOf(lobby);
  return `${lobby}: ${active} saving, ${queued} waiting (${lobbies.partitions} busy lobbies)`;
}
// --8<-- [end:partitioned]

// --8<-- [start:observe]
payments.on(BulkheadEvents.rejected, (e) => metrics.count('bulkhead_rejected_total', { policy: e.policy, reason: e.reason }));
payments.on(BulkheadEvents.queued, (e) => metrics.gauge('bulkhead_queued', e.queued));

export function report(): void {
  const { active, queued, maxConcurrent } = payments.stats;
  metrics.gauge('bulkhead_active', active);
  metrics.gauge('bulkhead_utilization', active / maxConcurrent);
  metrics.gauge('bulkhead_queued', queued);
}
// --8<-- [end:observe]

// --8<-- [start:pipeline]
// The timeout outside the bulkhead: the 2 s budget includes the time spent queued, and
// a waiter whose budget runs out leaves the queue at once.
const guarded = pipeline(
  retry({ maxAttempts: 2, delay: 100 }),
  timeout(2_000),
  bulkhead({ maxConcurrent: 32, maxQueue: 64 }),
);
// --8<-- [end:pipeline]

// --8<-- [start:occupy]
// Simulate an exhausted pool (what the chaos `exhaustion` fault does), then give it back.
const hold = payments.occupy(Infinity); // every free slot
console.log(`holding ${hold.held} slots`, payments.stats);
hold.release(); // idempotent; waiters get the slots at once
// --8<-- [end:occupy]

export { guarded, sized, thumbnails };
