/**
 * What the data can give a run, so a limit shows up as a choice rather than a failure: the timeframes
 * every chosen symbol's bars reach (daily bars give 1d, 1wk and 1mo, never 1h), and the dates they cover.
 *
 * Example: SPX daily 1999-01-04..2018-12-31 and a run asked for 1995-01-01..2020-06-30 -> dates clamped to
 * 1999-01-04..2018-12-31 with a note saying so; an unknown symbol ("AAPL" offline) is named as missing.
 */
import type { ExecutionParams, SymbolInfo, Timeframe } from "../api/types";

export const TIMEFRAME_LABELS: Record<string, string> = {
  "1h": "1 hour",
  "1d": "1 day",
  "1wk": "1 week",
  "1mo": "1 month",
};

/** The symbols a run would load: its symbols and its benchmark. */
export function runSymbols(p: ExecutionParams): string[] {
  return [...new Set([...p.symbols, ...(p.benchmark ? [p.benchmark] : [])])];
}

export function infoOf(symbols: SymbolInfo[], symbol: string): SymbolInfo | undefined {
  const s = symbol.toUpperCase();
  return symbols.find((i) => i.symbol === s || i.aliases.includes(s));
}

export function missingSymbols(p: ExecutionParams, symbols: SymbolInfo[]): string[] {
  return runSymbols(p).filter((s) => !infoOf(symbols, s));
}

const FINEST_FIRST = ["1h", "1d", "1wk", "1mo"];
const byFineness = (a: string, b: string) => (FINEST_FIRST.indexOf(a) + 1 || 99) - (FINEST_FIRST.indexOf(b) + 1 || 99);

/** Timeframes every known symbol of the run can be served at, finest first. */
export function offeredTimeframes(p: ExecutionParams, symbols: SymbolInfo[], all: readonly string[]): Timeframe[] {
  const infos = runSymbols(p).map((s) => infoOf(symbols, s)).filter((i): i is SymbolInfo => !!i);
  const offered = infos.length ? all.filter((t) => infos.every((i) => i.timeframes.includes(t))) : [...all];
  return [...offered].sort(byFineness) as Timeframe[];
}

/** The dates all the run's symbols cover, or null when they share none. */
export function coveredRange(p: ExecutionParams, symbols: SymbolInfo[]): { start: string; end: string } | null {
  const infos = runSymbols(p).map((s) => infoOf(symbols, s)).filter((i): i is SymbolInfo => !!i && !!i.start && !!i.end);
  if (!infos.length) return null;
  const start = infos.map((i) => i.start!).sort().at(-1)!;
  const end = infos.map((i) => i.end!).sort()[0];
  return start <= end ? { start, end } : null;
}

export type Fitted = { params: ExecutionParams; note: string | null };

/** Moves the dates (and the timeframe) inside what the data can give, saying what was changed. */
export function fitToData(p: ExecutionParams, symbols: SymbolInfo[], all: readonly string[]): Fitted {
  const notes: string[] = [];
  let next = p;
  const range = coveredRange(p, symbols);
  if (range && p.start_date && p.end_date) {
    const start = p.start_date < range.start || p.start_date > range.end ? range.start : p.start_date;
    const end = p.end_date > range.end || p.end_date < range.start ? range.end : p.end_date;
    if (start !== p.start_date || end !== p.end_date) {
      const who = runSymbols(p).join(", ");
      notes.push(
        `The data of ${who} covers ${range.start} to ${range.end}: the dates were moved to ${start} → ${end} (you asked for ${p.start_date} → ${p.end_date}).`,
      );
      next = { ...next, start_date: start, end_date: end };
    }
  }
  const offered = offeredTimeframes(p, symbols, all);
  if (offered.length && !offered.includes(p.timeframe)) {
    notes.push(`${TIMEFRAME_LABELS[p.timeframe] ?? p.timeframe} bars are not available for this data: using ${TIMEFRAME_LABELS[offered[0]] ?? offered[0]}.`);
    next = { ...next, timeframe: offered[0] };
  }
  return { params: next, note: notes.length ? notes.join(" ") : null };
}
