/** One function per route of the contract; components call these, never `fetch`. */
import { request } from "./client";
import type {
  BacktestRun,
  Bar,
  Compare,
  Execution,
  ExecutionParams,
  RuleValidation,
  Strategy,
  StrategyGraph,
  SymbolInfo,
  Violation,
} from "./types";

const enc = encodeURIComponent;

export const api = {
  register: (username: string, password: string) =>
    request<{ id: string; username: string }>("/auth/register", { json: { username, password } }),
  token: (username: string, password: string) =>
    request<{ access_token: string; token_type: string }>("/auth/token", {
      form: { username, password, grant_type: "password" },
    }),

  schema: () => request<Record<string, unknown>>("/strategies/schema"),
  validateRule: (rule: string, signal?: AbortSignal) =>
    request<RuleValidation>("/strategies/rules/validate", { json: { rule }, signal }),
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

  execute: (strategyId: string, params: ExecutionParams, code?: string) =>
    request<Execution>(`/executions/strategies/${enc(strategyId)}/execute`, {
      json: code === undefined ? { params } : { params, code },
    }),
  execution: (id: string) => request<Execution>(`/executions/${enc(id)}`),
  executionCode: (id: string) =>
    request<{ execution_id: string; language: string; code: string }>(`/executions/${enc(id)}/code`),
  results: (id: string) => request<BacktestRun>(`/executions/${enc(id)}/results`),
  history: (strategyId: string) => request<Execution[]>(`/executions/strategies/${enc(strategyId)}/executions`),
  cancel: (id: string) => request<Execution>(`/executions/${enc(id)}/cancel`, { method: "POST" }),
  compare: (ids: string[]) => request<Compare>(`/executions/compare?ids=${ids.map(enc).join(",")}`),

  validateCode: (code: string) =>
    request<{ ok: boolean; violations: Violation[] }>("/code/validate", { json: { code } }),
};
