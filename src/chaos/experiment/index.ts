/**
 * Chaos experiments: the runner, k6-style thresholds, the bounded load driver, the
 * journal and its resilience score, the Markdown and HTML reports, and the progress
 * display. Re-exported by `breakwater/chaos`.
 *
 * @packageDocumentation
 */
export { FaultIntensity, faultIntensity } from './intensity';
export { runExperiment } from './runner';
export { runSuite, type SuiteExperiment, type SuiteOptions } from './suite';
export type {
  ChaosGate,
  CheckSpec,
  Checks,
  ExperimentFault,
  ExperimentLoad,
  ExperimentObserver,
  ExperimentOptions,
  ExperimentSchedule,
  ExperimentStartInfo,
  OperationThresholds,
  ThresholdSpec,
  WatchedCircuit,
} from './experiment-options';
export {
  METRIC_AGGREGATES,
  ThresholdSyntaxError,
  compareThreshold,
  evaluateThreshold,
  parseThreshold,
  percentile,
  type Threshold,
  type ThresholdAggregate,
  type ThresholdMetric,
  type ThresholdOperator,
  type WindowMeasurements,
} from './thresholds';
export { startLoad, type LoadCallResult, type LoadOptions, type LoadRun, type LoadStats } from './load';
export {
  experimentScore,
  renderJson,
  resilienceScore,
  type AnyJournal,
  type CheckRecord,
  type EvaluationRecord,
  type ExperimentJournal,
  type ExperimentPhase,
  type PhaseRecord,
  type PhaseSummary,
  type RecordedCircuitState,
  type RollbackRecord,
  type SeriesPoint,
  type SuiteEntry,
  type SuiteJournal,
  type Verdict,
} from './journal';
export { renderMarkdown } from './report-markdown';
export { renderHtml } from './report-html';
export { progressReporter, type ProgressOptions, type ProgressStream } from './progress';
export { DEFAULT_SLO_WINDOW, burnRate, errorBudgetConsumed, type SloRecord, type SloSpec, type SloUsage } from './slo';
export type { BlastRadius, BlastRadiusOptions, CompletedCall, ImpactScope, OperationImpact } from './blast-radius';
export type { ExperimentImpact } from './impact';
export type { ExperimentGauge, ExperimentGauges } from './gauges';
export { scheduleSuite, type GameDayReport, type GameDayWriter, type ScheduleEnd, type ScheduleGate, type ScheduleOptions, type ScheduleStatus, type ScheduledSuite, type SkippedTick } from './schedule';
export { gameDayHistory, parseGameDayHistory, renderTrend, trendOf, type GameDayHistory, type GameDayHistoryData, type GameDayHistoryOptions, type Trend, type TrendExperiment, type TrendOptions, type TrendReport, type TrendRun } from './trend';
