/**
 * A small HTTP client for the game server (what the game client would send), over
 * `node:http` with a keep-alive agent bounded to `maxSockets` connections. `close()`
 * destroys the agent's sockets so nothing keeps the process alive.
 */
import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';

/** One HTTP answer. */
export interface HttpAnswer<B = unknown> {
  readonly status: number;
  readonly body: B;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/** Options of {@link GameClient}. */
export interface GameClientOptions {
  /** Most connections at once. @defaultValue 64 */
  readonly maxSockets?: number | undefined;
  /** Client-side timeout of one request (ms): the player gives up. @defaultValue 5 000 */
  readonly timeout?: number | undefined;
}

/** Thrown when the player gives up waiting (the client timeout). */
export class ClientTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'ClientTimeoutError';
  }
}

/** A request lost to a kept-alive connection that the server had just closed. */
class StaleConnectionError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
    this.name = 'StaleConnectionError';
  }
}

export class GameClient {
  private readonly agent: Agent;
  private readonly timeout: number;
  private readonly url: URL;

  constructor(baseUrl: string, options: GameClientOptions = {}) {
    this.url = new URL(baseUrl);
    if (this.url.hostname !== '127.0.0.1') throw new Error(`the game client only talks to 127.0.0.1, got ${this.url.hostname}`);
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
    this.timeout = options.timeout ?? 5_000;
  }

  /**
   * Sends one request; resolves with any status (it never throws for 4xx/5xx). A GET sent on a
   * kept-alive connection that the server closed as the request left (`ECONNRESET` before any
   * answer: the idle-timeout race of HTTP keep-alive) is sent again once on a new connection,
   * as browsers and undici do for idempotent requests; nothing else is retried.
   */
  send<B = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer<B>> {
    return this.sendOnce<B>(method, path, body, headers).catch((error: unknown) => {
      if (method === 'GET' && error instanceof StaleConnectionError) return this.sendOnce<B>(method, path, body, headers);
      throw error instanceof StaleConnectionError ? error.cause : error;
    });
  }

  private sendOnce<B>(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<HttpAnswer<B>> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<HttpAnswer<B>>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.url.port,
          method,
          path,
          agent: this.agent,
          timeout: this.timeout,
          headers: payload === undefined ? headers : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            if ((res.headers['content-type'] ?? '').startsWith('application/json')) {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as B, headers: res.headers, text });
          });
        },
      );
      req.on('timeout', () => req.destroy(new ClientTimeoutError(this.timeout)));
      req.on('error', (error: Error & { code?: string }) => reject(req.reusedSocket && error.code === 'ECONNRESET' ? new StaleConnectionError(error) : error));
      req.end(payload);
    });
  }

  login(playerId: string, accessToken: string, refreshToken?: string): Promise<HttpAnswer> {
    return this.send('POST', '/login', refreshToken === undefined ? { playerId, accessToken } : { playerId, accessToken, refreshToken });
  }

  match(playerId: string, region: string, mode = 'ranked'): Promise<HttpAnswer> {
    return this.send('POST', '/match', { playerId, region, mode });
  }

  /** A purchase; pass the same key to retry the same purchase. */
  purchase(playerId: string, sku: string, idempotencyKey: string = randomUUID()): Promise<HttpAnswer> {
    return this.send('POST', '/shop/purchase', { playerId, sku }, { 'idempotency-key': idempotencyKey });
  }

  /** A leaderboard; `fresh`: skip the cached board. */
  leaderboard(region: string, limit = 10, fresh = false): Promise<HttpAnswer> {
    return this.send('GET', `/leaderboard?region=${encodeURIComponent(region)}&limit=${limit}${fresh ? '&fresh=1' : ''}`);
  }

  /** The live leaderboard (read from the database); `hedged: false` asks for the unhedged read the drill compares with. */
  liveLeaderboard(region: string, limit = 10, hedged = true): Promise<HttpAnswer> {
    return this.send('GET', `/leaderboard/live?region=${encodeURIComponent(region)}&limit=${limit}${hedged ? '' : '&hedge=off'}`);
  }

  manifest(platform: string): Promise<HttpAnswer> {
    return this.send('GET', `/assets/manifest?platform=${encodeURIComponent(platform)}`);
  }

  metrics(): Promise<HttpAnswer<string>> {
    return this.send<string>('GET', '/metrics');
  }

  healthz(): Promise<HttpAnswer> {
    return this.send('GET', '/healthz');
  }

  /** Closes every connection. */
  close(): void {
    this.agent.destroy();
  }
}
