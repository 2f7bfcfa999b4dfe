/**
 * A real `redis-server` for the tests of `breakwater/redis` (no mock of Redis stands in for
 * them). A test helper (test/support/), never part of the package.
 *
 * - {@link startRedisServer} starts Debian's `redis-server` on a free loopback port, with no
 *   persistence, in its own temp dir, and resolves once it answers PING.
 * - The handle stops it (SIGTERM, then SIGKILL after a grace period; the temp dir goes),
 *   kills it abruptly and restarts it on the same port (fault tests), pauses its clients
 *   (`CLIENT PAUSE`) and sends any command ({@link RedisServer.command}).
 * - {@link startRedisCluster} starts a local Redis Cluster (3 masters by default, no replicas).
 * - {@link useRedisServer} / {@link useRedisCluster} wire one into vitest's
 *   `beforeAll`/`afterAll` (passed in: this module does not import vitest, so child
 *   processes can import it too).
 *
 * Nothing is left running: every server started by this module is stopped by its handle,
 * SIGKILLed by an `exit` hook of this process if the test forgot (or failed before) to stop
 * it, and, should this process itself be SIGKILLed, by a tiny watchdog shell that kills the
 * server within a second of its parent's death.
 *
 * Child processes (multi-process tests) import this module too: start the server in the
 * test, pass `server.url` (or `server.port`) to the children in their environment, and let
 * the test stop it. {@link startRedisServer} also works inside a child (its own exit hooks
 * and watchdog apply there).
 *
 * @example
 * ```ts
 * import { afterAll, beforeAll } from 'vitest';
 * const redis = useRedisServer({ beforeAll, afterAll }); // beforeAll: start, afterAll: stop
 * it('talks to redis', async () => {
 *   const client = new Redis(redis().port, '127.0.0.1');
 *   …
 * });
 * ```
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The `redis-server` binary (Debian's package); override with `REDIS_SERVER`. */
export const REDIS_SERVER_BIN = process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server';
/** The `redis-cli` binary (for `--cluster create`); override with `REDIS_CLI`. */
export const REDIS_CLI_BIN = process.env['REDIS_CLI'] ?? '/usr/bin/redis-cli';

/** True when the `redis-server` binary is installed. */
export function redisServerAvailable(): boolean {
  return existsSync(REDIS_SERVER_BIN);
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Port to listen on. @defaultValue a free loopback port */
  readonly port?: number;
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
  readonly args?: readonly string[];
  /** Longest wait (ms) for the server to answer PING. @defaultValue `10_000` */
  readonly startTimeout?: number;
}

/** A running (or killed, restartable) `redis-server`. */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Its temp dir (removed by {@link RedisServer.stop}). */
  readonly dir: string;
  /** The pid of the current process, `undefined` while killed. */
  readonly pid: number | undefined;
  /** True while the process runs. */
  readonly running: boolean;
  /** Sends one command on a fresh connection and returns the raw reply line(s). */
  command(...args: (string | number)[]): Promise<string>;
  /** `CLIENT PAUSE ms mode`: every client's commands (of `mode`) wait `ms` ms. */
  pause(ms: number, mode?: 'ALL' | 'WRITE'): Promise<void>;
  /** `CLIENT UNPAUSE`. */
  unpause(): Promise<void>;
  /** SIGKILLs the server (a crash): the port closes at once. The temp dir stays for {@link RedisServer.restart}. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (empty: no persistence). */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL after `grace` ms (default 2000); removes the temp dir. Idempotent. */
  stop(grace?: number): Promise<void>;
}

