/**
 * A sweep's grid as the builder edits it, and the arithmetic around it (docs/research.md).
 *
 * A grid maps a parameter to its values, exactly as `POST /executions/strategies/{id}/sweep` takes it: a
 * list, or a range `{start, stop, step}` (stop included). Names are a rule's `{name=default}` (`fast`), a
 * node's field (`sl.stop_pct`) or an execution parameter (`params.fees`).
 *
 * Example: "10-day MA crosses above 30-day MA" -> click the 10 -> `parameterize(rule, 0, 2, "ma")` gives
 * "{ma=10}-day MA crosses above 30-day MA"; with `{ma: {start: 6, stop: 14, step: 2}, slow: [20, 30]}` the
 * grid holds 5 × 2 = 10 combinations.
 */
import type { ExecutionParams, StrategyNode } from "../api/types";

export type GridRange = { start: number; stop: number; step: number };
export type GridSpec = number[] | GridRange;
export type Grid = Record<string, GridSpec>;

/** The backend's own limit on the values of one parameter (`sweeps.MAX_VALUES_PER_PARAM`). */
export const MAX_VALUES_PER_PARAM = 10_000;

/**
 * Combinations per second assumed before this user has run any sweep. The sweep bench
 * (backend/bench/bench_sweep.py) measures over 10,000/s for a two-parameter MA crossover on 2 cores, but
 * a sweep with walk-forward, several symbols or many indicators runs slower: 2,000/s keeps the first
 * estimate on the safe side. Once a sweep has completed, its measured `combos_per_s` replaces it.
 */
export const DEFAULT_COMBOS_PER_S = 2_000;
/** Seconds every sweep spends outside its combinations: reading the strategy, compiling, starting the sandbox, the statistics. */
export const SWEEP_OVERHEAD_S = 4;

export const isRange = (s: GridSpec): s is GridRange => !Array.isArray(s);

/** The values of a range, computed like the backend (`GridRange.values`): rounded to 10 decimals. */
export function rangeValues(r: GridRange, limit = MAX_VALUES_PER_PARAM): number[] {
  const n = rangeCount(r);
  if (n > limit) throw new Error(`${n.toLocaleString("en-US")} values, more than the ${limit.toLocaleString("en-US")} a parameter may have`);
  return Array.from({ length: n }, (_, i) => Number((r.start + i * r.step).toFixed(10)));
}

/** How many values a range has (0 when it is empty or not a range at all). */
export function rangeCount(r: GridRange): number {
  if (!(r.step > 0) || !Number.isFinite(r.start) || !Number.isFinite(r.stop) || r.stop < r.start) return 0;
  return Math.floor((r.stop - r.start) / r.step + 1e-9) + 1;
}

export function specCount(s: GridSpec): number {
  return isRange(s) ? rangeCount(s) : new Set(s).size;
}

export function specValues(s: GridSpec): number[] {
  return isRange(s) ? rangeValues(s) : s;
}

/** The number of combinations: the product of each parameter's count (before any is skipped). */
export function gridSize(grid: Grid): number {
  const specs = Object.values(grid);
  if (!specs.length) return 0;
  return specs.reduce((n, s) => n * specCount(s), 1);
}

/** What is wrong with one parameter's values, or null. */
export function specProblem(s: GridSpec): string | null {
  if (isRange(s)) {
    if (![s.start, s.stop, s.step].every(Number.isFinite)) return "Fill start, stop and step.";
    if (!(s.step > 0)) return "The step must be above 0.";
    if (s.stop < s.start) return "Stop is below start.";
    const n = rangeCount(s);
    if (n > MAX_VALUES_PER_PARAM) return `${n.toLocaleString("en-US")} values: at most ${MAX_VALUES_PER_PARAM.toLocaleString("en-US")} per parameter.`;
    return null;
  }
  if (!s.length) return "List at least one value.";
  if (s.some((v) => !Number.isFinite(v))) return "Every value must be a number.";
  if (new Set(s).size !== s.length) return "A value is listed twice.";
  return null;
}

/** "3, 5, 8" -> [3, 5, 8]; NaN for anything that is not a number (specProblem says so). */
export function parseList(text: string): number[] {
  return text
    .split(/[,;\s]+/)
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t) ? Number(t) : NaN));
}

/** A short description: "5 → 50 step 5 (10 values)", "3, 5, 8 (3 values)". */
export function describeSpec(s: GridSpec): string {
  const n = specCount(s);
  const values = `${n.toLocaleString("en-US")} value${n === 1 ? "" : "s"}`;
  if (isRange(s)) return `${num(s.start)} → ${num(s.stop)} step ${num(s.step)} (${values})`;
  const shown = s.length > 6 ? `${s.slice(0, 5).map(num).join(", ")}, …` : s.map(num).join(", ");
  return `${shown} (${values})`;
}

