/**
 * The fleet drill's Redis: starts Debian's `redis-server` on a free loopback port with no
 * persistence in a temp dir (or uses `REDIS_URL`), kills and restarts it for the "Redis
 * killed" experiment, and stops it. The example's own small launcher (the test harness's
 * launcher is test code and the examples never import it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The `redis-server` binary: `REDIS_SERVER` of `env`, else Debian's. */
export function redisServerBin(env: NodeJS.ProcessEnv = process.env): string {
  return env['REDIS_SERVER'] ?? '/usr/bin/redis-server';
}

/** How to get Redis when neither the binary nor `REDIS_URL` is there. */
export const INSTALL_HINT =
  'The fleet drill needs Redis: install Debian\'s redis-server (sudo apt-get install redis-server), ' +
  'or point REDIS_URL at a Redis you may write to (e.g. REDIS_URL=redis://127.0.0.1:6379).';

/** The drill's Redis. */
export interface DrillRedis {
  /** `redis://host:port`, given to the instances. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** True when the drill started this server itself (it can then kill and restart it). */
  readonly owned: boolean;
  /** SIGKILLs the server (a crash). Only when `owned`. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. Only when `owned`. */
  restart(): Promise<void>;
  /** Stops it (SIGTERM, then SIGKILL) and removes its temp dir. Idempotent; a no-op for `REDIS_URL`. */
  stop(): Promise<void>;
}

/** True when the drill can start a redis-server itself. */
export function redisServerInstalled(env: NodeJS.ProcessEnv = process.env): boolean {
  return existsSync(redisServerBin(env));
}

/** A free loopback port (bound and released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Encodes one command in RESP. */
function resp(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * Sends one command on a fresh connection and resolves with the first reply line (`+PONG`,
 * `:3`, `-ERR …`; for a bulk string, its header and value joined by a newline), or
 * `undefined` when nothing came within `timeout` ms.
 */
export function redisCommand(host: string, port: number, args: readonly string[], timeout = 1_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const done = (value: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), timeout);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(resp(args)));
    socket.on('data', (d: string) => {
      reply += d;
      const lines = reply.split('\r\n');
      if (lines.length < 2) return;
      const head = lines[0] ?? '';
      if (!head.startsWith('$') || head === '$-1') done(head);
      else if (lines.length >= 3) done(`${head}\n${lines[1] ?? ''}`);
    });
    socket.on('error', () => done(undefined));
  });
}

/** PING; true on `+PONG` (or `-NOAUTH`: a password-protected Redis is up too, the instances log in with REDIS_URL). */
export async function ping(host: string, port: number, timeout = 500): Promise<boolean> {
  const reply = await redisCommand(host, port, ['PING'], timeout);
  return reply !== undefined && (reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class OwnedRedis implements DrillRedis {
  readonly host = '127.0.0.1';
  readonly owned = true;
  private child: ChildProcess | undefined;
  private output = '';
  private stopped = false;
  private readonly onExit = (): void => {
    this.child?.kill('SIGKILL');
  };

  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
  ) {
    // Should the drill die without stopping it (an uncaught error), the server goes with it.
    process.once('exit', this.onExit);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async launch(): Promise<void> {
    const argv = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir];
    const child = spawn(this.bin, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.output = '';
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-2_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
    const until = Date.now() + 10_000;
    while (!(await ping(this.host, this.port))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited before answering PING:\n${this.output}`);
      if (Date.now() > until) throw new Error(`redis-server did not answer PING within 10 s:\n${this.output}`);
      await sleep(20);
    }
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  }

  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.end('SIGKILL');
    // The port was just released: a new bind may race the kernel for a few ms.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.launch();
        return;
      } catch (e) {
        await this.end('SIGKILL');
        if (attempt >= 5) throw e;
        await sleep(50);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.end('SIGTERM');
    process.removeListener('exit', this.onExit);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

class ExternalRedis implements DrillRedis {
  readonly owned = false;
  constructor(
    readonly url: string,
    readonly host: string,
    readonly port: number,
  ) {}
  kill(): Promise<void> {
    return Promise.reject(new Error('REDIS_URL: the drill does not kill a Redis it did not start'));
  }
  restart(): Promise<void> {
    return Promise.reject(new Error('REDIS_URL: the drill does not restart a Redis it did not start'));
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The drill's Redis: `REDIS_URL` of `env` when set (checked with PING), else a redis-server
 * started here (`REDIS_SERVER` of `env`, else /usr/bin/redis-server), else `undefined` (the
 * caller prints {@link INSTALL_HINT}).
 */
export async function startDrillRedis(env: NodeJS.ProcessEnv = process.env): Promise<DrillRedis | undefined> {
  const given = env['REDIS_URL'];
  if (given !== undefined && given !== '') {
    const u = new URL(given);
    const host = u.hostname === '' ? '127.0.0.1' : u.hostname;
    const port = u.port === '' ? 6379 : Number(u.port);
    if (!(await ping(host, port, 2_000))) throw new Error(`REDIS_URL=${given} does not answer PING`);
    return new ExternalRedis(given, host, port);
  }
  if (!redisServerInstalled(env)) return undefined;
  for (let attempt = 0; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'bw-fleet-drill-'));
    const server = new OwnedRedis(await freePort(), dir, redisServerBin(env));
    try {
      await server.launch();
      return server;
    } catch (e) {
      await server.stop();
      // Another process may have taken the port between the probe and the bind.
      if (attempt >= 3) throw e;
    }
  }
}
