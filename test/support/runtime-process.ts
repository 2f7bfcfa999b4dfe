/**
 * Child processes of the runtime suite, time-bounded and always cleaned up: each child
 * leads its own process group (Chromium forks helpers), the group is killed on timeout,
 * and {@link killAllRuntimeProcesses} (called from `afterAll`, and on process exit as a last
 * resort) ends every group still running.
 */
import { spawn } from 'node:child_process';

/** How a child process ended. */
export interface ProcessResult {
  /** Exit code, or `null` when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Killed because it outlived its limit. */
  readonly timedOut: boolean;
  /** Killed because it was still running {@link RunProcessOptions.exitAfterMarkerMs} after the marker. */
  readonly keptAlive: boolean;
  /** Wall time from spawn to exit (ms). */
  readonly ms: number;
  /** Wall time from the first stdout line containing `watchFor` to exit (ms), `NaN` when none. */
  readonly exitAfterMarker: number;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  readonly cwd: string;
  /** The child's whole environment (nothing is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** Kill the process group after this many ms. */
  readonly limitMs: number;
  /** A stdout marker whose arrival time is recorded (see {@link ProcessResult.exitAfterMarker}). */
  readonly watchFor?: string;
  /** Once the marker is seen, the child must exit within this many ms or be killed (`keptAlive`). */
  readonly exitAfterMarkerMs?: number;
}

const live = new Set<number>();

/** Kills the process group of `pid` (the child and everything it forked); ignores groups already gone. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  live.delete(pid);
}

/** Kills every process group this module started that is still running. */
export function killAllRuntimeProcesses(): void {
  for (const pid of [...live]) killGroup(pid);
}

let exitHook = false;

/** Starts `command` in its own process group, tracked until it exits. */
export function startProcess(command: string, args: readonly string[], options: { cwd: string; env: Readonly<Record<string, string>> }) {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', killAllRuntimeProcesses);
  }
  const child = spawn(command, args, { cwd: options.cwd, env: { ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) live.add(child.pid);
  child.once('exit', () => {
    if (child.pid !== undefined) live.delete(child.pid);
  });
  return child;
}

/** Runs `command args…` to its end or its time limit; never rejects for a non-zero exit. */
export function runProcess(command: string, args: readonly string[], options: RunProcessOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = startProcess(command, args, options);
    let stdout = '';
    let stderr = '';
    let markerAt = Number.NaN;
    let timedOut = false;
    let keptAlive = false;
    let grace: NodeJS.Timeout | undefined;
    const kill = (): void => {
      if (child.pid !== undefined) killGroup(child.pid);
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      stdout += d;
      if (options.watchFor !== undefined && Number.isNaN(markerAt) && stdout.includes(options.watchFor)) {
        markerAt = performance.now();
        if (options.exitAfterMarkerMs !== undefined) {
          grace = setTimeout(() => {
            keptAlive = true;
            kill();
          }, options.exitAfterMarkerMs);
        }
      }
    });
    child.stderr.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.limitMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      clearTimeout(grace);
      reject(new Error(`could not start ${command}: ${error.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(grace);
      // The child is gone; helpers it forked into its group must not outlive it.
      if (child.pid !== undefined) killGroup(child.pid);
      const end = performance.now();
      resolve({ code, signal, stdout, stderr, timedOut: timedOut && !keptAlive, keptAlive, ms: end - started, exitAfterMarker: end - markerAt });
    });
  });
}