/** Servers of this process not stopped yet (for the exit hook). */
const live = new Set<ChildProcess>();
/** Temp dirs to remove on exit. */
const dirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** A free loopback TCP port (bound and released at once; the caller retries on a race). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Is `port` free on loopback right now? */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Encodes one command in RESP. */
function resp(args: readonly (string | number)[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return out;
}

/**
 * Sends one command to `port` on a fresh connection and resolves with the raw reply once a
 * complete reply line (or bulk string) arrived; rejects on error or after `timeout` ms.
 */
export function redisCommand(port: number, args: readonly (string | number)[], timeout = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let settled = false;
    const socket: Socket = connect({ port, host: '127.0.0.1' });
    const finish = (error: Error | undefined, value?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(value as string);
    };
    const timer = setTimeout(() => finish(new Error(`redis ${args.join(' ')} on port ${port}: no reply within ${timeout} ms`)), timeout);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(resp(args)));
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const complete = replyComplete(buf);
      if (complete) finish(buf.startsWith('-') ? new Error(`redis ${String(args[0])}: ${buf.trim()}`) : undefined, buf);
    });
    socket.on('error', (e) => finish(e));
    socket.on('close', () => finish(new Error(`redis ${args.join(' ')} on port ${port}: connection closed`)));
  });
}

/** True when `buf` holds one whole simple reply (status, error, integer or bulk string). */
function replyComplete(buf: string): boolean {
  const nl = buf.indexOf('\r\n');
  if (nl < 0) return false;
  if (buf[0] !== '$') return true;
  const len = Number(buf.slice(1, nl));
  if (len < 0) return true;
  return Buffer.byteLength(buf) >= nl + 2 + len + 2;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `port` answers PING with PONG. */
async function waitForPing(port: number, timeout: number, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + timeout;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server on port ${port} exited (${child.exitCode ?? child.signalCode}) before answering PING:\n${log()}`);
    }
    try {
      const r = await redisCommand(port, ['PING'], 500);
      if (r.startsWith('+PONG')) return;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`redis-server on port ${port} did not answer PING within ${timeout} ms:\n${log()}`);
    await sleep(20);
  }
}

/** Starts a watchdog shell that SIGKILLs `pid` within ~1 s after this process dies. */
function watchdog(pid: number, dir: string): ChildProcess {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 ${pid} 2>/dev/null; rm -rf '${dir}'`;
  const dog = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
  dog.unref();
  return dog;
}

class Server implements RedisServer {
  readonly host = '127.0.0.1' as const;
  private child: ChildProcess | undefined;
  private dog: ChildProcess | undefined;
  private output = '';
  private stopped = false;

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly args: readonly string[],
    private readonly startTimeout: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get running(): boolean {
    const c = this.child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  async launch(): Promise<void> {
    if (!redisServerAvailable()) {
      throw new Error(`${REDIS_SERVER_BIN} not found: install Debian's redis-server (apt-get install redis-server) or set REDIS_SERVER`);
    }
    const argv = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...this.args];
    const child = spawn(REDIS_SERVER_BIN, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.output = '';
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-4_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => live.delete(child));
    this.child = child;
    live.add(child);
    if (child.pid !== undefined) this.dog = watchdog(child.pid, this.dir);
    await waitForPing(this.port, this.startTimeout, child, () => this.output);
  }

  command(...args: (string | number)[]): Promise<string> {
    return redisCommand(this.port, args);
  }

  async pause(ms: number, mode: 'ALL' | 'WRITE' = 'ALL'): Promise<void> {
    await this.command('CLIENT', 'PAUSE', ms, mode);
  }

  async unpause(): Promise<void> {
    await this.command('CLIENT', 'UNPAUSE');
  }

  private async end(signal: NodeJS.Signals, grace: number): Promise<void> {
    const child = this.child;
    this.dog?.kill('SIGKILL');
    this.dog = undefined;
    if (child === undefined) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), grace);
    await exited;
    clearTimeout(timer);
    live.delete(child);
  }

  async kill(): Promise<void> {
    await this.end('SIGKILL', 0);
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error('restart() after stop()');
    await this.end('SIGKILL', 0);
    // The port was just released; a fresh bind may race with the kernel for a few ms.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.launch();
        return;
      } catch (e) {
        if (attempt >= 5) throw e;
        await this.end('SIGKILL', 0);
        await sleep(50);
      }
    }
  }

  async stop(grace = 2_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.end('SIGTERM', grace);
    rmSync(this.dir, { recursive: true, force: true });
    dirs.delete(this.dir);
  }
}

