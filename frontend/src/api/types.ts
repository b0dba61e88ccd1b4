/** Shapes of the StratCrew HTTP contract (DESIGN.md section 6). */

export type NodeType =
  | "entry_condition"
  | "exit_condition"
  | "take_profit"
  | "stop_loss"
  | "trailing_stop"
  | "position_sizing";

export type Operand = { indicator?: string; period?: number; value?: number; price?: string; [key: string]: unknown };
export type Condition = { left: Operand; op: string; right: Operand };

export type NodeMeta = {
  rules?: string[];
  combine?: "all" | "any";
  conditions?: Condition[];
  target_pct?: number;
  stop_pct?: number;
  trail_pct?: number;
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

export type Strategy = {
  id: string;
  name: string;
  schema: StrategyGraph;
  created_at: string;
  updated_at: string;
};

export type SymbolInfo = {
  symbol: string;
  provider: string;
  interval: string;
  start: string;
  end: string;
  bars: number;
};

export type Timeframe = "1d" | "1h" | "1wk" | "1mo";
export type Sizing = "equal" | "fixed_fraction" | "fixed_amount";

export type ExecutionParams = {
  symbols: string[];
  timeframe: Timeframe;
  start_date: string;
  end_date: string;
  initial_capital: number;
  benchmark: string | null;
  fees: number;
  slippage: number;
  position_sizing: Sizing;
  position_size: number | null;
  exposure: number;
  risk_free_rate: number;
};

export type ExecutionStatus =
  | "queued"
  | "analyzing"
  | "generating_code"
  | "executing"
  | "completed"
  | "failed"
  | "cancelled";

export const TERMINAL: ExecutionStatus[] = ["completed", "failed", "cancelled"];

export type Execution = {
  id: string;
  strategy_id: string;
  user_id: string;
  status: ExecutionStatus;
  execution_logs: string[];
  generated_code: string | null;
  backtest_run_id: string | null;
  error_message: string | null;
  agent_insights: {
    indicators_used?: string[];
    execution_time?: number;
    spec?: unknown;
    similar_strategies?: unknown[];
    summary?: string;
    error?: Record<string, unknown>;
    [key: string]: unknown;
  } | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
};

export type SeriesPoint = [string, number];

export type Trade = {
  symbol: string;
  entry_time: string;
  exit_time: string | null;
  entry_price: number;
  exit_price: number | null;
  size: number;
  pnl: number;
  return_pct: number;
  exit_reason: string | null;
  exit_rule?: string | null;
  status?: string;
};

export type Metrics = {
  total_return?: number;
  cagr?: number;
  volatility?: number;
  sharpe_ratio?: number;
  sortino_ratio?: number;
  calmar_ratio?: number;
  max_drawdown?: number;
  win_rate?: number;
  trades?: number;
  profit_factor?: number;
  exposure?: number;
  benchmark_return?: number;
  vs_benchmark?: number;
  warnings?: string[];
  [key: string]: unknown;
};

export type BacktestRun = {
  id: string;
  strategy_id: string;
  execution_id: string;
  metrics: Metrics;
  equity_series: SeriesPoint[];
  benchmark_series: SeriesPoint[] | null;
  drawdown_series: SeriesPoint[] | null;
  trades: Trade[];
};

export type Bar = { timestamp: string; open: number; high: number; low: number; close: number; volume: number };

export type Violation = { line: number; col: number; rule: string; message: string };

export type RuleValidation = { ok: true; parsed: unknown; understood?: string };

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

export type Compare = { ids: string[]; metrics: Record<string, Record<string, unknown>> };
