/**
 * A progress display for experiments: on a TTY, one line rewritten in place (phase,
 * elapsed time, current error rate and p99); elsewhere (CI logs, pipes), plain lines at
 * each phase change and at the end. Writes to the stream it is given; owns no timer (it is
 * driven by the experiment's evaluations).
 *
 * @packageDocumentation
 */
import { rules, validateOptions } from '../../core/validation';
import type { ExperimentJournal, ExperimentPhase } from './journal';
import { formatDuration, formatRate } from './report-markdown';
import type { ExperimentObserver, ExperimentStartInfo } from './experiment-options';

/** Where progress goes: `process.stderr` or anything with `write`. */
export interface ProgressStream {
  /** Writes a chunk of text. */
  write(chunk: string): unknown;
  /** Rewrite one line in place when true. */
  readonly isTTY?: boolean | undefined;
  /** Width of the terminal; longer lines are cut. */
  readonly columns?: number | undefined;
}

/** Options of {@link progressReporter}. */
export interface ProgressOptions {
  /** The stream to write to. Required. */
  readonly stream: ProgressStream;
  /** Rewrite a single line (TTY mode). @defaultValue `stream.isTTY === true` */
  readonly tty?: boolean | undefined;
}

const VERDICT_MARK: Readonly<Record<string, string>> = { pass: '✔', fail: '✘', halted: '■', aborted: '!', skipped: '–' };

/**
 * Makes an {@link ExperimentObserver} that shows progress on `stream`. Pass it as the
 * `progress` option of `runExperiment` or `runSuite`.
 *
 * @example
 * ```ts
 * const suite = await runSuite({ name: 'drill', experiments, progress: progressReporter({ stream: process.stderr }) });
 * ```
 */
export function progressReporter(options: ProgressOptions): ExperimentObserver {
  const o = validateOptions<ProgressOptions>('progressReporter', options, {
    stream: rules.required({ expected: 'a stream with a write() method', check: (v) => typeof v === 'object' && v !== null && typeof (v as ProgressStream).write === 'function' }),
    tty: rules.boolean(),
  });
  const stream = o.stream;
  const tty = o.tty ?? stream.isTTY === true;
  let label = '';
  let phase: ExperimentPhase = 'baseline';
  let dirty = false;

  const fit = (line: string): string => {
    const cols = stream.columns;
    return typeof cols === 'number' && cols > 1 && line.length >= cols ? `${line.slice(0, cols - 2)}…` : line;
  };
  const status = (elapsed: number, duration: number, extra: string): void => {
    const line = `${label} ${phase} ${formatDuration(elapsed)}/${formatDuration(duration)}${extra}`;
    if (tty) {
      stream.write(`\r\x1b[2K${fit(line)}`);
      dirty = true;
    } else stream.write(`${line}\n`);
  };

  return {
    onStart(info: ExperimentStartInfo): void {
      label = info.of > 1 ? `[${info.position}/${info.of}] ${info.experiment}:` : `${info.experiment}:`;
      phase = 'baseline';
      if (!tty) stream.write(`${label} started (${formatDuration(info.duration)} planned) - ${info.hypothesis}\n`);
    },
    onPhase(info): void {
      phase = info.phase;
      status(info.elapsed, info.duration, info.phase === 'baseline' ? '' : ' phase started');
    },
    onEvaluation(info): void {
      if (!tty) return; // plain mode: phase changes and the verdict only
      const p = info.point;
      const circuits = Object.entries(p.circuits)
        .filter(([, s]) => s !== 'closed')
        .map(([n, s]) => ` · ${n} ${s}`)
        .join('');
      status(info.elapsed, info.duration, ` · errors ${formatRate(p.errorRate)} · p99 ${p.p99 === null ? '-' : formatDuration(p.p99)}${circuits}`);
    },
    onEnd(j: ExperimentJournal): void {
      if (tty && dirty) stream.write('\r\x1b[2K');
      dirty = false;
      const numbers = [
        `availability under fault ${formatRate(j.summary.underFault.availability)}`,
        `TTD ${j.timeToDetect === null ? '-' : formatDuration(j.timeToDetect)}`,
        `MTTR ${j.mttr === null ? '-' : formatDuration(j.mttr)}`,
        ...(j.circuitsClosedAfter === null ? [] : [`circuits closed ${formatDuration(j.circuitsClosedAfter)} after`]),
      ].join(', ');
      stream.write(`${VERDICT_MARK[j.verdict] ?? ''} ${j.verdict.toUpperCase()} ${label} ${numbers} - ${j.reason}\n`);
    },
  };
}
