/** One function per route of the contract; components call these, never `fetch`. */
import { request } from "./client";
import type {
  BacktestRun,
  Bar,
  CodePublic,
  Compare,
  CustomIndicatorDef,
  Execution,
  ExecutionParams,
  ExecutionStatus,
  IndicatorCheckResult,
  ReportLink,
  RuleValidation,
  RunPage,
  SavedIndicator,
  SessionToken,
  Strategy,
  StrategyGraph,
  SweepPublic,
  SweepRequest,
  SymbolInfo,
  UploadPreview,
  UploadPublic,
  Violation,
} from "./types";

const enc = encodeURIComponent;

/** The header the session routes want: a cross-site form or image cannot send it. */
const SESSION_HEADER = { "X-StratCrew-Session": "1" };

export type RunQuery = {
  strategyId?: string | null;
  statuses?: ExecutionStatus[];
  kind?: "backtest" | "sweep";
  limit?: number;
  offset?: number;
};

export function runQueryString(q: RunQuery): string {
  const p = new URLSearchParams();
  if (q.strategyId) p.set("strategy_id", q.strategyId);
  for (const s of q.statuses ?? []) p.append("status", s);
  if (q.kind) p.set("kind", q.kind);
  if (q.limit !== undefined) p.set("limit", String(q.limit));
  if (q.offset) p.set("offset", String(q.offset));
  const text = p.toString();
  return text ? `?${text}` : "";
}

export const api = {
  register: (username: string, password: string) =>
    request<{ id: string; username: string }>("/auth/register", { json: { username, password } }),
  token: (username: string, password: string) =>
    request<{ access_token: string; token_type: string }>("/auth/token", {
      form: { username, password, grant_type: "password" },
    }),
  /** Sets the httpOnly session cookie for the signed-in user (needs the bearer token). */
  openSession: () => request<void>("/auth/session", { method: "POST", headers: SESSION_HEADER }),
  /** A fresh access token from the session cookie; 401 when there is no session. */
  sessionToken: () => request<SessionToken>("/auth/session/token", { method: "POST", headers: SESSION_HEADER }),
  closeSession: () => request<void>("/auth/session", { method: "DELETE", headers: SESSION_HEADER }),

  schema: () => request<Record<string, unknown>>("/strategies/schema"),
  /** `customs`: the strategy's custom indicator nodes, so a rule naming one reads (sent only when there are any). */
  validateRule: (rule: string, signal?: AbortSignal, customs: CustomIndicatorDef[] = []) =>
    request<RuleValidation>("/strategies/rules/validate", {
      json: customs.length ? { rule, custom_indicators: customs } : { rule },
      signal,
    }),
  /** Checks one custom indicator node (not saved) against the graph's other ones and the user's library. */
  checkIndicator: (def: CustomIndicatorDef, others: CustomIndicatorDef[]) =>
    request<IndicatorCheckResult>("/indicators/check", { json: { ...def, custom_indicators: others } }),
  listIndicators: () => request<SavedIndicator[]>("/indicators"),
  /** Saves (or, for a name already saved, replaces) a custom indicator of the user's library. */
  saveIndicator: (name: string, formula: string) =>
    request<SavedIndicator>("/indicators", { json: { name, formula } }),
  deleteIndicator: (name: string) => request<void>(`/indicators/${enc(name)}`, { method: "DELETE" }),
  listStrategies: () => request<Strategy[]>("/strategies"),
  getStrategy: (id: string) => request<Strategy>(`/strategies/${enc(id)}`),
  createStrategy: (name: string, schema: StrategyGraph) =>
    request<Strategy>("/strategies", { json: { name, schema } }),
  updateStrategy: (id: string, name: string, schema: StrategyGraph) =>
    request<Strategy>(`/strategies/${enc(id)}`, { method: "PUT", json: { name, schema } }),
  deleteStrategy: (id: string) => request<void>(`/strategies/${enc(id)}`, { method: "DELETE" }),

  symbols: () => request<SymbolInfo[]>("/data/symbols"),
  bars: (symbol: string, start: string, end: string, interval = "1d") =>
    request<Bar[]>(`/data/${enc(symbol)}/bars?interval=${enc(interval)}&start=${enc(start)}&end=${enc(end)}`),
  uploadPreview: (symbol: string, file: File) =>
    request<UploadPreview>("/data/upload/preview", { multipart: uploadForm(symbol, file) }),
  upload: (symbol: string, file: File) => request<UploadPublic>("/data/upload", { multipart: uploadForm(symbol, file) }),

  execute: (strategyId: string, params: ExecutionParams, code?: string) =>
    request<Execution>(`/executions/strategies/${enc(strategyId)}/execute`, {
      json: code === undefined ? { params } : { params, code },
    }),
  /** Queues a sweep (an execution of kind "sweep"); 422 names the parameter or value it refuses. */
  sweep: (strategyId: string, body: SweepRequest) =>
    request<Execution>(`/executions/strategies/${enc(strategyId)}/sweep`, { json: body }),
  /** A completed sweep's result (409 while it runs). */
  sweepResult: (id: string) => request<SweepPublic>(`/executions/${enc(id)}/sweep`),
  execution: (id: string) => request<Execution>(`/executions/${enc(id)}`),
  executionCode: (id: string) => request<CodePublic>(`/executions/${enc(id)}/code`),
  results: (id: string) => request<BacktestRun>(`/executions/${enc(id)}/results`),
  history: (strategyId: string) => request<Execution[]>(`/executions/strategies/${enc(strategyId)}/executions`),
  runs: (q: RunQuery = {}) => request<RunPage>(`/executions${runQueryString(q)}`),
  deleteRun: (id: string) => request<void>(`/executions/${enc(id)}`, { method: "DELETE" }),
  reportLink: (id: string) => request<ReportLink>(`/executions/${enc(id)}/report-link`, { method: "POST" }),
  cancel: (id: string) => request<Execution>(`/executions/${enc(id)}/cancel`, { method: "POST" }),
  compare: (ids: string[]) => request<Compare>(`/executions/compare?ids=${ids.map(enc).join(",")}`),

  validateCode: (code: string) =>
    request<{ ok: boolean; violations: Violation[] }>("/code/validate", { json: { code } }),
};

function uploadForm(symbol: string, file: File): FormData {
  const form = new FormData();
  form.set("symbol", symbol);
  form.set("file", file, file.name);
  return form;
}
