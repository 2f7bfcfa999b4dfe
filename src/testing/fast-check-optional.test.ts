/**
 * `breakwater/testing` loads without fast-check (issue #15 item 8): only
 * `breakwater/testing/arbitraries` imports it. test/package.test.ts checks the same on the
 * published package, in a consumer that has no fast-check installed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ARBITRARY_NAMES, arbitrariesMovedMessage } from './arbitraries-moved';

const here = __dirname;

/** Every module specifier reached from `entry` through relative imports (type-only ones too: they end up in the .d.ts). */
function reachableSpecifiers(entry: string): Set<string> {
  const seen = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('.')) visit(resolve(dirname(file), `${fileName}.ts`));
      else external.add(fileName);
    }
  };
  visit(entry);
  return external;
}

describe('breakwater/testing without fast-check', () => {
  afterEach(() => {
    vi.doUnmock('fast-check');
    vi.resetModules();
  });

  it('no module reachable from src/testing/index.ts imports fast-check; src/testing/arbitraries.ts does', () => {
    expect([...reachableSpecifiers(join(here, 'index.ts'))]).not.toContain('fast-check');
    expect([...reachableSpecifiers(join(here, 'arbitraries.ts'))]).toContain('fast-check');
  });

  it('imports and runs VirtualClock, seededRandom and scriptedDependency when fast-check cannot be loaded', async () => {
    vi.resetModules();
    vi.doMock('fast-check', () => {
      throw new Error('Cannot find package fast-check (simulated)');
    });
    const testing = await import('./index');
    const clock = new testing.VirtualClock();
    let fired = -1;
    clock.setTimeout(() => (fired = clock.now()), 250);
    await clock.advance(250);
    expect(fired).toBe(250);
    expect(testing.seededRandom(7)()).toBe(testing.seededRandom(7)());
    const dep = testing.scriptedDependency<string>({ calls: [testing.Step.ok('a')] }, clock);
    await expect(dep()).resolves.toBe('a');
    expect(typeof testing.watchPipeline).toBe('function');
    expect(typeof testing.describePipeline).toBe('function');
    // The simulation is in force: the arbitraries entry, which needs fast-check, fails to load.
    await expect(import('./arbitraries')).rejects.toBeInstanceOf(Error);
  });

  it('asking breakwater/testing for an arbitrary throws an error naming fast-check, how to install it and where the arbitraries are', async () => {
    const { arbitraries } = await import('./index');
    const stand = arbitraries as unknown as Record<string, () => unknown>;
    for (const name of ARBITRARY_NAMES) {
      expect(() => stand[name]!()).toThrow(arbitrariesMovedMessage(name));
    }
    const message = arbitrariesMovedMessage('faultSchedule');
    expect(message).toMatch(/fast-check/);
    expect(message).toMatch(/npm install --save-dev fast-check/);
    expect(message).toMatch(/import \{ arbitraries \} from 'breakwater\/testing\/arbitraries'/);
    // Inspecting the stand-in does not throw (non-enumerable getters).
    expect(Object.keys(stand)).toEqual([]);
    expect(() => JSON.stringify(stand)).not.toThrow();
  });

  it('the stand-in knows every arbitrary of breakwater/testing/arbitraries', async () => {
    const { arbitraries } = await import('./arbitraries');
    expect([...ARBITRARY_NAMES].sort()).toEqual(Object.keys(arbitraries).sort());
  });
});
