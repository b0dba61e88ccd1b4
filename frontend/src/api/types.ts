/**
 * Names for the shapes of the StratCrew HTTP contract. Every API shape comes from `schema.gen.ts`, which
 * scripts/api-types.sh generates from the backend's OpenAPI schema (make test fails while it is stale), and
 * every value the backend decides (defaults, status sets) from `constants.gen.ts`.
 *
 * What stays hand-written here is only what the OpenAPI schema leaves open: the builder's own view of the
 * node graph (the API takes it as a JSON object validated against `GET /strategies/schema`) and the
 * WebSocket messages (not an OpenAPI route).
 */
import type { components } from "./schema.gen";
import { FINAL_STATUSES } from "./constants.gen";

type Schemas = components["schemas"];

export type ExecutionStatus = Schemas["ExecutionStatus"];
/** A complete set of parameters (every field present; the API fills the ones a request leaves out). */
export type ExecutionParams = Required<Schemas["ExecutionParams"]>;
export type Timeframe = ExecutionParams["timeframe"];
export type Sizing = ExecutionParams["position_sizing"];
export type SymbolInfo = Schemas["SymbolInfo"];
export type UploadPublic = Schemas["UploadPublic"];
export type Violation = Schemas["ViolationOut"];
export type RuleValidation = Schemas["RuleCheckResult"];
/** A custom indicator of the user's library (`/indicators`), usable by name in every strategy. */
export type SavedIndicator = Schemas["IndicatorPublic"];
/** A custom indicator as a rule check takes it: a `custom_indicator` node's name and formula, and its id. */
export type CustomIndicatorDef = Schemas["CustomIndicatorIn"];
export type IndicatorCheckResult = Schemas["IndicatorCheckResult"];
export type Bar = Schemas["BarRow"];
export type CodePublic = Schemas["CodePublic"];

export const TERMINAL: readonly ExecutionStatus[] = FINAL_STATUSES;

// -- the node graph, as the builder edits it -----------------------------------------------------------

export type NodeType =
  | "entry_condition"
  | "exit_condition"
  | "short_entry_condition"
  | "short_exit_condition"
  | "take_profit"
  | "stop_loss"
  | "trailing_stop"
  | "position_sizing"
  | "custom_indicator";

export type Operand = { indicator?: string; period?: number; value?: number; price?: string; [key: string]: unknown };
export type Condition = { left: Operand; op: string; right: Operand };

export type NodeMeta = {
  rules?: string[];
  combine?: "all" | "any";
  conditions?: Condition[];
  target_pct?: number;
  stop_pct?: number;
  trail_pct?: number;
  target_atr?: number; // a distance in ATR multiples instead of percent (with atr_period, default 14)
  stop_atr?: number;
  trail_atr?: number;
  atr_period?: number;
  method?: "equal" | "fixed_fraction" | "fixed_amount";
  value?: number;
  [key: string]: unknown;
};

export type StrategyNode = {
  id: string;
  type: NodeType | string;
  meta: NodeMeta;
  position?: { x: number; y: number };
};

export type StrategyGraph = { nodes: StrategyNode[]; [key: string]: unknown };

export type Strategy = Omit<Schemas["StrategyPublic"], "schema"> & { schema: StrategyGraph };

// -- results and runs (typed by the backend) ------------------------------------------------------------

export type AgentInsights = Schemas["AgentInsights"];
export type Execution = Schemas["ExecutionPublic"];
export type SeriesPoint = [string, number | null];
export type Trade = Schemas["TradeRow"];
export type Metrics = Schemas["BacktestMetrics"];
export type BacktestRun = Schemas["BacktestRunPublic"];
export type RunSummary = Schemas["RunSummary"];
export type RunPage = Schemas["RunPage"];
export type HeadlineMetrics = Schemas["HeadlineMetrics"];
export type ReportLink = Schemas["ReportLink"];
export type UploadPreview = Schemas["UploadPreview"];
export type StrategyIssue = Schemas["StrategyIssue"];
export type SessionToken = Schemas["SessionToken"];

// -- the WebSocket of one execution (not an OpenAPI route) -----------------------------------------------

export type ProgressEvent = {
  type: "event";
  seq: number;
  status: ExecutionStatus;
  stage?: string | null;
  message: string;
  progress?: number | null;
  ts: string;
};

export type WsMessage =
  | ProgressEvent
  | { type: "end"; status: ExecutionStatus }
  | { type: "heartbeat" }
  | { type: "reconnect"; after: number };

// -- sweeps (GET /executions/{id}/sweep; the OpenAPI schema leaves its parts open, docs/research.md says them) --

export type SweepRequest = Schemas["SweepRequest"];
export type SweepPublic = Schemas["SweepPublic"];
export type OptimizationPick = Schemas["OptimizationPick"];
/** One combination: its values by grid name, its headline metrics (null where undefined for it). */
export type SweepRow = { values: Record<string, number>; metrics: Record<string, number | null> };
/** `z[i][j]` is the objective at `y_values[i]`, `x_values[j]`; `fixed` holds every other parameter (at the best row). */
export type SweepHeatmap = {
  x: string;
  y: string;
  x_values: number[];
  y_values: number[];
  z: (number | null)[][];
  fixed: Record<string, number>;
};
export type WalkForwardFold = {
  fold: number;
  in_sample: [string, string];
  out_of_sample: [string, string];
  values: Record<string, number>;
  in_sample_objective: number | null;
  out_of_sample_objective: number | null;
};
export type SweepWalkForward = {
  method: string;
  folds: WalkForwardFold[];
  in_sample_fraction: number;
  stitched_equity: [string, number][];
  efficiency: number | null;
  efficiency_folds: number;
  out_of_sample_return: number;
};
export type SweepOverfitting = {
  deflated_sharpe_ratio: number | null;
  probabilistic_sharpe_ratio: number | null;
  sharpe_ratio: number | null;
  expected_max_sharpe: number | null;
  trials: number;
  bars: number;
  skewness: number | null;
  kurtosis: number | null;
  pbo: {
    pbo: number | null;
    strategies: number;
    partitions: number;
    splits: number;
    logit_median?: number | null;
    oos_loss_probability?: number | null;
    sampled_from?: number;
  };
};
export type CostBreakeven = { param: string; objective: string; breakeven: number | null; curve: [number, number][]; note: string | null };

export type Compare = { ids: string[]; metrics: Record<string, Record<string, unknown>> };
