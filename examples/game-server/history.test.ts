/**
 * The drill's `--history DIR`: runs append to DIR/history.json and the trend is written
 * beside it; a history that cannot be read is refused, never overwritten. The journals
 * come from the game-day world of the schedule tests (virtual time), not from a drill.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSuite } from '../../src/chaos/experiment/suite';
import type { SuiteJournal } from '../../src/chaos/index';
import { gameDayWorld } from '../../test/support/litmus-gameday';
import { parseArgs } from './drill';
import { appendToHistory } from './history';

const dir = mkdtempSync(join(tmpdir(), 'drill-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function suiteJournal(): Promise<SuiteJournal> {
  const w = gameDayWorld();
  const run = runSuite({ ...w.suite, name: 'game backend drill (with policies)', wallClock: w.wallClock });
  await w.clock.runAll();
  return run;
}

describe('--history DIR', () => {
  it('parses, and refuses a missing directory', () => {
    expect(parseArgs(['--quick', '--history', 'reports/history', '--seed', '7'])).toEqual({ quick: true, compare: false, seed: 7, historyDir: 'reports/history' });
    expect(() => parseArgs(['--history'])).toThrow('--history expects a directory');
    expect(() => parseArgs(['--history', '--quick'])).toThrow('--history expects a directory');
    expect(() => parseArgs(['--histroy', 'x'])).toThrow('unknown option(s): --histroy');
  });

  it('appends each run and writes the trend beside the history', async () => {
    const history = join(dir, 'nested', 'history');
    const first = appendToHistory(history, await suiteJournal());
    expect(first.runs).toBe(1);
    const second = appendToHistory(history, await suiteJournal());
    expect(second.runs).toBe(2);
    expect(second.files).toEqual([join(history, 'history.json'), join(history, 'trend.html'), join(history, 'trend.md')]);
    const stored = JSON.parse(readFileSync(join(history, 'history.json'), 'utf8')) as { kind: string; journals: SuiteJournal[] };
    expect(stored.kind).toBe('game-day-history');
    expect(stored.journals.map((j) => j.name)).toEqual(['game backend drill (with policies)', 'game backend drill (with policies)']);
    expect(readFileSync(join(history, 'trend.html'), 'utf8')).toContain('data-chart="trend-score"');
    expect(readFileSync(join(history, 'trend.md'), 'utf8')).toContain('# Game days: game backend drill (with policies)');
  });

  it('keeps the latest runs only, and refuses a history it cannot read', async () => {
    const history = join(dir, 'bounded');
    for (let i = 0; i < 3; i++) appendToHistory(history, await suiteJournal(), 2);
    expect((JSON.parse(readFileSync(join(history, 'history.json'), 'utf8')) as { journals: unknown[] }).journals).toHaveLength(2);
    const broken = join(dir, 'broken');
    appendToHistory(broken, await suiteJournal());
    writeFileSync(join(broken, 'history.json'), '{"kind":"something else"}');
    expect(() => appendToHistory(broken, {} as SuiteJournal)).toThrow(/history\.json is not a game-day history .*move it away/);
    expect(readFileSync(join(broken, 'history.json'), 'utf8')).toBe('{"kind":"something else"}');
  });
});
