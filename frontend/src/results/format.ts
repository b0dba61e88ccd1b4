/**
 * Number formatting for results. The server's percent convention: 25.5 means 25.5 % (not 0.255).
 *
 * Example: formatMetric("total_return", 25.5) === "+25.50%"; formatMetric("sharpe_ratio", 1.234) === "1.23";
 * formatMetric("trades", 12) === "12"; a missing or non-finite value is "—" (infinite profit factor "∞").
 */

export type MetricKind = "pct" | "signed_pct" | "ratio" | "count" | "money";

export const METRICS: { key: string; label: string; kind: MetricKind; higherIsBetter?: boolean }[] = [
  { key: "total_return", label: "Total return", kind: "signed_pct", higherIsBetter: true },
  { key: "cagr", label: "CAGR", kind: "signed_pct", higherIsBetter: true },
  { key: "vs_benchmark", label: "vs benchmark", kind: "signed_pct", higherIsBetter: true },
  { key: "benchmark_return", label: "Benchmark return", kind: "signed_pct" },
  { key: "sharpe_ratio", label: "Sharpe", kind: "ratio", higherIsBetter: true },
  { key: "sortino_ratio", label: "Sortino", kind: "ratio", higherIsBetter: true },
  { key: "calmar_ratio", label: "Calmar", kind: "ratio", higherIsBetter: true },
  { key: "max_drawdown", label: "Max drawdown", kind: "pct" },
  { key: "volatility", label: "Volatility (ann.)", kind: "pct" },
  { key: "win_rate", label: "Win rate", kind: "pct" },
  { key: "trades", label: "Trades", kind: "count" },
  { key: "profit_factor", label: "Profit factor", kind: "ratio" },
  { key: "exposure", label: "Time in market", kind: "pct" },
];

const KIND: Record<string, MetricKind> = Object.fromEntries(METRICS.map((m) => [m.key, m.kind]));

export function kindOf(key: string): MetricKind {
  if (KIND[key]) return KIND[key];
  if (/(_pct|_return|return|drawdown|rate)$/.test(key)) return "pct";
  if (/^(n_|num_)|count$|trades$/.test(key)) return "count";
  return "ratio";
}

export function formatNumber(v: number, digits = 2): string {
  return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatMetric(key: string, v: unknown): string {
  if (typeof v !== "number" || Number.isNaN(v)) return typeof v === "string" ? v : "—";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  switch (kindOf(key)) {
    case "signed_pct":
      return `${v > 0 ? "+" : v < 0 ? "−" : ""}${formatNumber(Math.abs(v))}%`;
    case "pct":
      return `${v < 0 ? "−" : ""}${formatNumber(Math.abs(v))}%`;
    case "count":
      return Math.round(v).toLocaleString("en-US");
    case "money":
      return formatNumber(v);
    default:
      return `${v < 0 ? "−" : ""}${formatNumber(Math.abs(v))}`;
  }
}

/** "positive" / "negative" colouring for metrics where the sign means good or bad. */
export function tone(key: string, v: unknown): "positive" | "negative" | "neutral" {
  const m = METRICS.find((x) => x.key === key);
  if (!m?.higherIsBetter || typeof v !== "number" || !Number.isFinite(v) || v === 0) return "neutral";
  return v > 0 ? "positive" : "negative";
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  return iso.length > 10 && !iso.slice(11).startsWith("00:00:00") ? iso.slice(0, 16).replace("T", " ") : iso.slice(0, 10);
}
