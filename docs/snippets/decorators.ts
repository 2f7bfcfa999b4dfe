// Examples of docs/decorators.md. Type-checked by `npm test`; every ts block of the page is copied from here.
import {
  circuitBreaker as circuitBreakerPolicy,
  currentContext,
  pipeline,
  retry as retryPolicy,
  timeout as timeoutPolicy,
  type Clock,
} from '../../src/index';
import { bulkhead, circuitBreaker, fallback, policyOf, resilient, retry, timeout } from '../../src/decorators/index';
import { VirtualClock } from '../../src/testing/index';

interface Receipt {
  readonly id: string;
}
interface Profile {
  readonly id: string;
}
interface Entry {
  readonly player: string;
  readonly score: number;
}
declare const gateway: { charge(orderId: string, opts: { signal?: AbortSignal | undefined }): Promise<Receipt> };
declare const redis: { top(n: number, opts: { signal?: AbortSignal | undefined }): Promise<Entry[]> };
declare const lobbyApi: { send(region: string, message: string): Promise<void> };
declare const db: { profile(id: string): Promise<Profile>; save(p: Profile): Promise<void> };
declare const matchmaker: { find(region: string, signal: AbortSignal | undefined): Promise<string> };
declare function cachedTop(): Entry[];

// --8<-- [start:resilient]
const payments = pipeline(
  { name: 'payments' },
  retryPolicy({ maxAttempts: 3, delay: 200 }),
  circuitBreakerPolicy({ name: 'payment-gateway', failureThreshold: 5, recoveryTimeout: 30_000 }),
  timeoutPolicy(2_000),
);

export class PaymentService {
  @resilient(payments)
  async charge(orderId: string): Promise<Receipt> {
    const ctx = currentContext(); // read it before the first await
    console.log(`charging ${orderId}, attempt ${ctx?.attempt}`);
    return gateway.charge(orderId, { signal: ctx?.signal });
  }
}
// --8<-- [end:resilient]

// --8<-- [start:shorthand]
export class Leaderboard {
  @fallback({ tiers: [() => cachedTop()] })
  @retry({ maxAttempts: 3, delay: 100 })
  @circuitBreaker({ name: 'redis', failureThreshold: 5, recoveryTimeout: 10_000 })
  @timeout(500)
  @bulkhead({ maxConcurrent: 16, maxQueue: 64 })
  async top(n: number): Promise<Entry[]> {
    return redis.top(n, { signal: currentContext()?.signal });
  }
}
// --8<-- [end:shorthand]

// --8<-- [start:scope]
export class LobbyConnection {
  constructor(
    readonly region: string,
    readonly clock: Clock,
  ) {}

  // One breaker per connection, made on its first call, from the instance's settings.
  @resilient((self: LobbyConnection) => circuitBreakerPolicy({ name: `lobby-${self.region}`, clock: self.clock }), {
    scope: 'instance',
  })
  async send(message: string): Promise<void> {
    await lobbyApi.send(this.region, message);
  }

  // Shorthand decorators take `scope` next to the policy's own options.
  @circuitBreaker({ failureThreshold: 3, scope: 'instance' })
  async ping(): Promise<void> {
    await lobbyApi.send(this.region, 'ping');
  }
}
// --8<-- [end:scope]

// --8<-- [start:call-options]
export class Matchmaking {
  readonly pool = 'ranked';

  @resilient(payments, {
    operation: 'matchmaking.find',
    // `self` is the Matchmaking instance and `[region, signal]` the method's parameters, typed.
    callOptions: (self, [region, signal]) => ({ signal, labels: { region, pool: self.pool } }),
  })
  async find(region: string, signal?: AbortSignal): Promise<string> {
    return matchmaker.find(region, currentContext()?.signal ?? signal);
  }
}
// --8<-- [end:call-options]

// --8<-- [start:names]
export class ProfileDb {
  // Operation 'ProfileDb.get', breaker 'ProfileDb.get': apart from any other class's `get`.
  @circuitBreaker({ failureThreshold: 5 })
  async get(id: string): Promise<Profile> {
    return db.profile(id);
  }

  // Chosen names: the breaker 'profile-db-writes', the operation 'profile.save'.
  @circuitBreaker({ name: 'profile-db-writes', operation: 'profile.save', failureThreshold: 5 })
  async save(profile: Profile): Promise<void> {
    await db.save(profile);
  }
}
// --8<-- [end:names]

// --8<-- [start:policy-of]
const service = new PaymentService();
const sub = policyOf(service, 'charge')?.onEvent((e) => console.log(`[${e.policy}] ${e.type}`));
// … later
sub?.dispose();
// --8<-- [end:policy-of]

// --8<-- [start:testing]
const clock = new VirtualClock();
const connection = new LobbyConnection('eu', clock); // its breaker runs on the virtual clock
const sent = connection.send('hello');
await clock.runAll();
await sent;
// --8<-- [end:testing]
