/**
 * Open-loop load for the fleet drill: `POST /charge` at a fixed rate for a fixed time,
 * whatever the answers (players do not slow down because the server is busy). Every request
 * is bounded by a client timeout, and {@link drive} resolves once each one has an answer, an
 * error or its timeout: nothing is left in flight.
 */
import { Agent, request } from 'node:http';

/** One request's fate. */
export interface Shot {
  /** Wall time (ms) it was sent. */
  readonly sentAt: number;
  /** HTTP status, or 0 when no answer came (see `failure`). */
  readonly status: number;
  /** Why no answer came: `timeout` (the client gave up) or the connection's error code. */
  readonly failure: string | undefined;
  /** The instance that answered (from the body), when one did. */
  readonly instance: string | undefined;
  /** Wall time (ms) the instance's quota and breaker let the charge through (from the body), when they did. */
  readonly admittedAt: number | undefined;
}

/** Options of {@link drive}. */
export interface DriveOptions {
  /** Requests per second. */
  readonly rate: number;
  /** How long (ms) to send. */
  readonly duration: number;
  /** Extra request headers (e.g. `x-quota: island`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Client timeout per request (ms). @defaultValue 10 000 */
  readonly timeout?: number;
  /** Stops sending early (the requests sent are still awaited). */
  readonly signal?: AbortSignal;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** Closes the load's keep-alive sockets (at the end of the drill). */
export function closeLoad(): void {
  agent.destroy();
}

function shoot(url: URL, headers: Readonly<Record<string, string>>, timeout: number): Promise<Shot> {
  const sentAt = Date.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: number, failure?: string, instance?: string, admittedAt?: number): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ sentAt, status, failure, instance, admittedAt });
    };
    const req = request({ host: url.hostname, port: url.port, path: '/charge', method: 'POST', agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.once('end', () => {
        let parsed: { instance?: unknown; admittedAt?: unknown } = {};
        try {
          parsed = JSON.parse(body) as { instance?: unknown; admittedAt?: unknown };
        } catch {
          // not an instance's answer (e.g. the balancer's 502)
        }
        const instance = typeof parsed.instance === 'string' ? parsed.instance : undefined;
        finish(res.statusCode ?? 0, undefined, instance, typeof parsed.admittedAt === 'number' ? parsed.admittedAt : undefined);
      });
      res.once('error', (e: NodeJS.ErrnoException) => finish(0, e.code ?? e.message));
    });
    const timer = setTimeout(() => {
      finish(0, 'timeout');
      req.destroy();
    }, timeout);
    req.once('error', (e: NodeJS.ErrnoException) => finish(0, e.code ?? e.message));
    req.end();
  });
}

/** Sends `rate` requests per second to `baseUrl` for `duration` ms (or until `signal` aborts); resolves with every request's fate. */
export async function drive(baseUrl: string, o: DriveOptions): Promise<Shot[]> {
  const url = new URL(baseUrl);
  const shots: Promise<Shot>[] = [];
  const start = Date.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = Math.min(Date.now() - start, o.duration);
      const due = Math.floor((elapsed * o.rate) / 1_000);
      while (shots.length < due) shots.push(shoot(url, o.headers ?? {}, o.timeout ?? 10_000));
      if (elapsed >= o.duration || o.signal?.aborted === true) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 5);
  });
  return Promise.all(shots);
}

/** Counts of a run by status, and by failure for those with no answer (`no answer (timeout)`). */
export function byStatus(shots: readonly Shot[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of shots) {
    const k = s.status === 0 ? `no answer (${s.failure ?? 'unknown'})` : String(s.status);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}