/** How a value is written in a rule: 20 for 20.0, 0.5 for 0.5 (the backend's `number_text`). */
export function num(v: number): string {
  return String(Number(v.toFixed(10)));
}

/** A step of 1, 2 or 5 times a power of ten. */
function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  const m = x / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/**
 * A first range around a value, five values wide: 10 -> 6..14 step 2, 0.001 -> 0.0006..0.0014 step 0.0002.
 * Whole numbers (periods, windows) keep whole steps; a positive value's range stays above 0.
 */
export function suggestRange(value: number): GridRange {
  if (value === 0) return { start: 0, stop: 4, step: 1 };
  const whole = Number.isInteger(value);
  let step = niceStep(Math.abs(value) / 5);
  if (whole) step = Math.max(1, Math.round(step));
  let start = Number((value - 2 * step).toFixed(10));
  if (value > 0 && start <= 0) start = step;
  return { start, stop: Number((value + 2 * step).toFixed(10)), step };
}

// -- named parameters in rules ---------------------------------------------------------------------------

/** The backend's pattern of a named parameter (`app/services/language/parameters.py`). */
const PARAM_RE = /\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([-+]?\d+(?:\.\d+)?)\s*\}/g;
export const PARAM_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A plain number: not glued to a name ("EMA20", "x2") nor part of a longer number. */
const NUMBER_RE = /(?<![A-Za-z_\d.])\d+(?:\.\d+)?(?![A-Za-z_\d])/g;

export type RuleToken =
  | { kind: "text"; text: string }
  | { kind: "number"; text: string; value: number; start: number; end: number }
  | { kind: "param"; text: string; name: string; value: number; start: number; end: number };

/** A rule cut into text, plain numbers (which can become parameters) and named parameters. */
export function ruleTokens(rule: string): RuleToken[] {
  const out: RuleToken[] = [];
  const plain = (from: number, to: number) => {
    let last = from;
    const chunk = rule.slice(from, to);
    for (const m of chunk.matchAll(NUMBER_RE)) {
      const s = from + (m.index ?? 0);
      if (s > last) out.push({ kind: "text", text: rule.slice(last, s) });
      out.push({ kind: "number", text: m[0], value: Number(m[0]), start: s, end: s + m[0].length });
      last = s + m[0].length;
    }
    if (to > last) out.push({ kind: "text", text: rule.slice(last, to) });
  };
  let pos = 0;
  for (const m of rule.matchAll(PARAM_RE)) {
    const s = m.index ?? 0;
    plain(pos, s);
    out.push({ kind: "param", text: m[0], name: m[1], value: Number(m[2]), start: s, end: s + m[0].length });
    pos = s + m[0].length;
  }
  plain(pos, rule.length);
  return out;
}

/** The rule with the number at [start, end) written as the parameter `{name=value}`. */
export function parameterize(rule: string, start: number, end: number, name: string): string {
  const value = rule.slice(start, end);
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`"${value}" is not a number of the rule`);
  return `${rule.slice(0, start)}{${name}=${value}}${rule.slice(end)}`;
}

/** Every `{name=...}` of the rule back to a plain number (its default). */
export function unparameterize(rule: string, name: string): string {
  return rule.replace(PARAM_RE, (all, n: string, v: string) => (n === name ? num(Number(v)) : all));
}

/** Every `{name=...}` of the rule with a new default. */
export function setParamDefault(rule: string, name: string, value: number): string {
  return rule.replace(PARAM_RE, (all, n: string) => (n === name ? `{${n}=${num(value)}}` : all));
}

/** Every `{name=...}` of the rule renamed. */
export function renameParam(rule: string, from: string, to: string): string {
  return rule.replace(PARAM_RE, (all, n: string, v: string) => (n === from ? `{${to}=${v}}` : all));
}

/** The named parameters of the strategy's rules with their defaults, in the order they first appear. */
export function ruleParams(nodes: StrategyNode[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of nodes)
    for (const r of n.meta.rules ?? []) for (const m of r.matchAll(PARAM_RE)) if (!out.has(m[1])) out.set(m[1], Number(m[2]));
  return out;
}

const STOP_WORDS = new Set(["day", "days", "bar", "bars", "week", "weeks", "period", "periods", "the", "a", "an", "of", "on", "and", "or", "is", "to", "from", "percent", "pct"]);

/**
 * A name for the number at `start` of the rule: the indicator it belongs to ("SMA(10" -> "sma",
 * "20-day moving average" -> "moving"... "20-day MA" -> "ma"), else "p"; made unique against `taken`.
 */
