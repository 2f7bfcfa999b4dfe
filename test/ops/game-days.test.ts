/**
 * docs/game-days.md keeps a runbook for every scenario of the catalog, each with the rows
 * of the template filled in and naming the scenario's own factory.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioCatalog } from '../../src/chaos/catalog';

const page = readFileSync(resolve(__dirname, '../../docs/game-days.md'), 'utf8');
const sections = new Map(
  page
    .split(/^### /m)
    .slice(1)
    .map((s) => [s.slice(0, s.indexOf('\n')).trim(), s] as const),
);
const ROWS = ['Fault', 'Exercises', 'Operation', 'Hypothesis', 'Steady state', 'Halt', 'Blast radius', 'Watch', 'Rollbacks'];

describe('docs/game-days.md', () => {
  it('walks through plan, safety review, run, analyse and improve', () => {
    for (const step of ['## 1. Plan', '## 2. Safety review', '## 3. Run', '## 4. Analyse', '## 5. Improve', '## Runbooks, one per catalog scenario']) expect(page).toContain(step);
  });

  it('has a runbook for every catalog scenario, and for nothing else', () => {
    expect([...sections.keys()].sort()).toEqual(scenarioCatalog.map((s) => s.id).sort());
  });

  for (const s of scenarioCatalog) {
    it(`${s.id}: fills every row of the template and names ${s.factory}()`, () => {
      const text = sections.get(s.id) ?? '';
      for (const row of ROWS) expect(text, `${s.id}: ${row}`).toMatch(new RegExp(`^\\| ${row} \\| \\S`, 'm'));
      expect(text).toContain(`\`${s.factory}()\``);
    });
  }
});
