/**
 * The trend report renders in a real browser: a history made by scheduled game days on a
 * VirtualClock is rendered with renderTrend, written to a temporary file and opened by
 * headless Chromium (`--dump-dom`, Debian's /usr/bin/chromium, or $CHROMIUM); the DOM it
 * parsed holds the three inline SVG charts with their lines and points. Chromium runs in
 * its own process group with a throwaway profile and is killed at its time limit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { scheduleSuite } from '../../src/chaos/experiment/schedule';
import { renderTrend } from '../../src/chaos/experiment/trend';
import { TREND_CHART_IDS } from '../../src/chaos/experiment/trend-html';
import { gameDayWorld } from '../support/litmus-gameday';
import { killAllRuntimeProcesses, runProcess } from '../support/runtime-process';

const LIMIT_MS = 15_000;
const dir = mkdtempSync(join(tmpdir(), 'breakwater-trend-'));

afterAll(() => {
  killAllRuntimeProcesses();
  rmSync(dir, { recursive: true, force: true });
});

describe('the trend report in headless Chromium', () => {
  it('renders: the DOM holds the three SVG charts, each with its line and a point per run', async () => {
    const w = gameDayWorld();
    const s = scheduleSuite(w.suite, { every: 100, policy: w.controller, wallClock: w.wallClock, maxRuns: 6 });
    await w.clock.advanceTo(700);
    expect(await s.done).toMatchObject({ cause: 'max-runs', runs: 6 });
    const { html } = renderTrend(s.history.journals, { title: 'Game days <in Chromium>' });
    const file = join(dir, 'trend.html');
    writeFileSync(file, html);

    const profile = join(dir, 'profile');
    const chromium = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
    const r = await runProcess(chromium, ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions', '--disable-background-networking', '--disable-component-update', `--user-data-dir=${profile}`, '--dump-dom', pathToFileURL(file).href], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir },
      limitMs: LIMIT_MS,
    });
    expect(r.timedOut, `Chromium did not finish within ${LIMIT_MS} ms:\n${r.stderr.slice(-2_000)}`).toBe(false);
    expect(r.code, r.stderr.slice(-2_000)).toBe(0);
    const dom = r.stdout;
    expect(dom).toContain('<title>Game days &lt;in Chromium&gt;</title>');
    for (const id of TREND_CHART_IDS) {
      const at = dom.indexOf(`data-chart="${id}"`);
      expect(at, `chart ${id} in the DOM`).toBeGreaterThan(0);
      const figure = dom.slice(at, dom.indexOf('</figure>', at));
      expect(figure).toMatch(/<svg [^>]*viewBox="0 0 720 230"/);
      expect(figure.match(/<polyline /g)).toHaveLength(1);
      expect(figure.match(/<circle /g)).toHaveLength(6);
    }
    expect(dom.match(/<svg /g)).toHaveLength(3);
  }, 30_000);
});
