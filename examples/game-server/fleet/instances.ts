/**
 * Starts the fleet drill's game-server instances as child processes (`node --import tsx
 * instance.ts`, the library used through its source like the single-process drill), reads
 * their JSON lines, answers "when did instance X report Y", reads their `/state` and stops
 * them: stdin closed (they shut down by themselves), then SIGTERM, then SIGKILL, each step
 * bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** One line an instance printed. */
export interface InstanceEvent {
  readonly instance: string;
  readonly event: string;
  /** Wall time (ms). */
  readonly at: number;
  readonly [key: string]: unknown;
}

/** What every instance is started with. */
export interface InstanceConfig {
  readonly redisUrl: string;
  readonly gatewayUrl: string;
  readonly instances: number;
  readonly partnerRate: number;
  readonly partnerBurst: number;
  readonly quorum: number;
  readonly recoveryTimeout: number;
}

/** One running instance. */
export interface GameInstance {
  readonly id: string;
  readonly port: number;
  readonly child: ChildProcess;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const INSTANCE_FILE = join(here, 'instance.ts');
const root = join(here, '../../..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The running fleet. */
export class Fleet {
  /** Every line every instance printed, in arrival order. */
  readonly events: InstanceEvent[] = [];
  readonly members: GameInstance[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly stderr = new Map<string, string>();

  /** Starts `config.instances` instances and resolves once each one listens (bounded by `timeout` ms). */
  async start(config: InstanceConfig, timeout = 30_000): Promise<void> {
    const ids = Array.from({ length: config.instances }, (_, i) => `game-${i + 1}`);
    this.members.push(...(await Promise.all(ids.map((id) => this.spawnOne(id, config, timeout)))));
  }

  private spawnOne(id: string, config: InstanceConfig, timeout: number): Promise<GameInstance> {
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      REDIS_URL: config.redisUrl,
      GATEWAY_URL: config.gatewayUrl,
      INSTANCE_ID: id,
      INSTANCES: String(config.instances),
      PARTNER_RATE: String(config.partnerRate),
      PARTNER_BURST: String(config.partnerBurst),
      QUORUM: String(config.quorum),
      RECOVERY_TIMEOUT: String(config.recoveryTimeout),
      // Chaos armed for these processes only (the environment switch of each instance).
      BREAKWATER_CHAOS: '1',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', INSTANCE_FILE], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    child.stderr?.on('data', (d: Buffer) => this.stderr.set(id, ((this.stderr.get(id) ?? '') + d.toString()).slice(-4_000)));
    return new Promise<GameInstance>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`instance ${id} did not listen within ${timeout} ms:\n${this.stderr.get(id) ?? ''}`)), timeout);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`instance ${id} exited (${code ?? signal}) before listening:\n${this.stderr.get(id) ?? ''}`));
      });
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
        let line: InstanceEvent;
        try {
          line = JSON.parse(l) as InstanceEvent;
        } catch {
          return;
        }
        this.events.push(line);
        if (line.event === 'listening') {
          clearTimeout(timer);
          resolve({ id, port: Number(line['port']), child });
        }
      });
    });
  }

  /** Events named `event` (of `instance`, when given) at or after `since`. */
  find(event: string, since: number, instance?: string): InstanceEvent[] {
    return this.events.filter((e) => e.event === event && e.at >= since && (instance === undefined || e.instance === instance));
  }

  /** Waits until `test` holds (polled every 20 ms); false after `timeout` ms or once `signal` aborts. */
  async until(test: () => boolean, timeout: number, signal?: AbortSignal): Promise<boolean> {
    const end = Date.now() + timeout;
    while (!test()) {
      if (Date.now() > end || signal?.aborted === true) return false;
      await sleep(20);
    }
    return true;
  }

  /** `GET /state` of one instance. */
  state(member: GameInstance): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port: member.port, path: '/state', timeout: 2_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.once('end', () => {
          try {
            resolve(JSON.parse(body) as Record<string, unknown>);
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
      });
      req.once('timeout', () => req.destroy(new Error(`instance ${member.id}: /state timed out`)));
      req.once('error', reject);
    });
  }

  /** Stops every instance this fleet started (also those still starting). Idempotent. */
  async stop(): Promise<void> {
    const running = [...this.children];
    await Promise.all(
      running.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.stdin?.end(); // the instance shuts down by itself
        const term = setTimeout(() => child.kill('SIGTERM'), 2_500);
        const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(term);
        clearTimeout(kill);
      }),
    );
  }

  /** SIGKILLs every instance at once (the drill's own exit path of last resort). */
  killNow(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}