/**
 * Starts a `redis-server` on a free loopback port (or `options.port`), no persistence
 * (`--save "" --appendonly no`), in a new temp dir, and resolves once it answers PING.
 * Throws with the server's output when it does not come up.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  installExitHook();
  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort());
    const dir = mkdtempSync(join(tmpdir(), 'bw-redis-'));
    dirs.add(dir);
    const server = new Server(port, dir, options.args ?? [], options.startTimeout ?? 10_000);
    try {
      await server.launch();
      return server;
    } catch (e) {
      await server.stop(0);
      // Another process may have taken the free port between our probe and the server's bind.
      if (options.port !== undefined || attempt >= 3) throw e;
    }
  }
}

/** A local Redis Cluster started by {@link startRedisCluster}. */
export interface RedisCluster {
  /** Its nodes (masters), each a {@link RedisServer}. */
  readonly nodes: readonly RedisServer[];
  /** `{ host, port }` of every node, for `new Redis.Cluster(...)` / `createCluster({ rootNodes })`. */
  readonly endpoints: readonly { host: '127.0.0.1'; port: number }[];
  /** Stops every node. Idempotent. */
  stop(): Promise<void>;
}

/** A port `p` such that `p` and its cluster bus port `p + 10000` are both free. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(p) || taken.has(p + 10_000)) continue;
    if ((await portFree(p)) && (await portFree(p + 10_000))) return p;
  }
  throw new Error('no free port pair for a cluster node');
}

/**
 * Starts a local Redis Cluster: `nodes` masters (default 3, the minimum Redis accepts) with
 * no replicas, created by `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`,
 * and resolves once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(options: { nodes?: number; startTimeout?: number } = {}): Promise<RedisCluster> {
  const count = options.nodes ?? 3;
  const timeout = options.startTimeout ?? 20_000;
  const nodes: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    const taken = new Set<number>();
    for (let i = 0; i < count; i++) {
      const port = await freeClusterPort(taken);
      taken.add(port);
      taken.add(port + 10_000);
      nodes.push(
        await startRedisServer({
          port,
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'],
        }),
      );
    }
    const create = spawnSync(
      REDIS_CLI_BIN,
      ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed (${create.status}):\n${create.stdout}\n${create.stderr}`);
    const until = Date.now() + timeout;
    for (const n of nodes) {
      for (;;) {
        const info = await n.command('CLUSTER', 'INFO').catch(() => '');
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > until) throw new Error(`cluster node ${n.port} not ok within ${timeout} ms:\n${info}`);
        await sleep(50);
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { nodes, endpoints: nodes.map((n) => ({ host: '127.0.0.1' as const, port: n.port })), stop };
}

/** vitest's `beforeAll` / `afterAll`, passed in (this module does not import vitest). */
export interface SuiteHooks {
  beforeAll(fn: () => Promise<void>, timeout?: number): void;
  afterAll(fn: () => Promise<void>, timeout?: number): void;
}

/**
 * vitest wiring: starts a server in `beforeAll`, stops it in `afterAll`; returns a getter
 * for the running server (call it inside tests and hooks, not at collection time).
 */
export function useRedisServer({ beforeAll, afterAll }: SuiteHooks, options: RedisServerOptions = {}): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer(options);
  }, 20_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined) throw new Error('useRedisServer(): the server is not started (use it inside a test or hook)');
    return server;
  };
}

/** {@link useRedisServer} for a local cluster. */
export function useRedisCluster({ beforeAll, afterAll }: SuiteHooks, options: { nodes?: number } = {}): () => RedisCluster {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster(options);
  }, 40_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (cluster === undefined) throw new Error('useRedisCluster(): the cluster is not started (use it inside a test or hook)');
    return cluster;
  };
}
