/**
 * The test side of fleet-breaker-worker.ts: bundles the worker once (esbuild, packages left
 * external, into the git-ignored `.tmp/`), starts workers as child processes of plain node,
 * sends them commands and waits for their answers and events, each wait bounded. Every
 * worker started is killed by {@link stopAllFleetWorkers} (call it from `afterEach` /
 * `afterAll`); a worker also exits when its stdin closes. A test helper, never shipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import type { WorkerCommand, WorkerLine } from './fleet-breaker-worker';

const root = join(__dirname, '../..');
const live = new Set<ChildProcess>();

/** Bundles the worker; resolves with the bundle's path and a function that removes it. */
export async function bundleFleetWorker(): Promise<{ file: string; remove(): void }> {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(root, '.tmp', 'fleet-breaker-'));
  const file = join(dir, 'fleet-breaker-worker.mjs');
  await build({
    entryPoints: [join(__dirname, 'fleet-breaker-worker.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The worker's configuration (see fleet-breaker-worker.ts). */
export interface FleetWorkerConfig {
  readonly port: number;
  readonly id: string;
  readonly heartbeat?: number;
  readonly client?: 'ioredis' | 'node-redis';
}

/** The options of a breaker a worker joins (see the worker's `join` command). */
export interface FleetBreakerConfig {
  readonly quorum?: number;
  readonly threshold?: number;
  readonly recovery?: number;
  readonly probeTimeout?: number;
}

/** One running worker. */
export class FleetWorker {
  /** Every event line it printed so far, in order. */
  readonly events: WorkerLine[] = [];
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (line: WorkerLine) => void>();
  private readonly waiters = new Set<() => void>();
  private nextId = 1;
  private stderr = '';
  private exited = false;

  constructor(file: string, readonly config: FleetWorkerConfig) {
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      FLEET_PORT: String(config.port),
      FLEET_ID: config.id,
      FLEET_HEARTBEAT: String(config.heartbeat ?? 100),
      FLEET_CLIENT: config.client ?? 'ioredis',
    };
    this.child = spawn(process.execPath, [file], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(this.child);
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.once('exit', () => {
      this.exited = true;
      live.delete(this.child);
      for (const w of this.waiters) w();
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
      let line: WorkerLine;
      try {
        line = JSON.parse(l) as WorkerLine;
      } catch {
        return;
      }
      if (typeof line.id === 'number') {
        this.pending.get(line.id)?.(line);
        this.pending.delete(line.id);
      } else {
        this.events.push(line);
        for (const w of this.waiters) w();
      }
    });
  }

  get id(): string {
    return this.config.id;
  }

  /** False once the process exited. */
  get alive(): boolean {
    return !this.exited;
  }

  /** Resolves once the worker runs (its first line). */
  started(timeout = 20_000): Promise<WorkerLine> {
    return this.waitFor((e) => e.event === 'started', timeout, 'its start');
  }

  /** Sends a command about breaker `breaker`; resolves with its answer (rejects after `timeout` ms). */
  request(op: WorkerCommand['op'], breaker: string, extra: Omit<WorkerCommand, 'id' | 'op' | 'breaker'> = {}, timeout = 5_000): Promise<WorkerLine> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${this.id}: no answer to ${op} within ${timeout} ms\n${this.stderr}`));
      }, timeout);
      this.pending.set(id, (line) => {
        clearTimeout(timer);
        resolve(line);
      });
      this.child.stdin?.write(`${JSON.stringify({ id, op, breaker, ...extra })}\n`);
    });
  }

  /** Resolves with the first event of breaker `breaker` that `match` accepts (from the start); rejects after `timeout` ms. */
  event(breaker: string, match: (e: WorkerLine) => boolean, timeout = 5_000, what = 'an event'): Promise<WorkerLine> {
    return this.waitFor((e) => e['breaker'] === breaker && match(e), timeout, `${what} of ${breaker}`);
  }

  /** Resolves with the first event (from the start) that `match` accepts; rejects after `timeout` ms. */
  waitFor(match: (e: WorkerLine) => boolean, timeout = 5_000, what = 'an event'): Promise<WorkerLine> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.events.find(match);
        if (found !== undefined) {
          done();
          resolve(found);
          return true;
        }
        if (this.exited) {
          done();
          reject(new Error(`worker ${this.id} exited before ${what}\n${this.stderr}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`worker ${this.id}: no ${what} within ${timeout} ms; events: ${JSON.stringify(this.events)}\n${this.stderr}`));
      }, timeout);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      this.waiters.add(waiter);
      check();
    });
  }

  /** Transitions of breaker `breaker` so far (`opened:<reason>`, `half-opened`, `closed:<reason>`). */
  transitions(breaker: string): string[] {
    return this.events.flatMap((e) =>
      e['breaker'] !== breaker
        ? []
        : e.event === 'opened' || e.event === 'closed' ? [`${e.event}:${String(e['reason'])}`] : e.event === 'half-opened' ? ['half-opened'] : [],
    );
  }

  /** Kills it abruptly (a crash: no leave, no lease release). */
  kill(): Promise<void> {
    if (this.exited) return Promise.resolve();
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGKILL');
    return gone;
  }
}

/** Kills every worker still running. */
export async function stopAllFleetWorkers(): Promise<void> {
  const all = [...live];
  await Promise.all(
    all.map(
      (c) =>
        new Promise<void>((r) => {
          if (c.exitCode !== null || c.signalCode !== null) return r();
          c.once('exit', () => r());
          c.kill('SIGKILL');
        }),
    ),
  );
}
