/**
 * Lining runs up for comparison: equity curves rebased to 100 at the start (so runs of different capital
 * or period read on one scale), and labels that say which strategy and which parameters each line is.
 *
 * Example: a run that starts with 10,000 and ends at 12,500 is drawn from 100 to 125; three runs of the
 * same strategy that differ only in their fees are labelled "Dip buyer · fees 0.1%", "Dip buyer · fees 0.2%"...
 */
import type { ExecutionParams, SeriesPoint } from "../api/types";
import { formatDate, formatNumber } from "../format";

export const LINE_COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f", "#64748b", "#a16207"];

/** Each value as a percentage of `base` (the initial capital); points without a value are dropped. */
export function rebaseTo100(points: SeriesPoint[], base: number): SeriesPoint[] {
  if (!(base > 0)) return [];
  return points.filter((p): p is [string, number] => typeof p[1] === "number").map(([t, v]) => [t, (v / base) * 100]);
}

type Labelled = { strategyName: string; params: ExecutionParams };

const DESCRIBE: { key: keyof ExecutionParams; say: (p: ExecutionParams) => string }[] = [
  { key: "symbols", say: (p) => p.symbols.join("+") },
  { key: "timeframe", say: (p) => p.timeframe },
  { key: "start_date", say: (p) => `from ${formatDate(p.start_date)}` },
  { key: "end_date", say: (p) => `to ${formatDate(p.end_date)}` },
  { key: "fees", say: (p) => `fees ${formatNumber(p.fees * 100, 2).replace(/\.?0+$/, "")}%` },
  { key: "slippage", say: (p) => `slippage ${formatNumber(p.slippage * 100, 2).replace(/\.?0+$/, "")}%` },
  { key: "position_sizing", say: (p) => p.position_sizing.replace(/_/g, " ") + (p.position_size ? ` ${p.position_size}` : "") },
  { key: "exposure", say: (p) => `exposure ${p.exposure}` },
  { key: "initial_capital", say: (p) => `capital ${formatNumber(p.initial_capital, 0)}` },
  { key: "benchmark", say: (p) => `vs ${p.benchmark ?? p.symbols[0]}` },
];

/**
 * "Name · what differs": the strategy's name, then every parameter whose value is not the same across the
 * runs compared (all of symbols and dates when nothing differs, so a lone label still says what ran).
 * Two runs that nothing tells apart get their run number.
 */
export function compareLabels(runs: Labelled[]): string[] {
  const differs = DESCRIBE.filter((d) => new Set(runs.map((r) => JSON.stringify(r.params[d.key] ?? null))).size > 1);
  const shown = differs.length ? differs : DESCRIBE.slice(0, 4);
  const labels = runs.map((r) => [r.strategyName, ...shown.map((d) => d.say(r.params))].join(" · "));
  const count = new Map<string, number>();
  labels.forEach((l) => count.set(l, (count.get(l) ?? 0) + 1));
  const seen = new Map<string, number>();
  return labels.map((l) => {
    if ((count.get(l) ?? 0) < 2) return l;
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return `${l} (#${n})`;
  });
}
