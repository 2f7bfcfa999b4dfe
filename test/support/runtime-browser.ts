/**
 * Runs the runtime suite's page in headless Chromium without any browser driver: a loopback
 * HTTP server serves the page and the bundle, Chromium (the system's, started with its own
 * headless flags) loads it, and the page posts its report (or any error) back to the server.
 * The server and the whole Chromium process group are gone when {@link runInChromium} settles.
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { killGroup, startProcess } from './runtime-process';

/** What came back from the page. */
export interface BrowserRun {
  /** The report the page posted (JSON text), if it did. */
  readonly report: string | undefined;
  /** Errors the page posted: a script that did not load, an uncaught error, an unhandled rejection. */
  readonly pageErrors: readonly string[];
  /** No report nor error came within the limit. */
  readonly timedOut: boolean;
  /** Chromium's own output (stdout and stderr), for failure messages. */
  readonly chromiumOutput: string;
  /** Chromium exited by itself before the page answered (with this code or signal). */
  readonly chromiumExit: string | undefined;
  /** Wall time from launch to the answer (ms). */
  readonly ms: number;
}

/** Options of {@link runInChromium}. */
export interface BrowserOptions {
  /** The Chromium executable. */
  readonly chromium: string;
  /** The folder served: index.html and bundle.js. */
  readonly www: string;
  /** Chromium's profile folder (scratch). */
  readonly profile: string;
  /** The environment Chromium runs with (nothing is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** The longest to wait for the page's answer (ms). */
  readonly limitMs: number;
}

/** How long to listen for late page errors after the report arrived. */
const LATE_ERRORS_MS = 250;

const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/bundle.js': { file: 'bundle.js', type: 'text/javascript; charset=utf-8' },
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.once('end', () => resolve(body));
    req.once('error', reject);
  });
}

/** The flags that make Chromium a quiet, headless, loopback-only page runner. */
function chromiumArgs(profile: string, url: string): string[] {
  return [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-extensions',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-default-apps',
    '--disable-sync',
    '--mute-audio',
    `--user-data-dir=${profile}`,
    url,
  ];
}

/** Serves the page on a free loopback port, runs it in Chromium and returns what it reported. */
export async function runInChromium(options: BrowserOptions): Promise<BrowserRun> {
  let report: string | undefined;
  const pageErrors: string[] = [];
  let answered: () => void = () => {};
  const answer = new Promise<void>((resolve) => (answered = resolve));

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'POST' && (path === '/report' || path === '/error')) {
      readBody(req).then(
        (body) => {
          res.writeHead(204).end();
          if (path === '/report') {
            report ??= body;
            setTimeout(answered, LATE_ERRORS_MS);
          } else {
            pageErrors.push(body);
            answered();
          }
        },
        () => res.writeHead(400).end(),
      );
      return;
    }
    const served = req.method === 'GET' ? FILES[path] : undefined;
    if (served === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': served.type, 'cache-control': 'no-store' });
    createReadStream(join(options.www, served.file)).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const started = performance.now();
  let output = '';
  let exited: string | undefined;
  let timedOut = false;
  let finished = false;
  const child = startProcess(options.chromium, chromiumArgs(options.profile, `http://127.0.0.1:${port}/`), { cwd: options.profile, env: options.env });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (output += d));
    child.stderr.on('data', (d: string) => (output += d));
    const failedToStart = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`could not start ${options.chromium}: ${e.message}`))));
    // Chromium leaving early is an answer too (a crash, a bad flag): do not wait for the limit.
    child.once('exit', (code, signal) => {
      if (!finished) exited = signal ?? `exit code ${code}`;
      answered();
    });
    let limit: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      limit = setTimeout(() => {
        timedOut = true;
        resolve();
      }, options.limitMs);
    });
    await Promise.race([answer, expired, failedToStart]).finally(() => clearTimeout(limit));
  } finally {
    finished = true;
    if (child.pid !== undefined) killGroup(child.pid);
    if (child.exitCode === null && child.signalCode === null) await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return {
    report,
    pageErrors,
    timedOut: timedOut && report === undefined && pageErrors.length === 0,
    chromiumOutput: output,
    chromiumExit: exited,
    ms: performance.now() - started,
  };
}
