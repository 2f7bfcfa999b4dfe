/**
 * The drill's `--history DIR`: each run's suite journal is appended to `DIR/history.json`
 * (a bounded game-day history: the latest 52 runs) and the trend across runs is written
 * beside it, `DIR/trend.html` and `DIR/trend.md`. A history file that cannot be read is
 * an error, never overwritten: fix or move it, and the next run starts a new one.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SuiteJournal } from '../../src/chaos/index';
// Until `breakwater/chaos` re-exports them (src/chaos/index.ts), from their module:
import { gameDayHistory, parseGameDayHistory, renderTrend } from '../../src/chaos/index';

/** What {@link appendToHistory} wrote. */
export interface HistoryFiles {
  /** `history.json`, `trend.html`, `trend.md`, absolute. */
  readonly files: readonly string[];
  /** Runs in the history now. */
  readonly runs: number;
}

/** Writes `content` to `file` through a temporary file and a rename, so a crash never leaves half a history. */
function writeAtomically(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/** Appends `suite` to `dir/history.json` (created when missing) and writes the trend beside it. */
export function appendToHistory(dir: string, suite: SuiteJournal, limit = 52): HistoryFiles {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true });
  const file = join(root, 'history.json');
  let history;
  if (existsSync(file)) {
    try {
      history = parseGameDayHistory(readFileSync(file, 'utf8'), { limit });
    } catch (error) {
      throw new Error(`${file} is not a game-day history (${error instanceof Error ? error.message : String(error)}); move it away to start a new one`);
    }
  } else history = gameDayHistory({ limit });
  history.add(suite);
  const trend = renderTrend(history.journals, { title: `Game days: ${suite.name}` });
  const files = [file, join(root, 'trend.html'), join(root, 'trend.md')];
  writeAtomically(files[0] as string, `${JSON.stringify(history)}\n`);
  writeAtomically(files[1] as string, trend.html);
  writeAtomically(files[2] as string, trend.markdown);
  return { files, runs: history.journals.length };
}