export function suggestName(rule: string, start: number, end: number, taken: Iterable<string>): string {
  const before = rule.slice(0, start);
  const after = rule.slice(end);
  let base = "";
  const call = /([A-Za-z][A-Za-z0-9_]*)\s*\(\s*(?:[^()]*,\s*)?$/.exec(before);
  if (call) base = call[1];
  else {
    const words = after.replace(/^%/, "").split(/[^A-Za-z]+/).filter(Boolean);
    const word = words.slice(0, 3).find((w) => !STOP_WORDS.has(w.toLowerCase()));
    if (word) base = word;
  }
  base = base.toLowerCase().replace(/[^a-z0-9_]/g, "");
  if (!base || !PARAM_NAME_RE.test(base)) base = "p";
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}_${i}`)) return `${base}_${i}`;
}

// -- node fields and execution parameters -------------------------------------------------------------

/** The numeric node fields a sweep can vary, by node type (a stop in percent or in ATRs, its ATR period). */
export const SWEEPABLE_FIELDS: Record<string, string[]> = {
  stop_loss: ["stop_pct", "stop_atr", "atr_period"],
  take_profit: ["target_pct", "target_atr", "atr_period"],
  trailing_stop: ["trail_pct", "trail_atr", "atr_period"],
};

/** Execution parameters a sweep can vary (costs; the backend refuses sizing and exposure). */
export const SWEEPABLE_PARAMS = ["fees", "slippage"] as const;

/** The value a grid name has in the strategy as it is (its default), or undefined when it names nothing there. */
export function currentValue(name: string, nodes: StrategyNode[], params: ExecutionParams): number | undefined {
  const dot = name.indexOf(".");
  if (dot < 0) return ruleParams(nodes).get(name);
  const [head, field] = [name.slice(0, dot), name.slice(dot + 1)];
  if (head === "params") {
    const v = (params as Record<string, unknown>)[field];
    return typeof v === "number" ? v : undefined;
  }
  const node = nodes.find((n) => n.id === head);
  const v = node?.meta[field];
  return typeof v === "number" ? v : undefined;
}

/**
 * The strategy and parameters with one combination's values as their defaults: what a normal execution of
 * that combination runs. Rule parameters keep their names (`{fast=5}`), so the strategy stays sweepable.
 */
export function applyValues(
  nodes: StrategyNode[],
  params: ExecutionParams,
  values: Record<string, number>,
): { nodes: StrategyNode[]; params: ExecutionParams } {
  let outNodes = nodes;
  let outParams = params;
  for (const [name, value] of Object.entries(values)) {
    const dot = name.indexOf(".");
    if (dot < 0) {
      outNodes = outNodes.map((n) =>
        n.meta.rules ? { ...n, meta: { ...n.meta, rules: n.meta.rules.map((r) => setParamDefault(r, name, value)) } } : n,
      );
    } else if (name.startsWith("params.")) {
      outParams = { ...outParams, [name.slice(dot + 1)]: value };
    } else {
      const [id, field] = [name.slice(0, dot), name.slice(dot + 1)];
      outNodes = outNodes.map((n) => (n.id === id ? { ...n, meta: { ...n.meta, [field]: value } } : n));
    }
  }
  return { nodes: outNodes, params: outParams };
}

/** Grid names the strategy no longer has (a rule's parameter removed by hand, a node deleted). */
export function staleNames(grid: Grid, nodes: StrategyNode[], params: ExecutionParams): string[] {
  return Object.keys(grid).filter((n) => currentValue(n, nodes, params) === undefined);
}

// -- time and progress ----------------------------------------------------------------------------------

/** Seconds a sweep of `size` combinations should take at `combosPerS` (the default figure when unknown). */
export function estimateSeconds(size: number, combosPerS: number | null | undefined): number {
  const rate = combosPerS && combosPerS > 0 ? combosPerS : DEFAULT_COMBOS_PER_S;
  return SWEEP_OVERHEAD_S + size / rate;
}

/** "about 12 s", "about 3 min", "about 1 h 20 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min`;
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds - h * 3600) / 60);
  return `about ${h} h${m ? ` ${m} min` : ""}`;
}

/** Combinations done and the total, from the executor's log line "Executor: 1,200 / 8,543 combinations". */
export function combinationsDone(message: string): { done: number; total: number } | null {
  const m = /([\d,]+)\s*\/\s*([\d,]+)\s+combinations/.exec(message);
  if (!m) return null;
  return { done: Number(m[1].replace(/,/g, "")), total: Number(m[2].replace(/,/g, "")) };
}
