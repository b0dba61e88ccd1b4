/**
 * Every number and date the builder shows goes through here: one unit, one precision and one sign style
 * per kind of figure, and colour only where the sign itself means good or bad.
 *
 * The server's conventions: percent figures read as percent (25.5 means 25.5 %); `vs_benchmark` is a
 * difference of two percents, so it is shown in percentage points ("pp"); dates are UTC ISO strings.
 *
 * Examples: formatMetric("total_return", -3.214) === "−3.21%"; formatMetric("vs_benchmark", -124.47) ===
 * "−124.47 pp"; formatMetric("bars", 2264) === "2,264"; formatMetric("avg_win", 7.52) === "+7.52%";
 * formatMetric("start", "2010-01-04T00:00:00Z") === "2010-01-04"; tone("sharpe_ratio", 0.01) === "neutral".
 */
import type { Metrics } from "./api/types";

export type Unit = "pct" | "pp" | "ratio" | "count" | "money" | "days" | "date";

export type MetricInfo = {
  key: keyof Metrics & string;
  label: string;
  unit: Unit;
  /** Show "+" on positive values (a change, not a level). */
  signed?: boolean;
  /** Colour by sign: true only where a positive value is good and a negative one bad. */
  toned?: boolean;
  /** Shown as a card; the others go under "More metrics". */
  card?: boolean;
  help?: string;
};

export const METRICS: MetricInfo[] = [
  { key: "total_return", label: "Total return", unit: "pct", signed: true, toned: true, card: true },
  { key: "cagr", label: "CAGR", unit: "pct", signed: true, toned: true, card: true, help: "compound annual growth" },
  {
    key: "vs_benchmark",
    label: "vs benchmark",
    unit: "pp",
    signed: true,
    toned: true,
    card: true,
    help: "total return minus the benchmark's, in percentage points",
  },
  { key: "benchmark_return", label: "Benchmark return", unit: "pct", signed: true, card: true },
  { key: "sharpe_ratio", label: "Sharpe", unit: "ratio", card: true },
  { key: "sortino_ratio", label: "Sortino", unit: "ratio", card: true },
  { key: "calmar_ratio", label: "Calmar", unit: "ratio" },
  { key: "max_drawdown", label: "Max drawdown", unit: "pct", card: true },
  { key: "volatility", label: "Volatility (annual)", unit: "pct", card: true },
  { key: "win_rate", label: "Win rate", unit: "pct", card: true },
  { key: "trades", label: "Trades", unit: "count", card: true },
  { key: "profit_factor", label: "Profit factor", unit: "ratio", card: true },
  { key: "exposure", label: "Time in market", unit: "pct", card: true },
  { key: "final_equity", label: "Final equity", unit: "money" },
  { key: "expectancy", label: "Expectancy per trade", unit: "money", signed: true },
  { key: "avg_win", label: "Average win", unit: "pct", signed: true },
  { key: "avg_loss", label: "Average loss", unit: "pct", signed: true },
  { key: "best_trade", label: "Best trade", unit: "pct", signed: true },
  { key: "worst_trade", label: "Worst trade", unit: "pct", signed: true },
  { key: "avg_holding_days", label: "Average holding", unit: "days" },
  { key: "longest_drawdown_days", label: "Longest drawdown", unit: "days" },
  { key: "max_drawdown_start", label: "Max drawdown from", unit: "date" },
  { key: "max_drawdown_trough", label: "Max drawdown trough", unit: "date" },
  { key: "max_drawdown_recovery", label: "Recovered on", unit: "date" },
  { key: "alpha", label: "Alpha (annual)", unit: "pct", signed: true, toned: true },
  { key: "beta", label: "Beta", unit: "ratio" },
  { key: "correlation", label: "Correlation", unit: "ratio" },
  { key: "information_ratio", label: "Information ratio", unit: "ratio" },
  { key: "bars", label: "Bars", unit: "count" },
  { key: "start", label: "First bar", unit: "date" },
  { key: "end", label: "Last bar", unit: "date" },
];

const BY_KEY = new Map<string, MetricInfo>(METRICS.map((m) => [m.key, m]));

export function metricInfo(key: string): MetricInfo | undefined {
  return BY_KEY.get(key);
}

const MINUS = "−"; // a real minus sign lines up with "+" in tabular figures

function grouped(v: number, digits: number): string {
  return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A number with grouping and a fixed precision; negative values get a real minus sign. */
export function formatNumber(v: number, digits = 2, signed = false): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "—" : v > 0 ? "∞" : `${MINUS}∞`;
  const rounded = Number(v.toFixed(digits));
  const sign = rounded < 0 ? MINUS : signed && rounded > 0 ? "+" : "";
  return `${sign}${grouped(Math.abs(rounded), digits)}`;
}

export function formatPct(v: number, { digits = 2, signed = false } = {}): string {
  return `${formatNumber(v, digits, signed)}%`;
}

/** A difference of two percents, in percentage points. */
export function formatPp(v: number, digits = 2): string {
  return `${formatNumber(v, digits, true)} pp`;
}

export function formatCount(v: number): string {
  return formatNumber(Math.round(v), 0);
}

export function formatMoney(v: number, signed = false): string {
  return formatNumber(v, 2, signed);
}

export function formatPrice(v: number | null | undefined): string {
  return typeof v === "number" ? formatNumber(v, 2) : "—";
}

export function formatDays(v: number): string {
  const digits = Number.isInteger(v) ? 0 : 1;
  return `${formatNumber(v, digits)} ${v === 1 ? "day" : "days"}`;
}

/** "2018-12-31" for a daily bar (midnight UTC), "2018-12-31 14:30" (UTC) for an intraday one. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  if (iso.length <= 10) return iso;
  const time = iso.slice(11, 16);
  return time === "00:00" ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${time}`;
}

/** A moment in the user's own clock, for "when did I run this": "2026-12-03 17:05". */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function formatMetric(key: string, v: unknown): string {
  const info = BY_KEY.get(key);
  if (info?.unit === "date" || (typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v))) {
    return typeof v === "string" ? formatDate(v) : "—";
  }
  if (typeof v !== "number") return typeof v === "string" && v ? v : "—";
  switch (info?.unit ?? guessUnit(key)) {
    case "pct":
      return formatPct(v, { signed: info?.signed });
    case "pp":
      return formatPp(v);
    case "count":
      return formatCount(v);
    case "money":
      return formatMoney(v, info?.signed);
    case "days":
      return formatDays(v);
    default:
      return formatNumber(v, 2);
  }
}

/** For keys a newer server adds: named like the known ones, read like them. */
function guessUnit(key: string): Unit {
  if (/(_pct|return|rate|drawdown)$/.test(key)) return "pct";
  if (/_days$/.test(key)) return "days";
  if (/^(n_|num_)|_count$|^bars$|^trades$/.test(key)) return "count";
  return "ratio";
}

/** "positive" / "negative" only for figures whose sign means good or bad; everything else is neutral. */
export function tone(key: string, v: unknown): "positive" | "negative" | "neutral" {
  if (!BY_KEY.get(key)?.toned || typeof v !== "number" || !Number.isFinite(v)) return "neutral";
  const rounded = Number(v.toFixed(2));
  return rounded > 0 ? "positive" : rounded < 0 ? "negative" : "neutral";
}

/** The sign class of a money or return figure in a table cell (a trade's P&L: its sign is the point). */
export function signClass(v: number | null | undefined): "positive" | "negative" | "" {
  if (typeof v !== "number" || !Number.isFinite(v)) return "";
  return v > 0 ? "positive" : v < 0 ? "negative" : "";
}
