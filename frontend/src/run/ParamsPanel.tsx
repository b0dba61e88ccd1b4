/**
 * The backtest parameters. Symbols come from `GET /data/symbols` (each with its range and interval, or an
 * upload of one's own); the timeframes offered and the dates allowed are what that data can give.
 */
import { useEffect, useId, useState, type KeyboardEvent } from "react";
import type { ExecutionParams, Sizing, SymbolInfo, Timeframe } from "../api/types";
import { EXECUTION_PARAM_DEFAULTS, TIMEFRAMES } from "../api/constants.gen";
import { formatCount } from "../format";
import type { Async } from "../useAsync";
import { TIMEFRAME_LABELS, coveredRange, fitToData, infoOf, offeredTimeframes } from "./dataLimits";
import { UploadDialog } from "./UploadDialog";

/** The backend's own defaults (generated from its ExecutionParams model). */
export const DEFAULT_PARAMS: ExecutionParams = {
  ...EXECUTION_PARAM_DEFAULTS,
  symbols: [...EXECUTION_PARAM_DEFAULTS.symbols],
};

/** Every field present: what the API answered, with the defaults for what it left out. */
export function completeParams(p: Partial<ExecutionParams>): ExecutionParams {
  return { ...DEFAULT_PARAMS, ...p, benchmark: p.benchmark ?? null, position_size: p.position_size ?? null } as ExecutionParams;
}

/** "bundled · daily · 1999-01-04 → 2018-12-31 · 5,031 bars" */
export function symbolLine(s: SymbolInfo): string {
  return `${s.provider} · ${TIMEFRAME_LABELS[s.interval] ?? s.interval} bars · ${s.start ?? "?"} → ${s.end ?? "?"} · ${formatCount(s.bars)} bars`;
}

/** Problems to fix before the run can start; empty when the parameters are usable. */
export function paramProblems(p: ExecutionParams, symbols: SymbolInfo[] = []): string[] {
  const out: string[] = [];
  if (!p.symbols.length) out.push("Add at least one symbol.");
  if (symbols.length)
    for (const s of [...new Set([...p.symbols, ...(p.benchmark ? [p.benchmark] : [])])])
      if (!infoOf(symbols, s)) out.push(`There is no data for ${s}: pick a listed symbol or upload its bars.`);
  if (!p.start_date || !p.end_date) out.push("Set both dates.");
  else if (p.start_date >= p.end_date) out.push("The start date must be before the end date.");
  if (!(p.initial_capital > 0)) out.push("Initial capital must be above 0.");
  if (p.fees < 0 || p.slippage < 0) out.push("Fees and slippage cannot be negative.");
  if (!(p.exposure > 0 && p.exposure <= 1)) out.push("Exposure must be in (0, 1].");
  if (p.position_sizing !== "equal" && !(p.position_size && p.position_size > 0))
    out.push("Set a position size for this sizing method.");
  return out;
}

function num(v: string): number {
  return v === "" ? NaN : Number(v);
}

export function ParamsPanel(props: { params: ExecutionParams; onChange: (p: ExecutionParams) => void; symbols: Async<SymbolInfo[]> }) {
  const { params: p, onChange, symbols } = props;
  const [symbolText, setSymbolText] = useState("");
  const [note, setNote] = useState<string | null>(null);
  const [unknown, setUnknown] = useState<string | null>(null);
  const [uploading, setUploading] = useState<string | null>(null);
  const listId = useId();
  const known = symbols.data ?? [];
  const set = (patch: Partial<ExecutionParams>) => onChange({ ...p, ...patch });

  // Keep the run inside what the data can give (dates, timeframe), saying what was moved.
  useEffect(() => {
    if (!known.length) return;
    const fitted = fitToData(p, known, TIMEFRAMES);
    if (fitted.note) {
      setNote(fitted.note);
      onChange(fitted.params);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [known, p.symbols.join(","), p.benchmark, p.start_date, p.end_date, p.timeframe]);

  const addSymbol = (raw: string = symbolText) => {
    const s = raw.trim().toUpperCase();
    setSymbolText("");
    if (!s || p.symbols.includes(s)) return;
    if (known.length && !infoOf(known, s)) {
      setUnknown(s);
      return;
    }
    setUnknown(null);
    set({ symbols: [...p.symbols, s] });
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter" || e.key === ",") {
      e.preventDefault();
      addSymbol();
    } else if (e.key === "Backspace" && !symbolText && p.symbols.length) {
      set({ symbols: p.symbols.slice(0, -1) });
    }
  };
  const filter = symbolText.trim().toUpperCase();
  const choices = known.filter((k) => !p.symbols.includes(k.symbol) && (!filter || k.symbol.includes(filter) || (k.name ?? "").toUpperCase().includes(filter)));
  const offered = known.length ? offeredTimeframes(p, known, TIMEFRAMES) : [...TIMEFRAMES];
  const range = known.length ? coveredRange(p, known) : null;

  return (
    <fieldset className="params" data-testid="params">
      <legend>Parameters</legend>
      <div className="field wide">
        <label htmlFor={`${listId}-sym`}>Symbols</label>
        <div className="chips">
          {p.symbols.map((s) => {
            const i = infoOf(known, s);
            return (
              <span className={`chip${known.length && !i ? " chip-bad" : ""}`} key={s} data-testid={`symbol-chip-${s}`}>
                {s}
                {i && <span className="muted small"> {i.start?.slice(0, 4)}–{i.end?.slice(0, 4)}</span>}
                <button type="button" className="icon" aria-label={`Remove ${s}`} onClick={() => set({ symbols: p.symbols.filter((x) => x !== s) })}>
                  ×
                </button>
              </span>
            );
          })}
          <input
            id={`${listId}-sym`}
            list={`${listId}-symbols`}
            value={symbolText}
            onChange={(e) => setSymbolText(e.target.value)}
            onKeyDown={onKey}
            onBlur={() => symbolText && addSymbol()}
            placeholder={symbols.loading ? "Loading symbols…" : "Add a symbol"}
            data-testid="symbol-input"
          />
          <datalist id={`${listId}-symbols`}>
            {known.map((s) => (
              <option key={`${s.symbol}-${s.interval}`} value={s.symbol}>
                {symbolLine(s)}
              </option>
            ))}
          </datalist>
        </div>
        {symbols.error && <span className="error small">Symbols unavailable: {symbols.error}</span>}
        {unknown && (
          <p className="notice small" role="alert" data-testid="symbol-unknown">
            There is no data for {unknown} here (the bundled data sets and your uploads).{" "}
            <button type="button" className="link" onClick={() => setUploading(unknown)} data-testid="upload-for-unknown">
              Upload a CSV or Parquet file for {unknown}
            </button>
          </p>
        )}
        <ul className="symbol-picker" aria-label="Available symbols" data-testid="symbol-picker">
          {choices.slice(0, 12).map((s) => (
            <li key={`${s.symbol}-${s.provider}`}>
              <button type="button" className="pick" onClick={() => addSymbol(s.symbol)} data-testid={`pick-symbol-${s.symbol}`}>
                <strong>{s.symbol}</strong> <span className="muted small">{symbolLine(s)}</span>
              </button>
            </li>
          ))}
          <li>
            <button type="button" className="pick upload" onClick={() => setUploading(filter || "")} data-testid="open-upload">
              + Upload your own data (CSV or Parquet)
            </button>
          </li>
        </ul>
      </div>
      <label className="field">
        Timeframe
        <select value={p.timeframe} onChange={(e) => set({ timeframe: e.target.value as Timeframe })} data-testid="timeframe">
          {offered.map((t) => (
            <option key={t} value={t}>
              {TIMEFRAME_LABELS[t] ?? t}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        Start
        <input type="date" value={p.start_date} min={range?.start} max={range?.end} onChange={(e) => set({ start_date: e.target.value })} data-testid="start-date" />
      </label>
      <label className="field">
        End
        <input type="date" value={p.end_date} min={range?.start} max={range?.end} onChange={(e) => set({ end_date: e.target.value })} data-testid="end-date" />
      </label>
      {note && (
        <p className="notice small wide" role="status" data-testid="data-note">
          {note}{" "}
          <button type="button" className="link" onClick={() => setNote(null)}>
            OK
          </button>
        </p>
      )}
      {uploading !== null && (
        <UploadDialog
          symbol={uploading}
          onClose={() => setUploading(null)}
          onUploaded={(sym: string) => {
            setUploading(null);
            setUnknown(null);
            symbols.reload();
            if (!p.symbols.includes(sym)) set({ symbols: [...p.symbols, sym] });
          }}
        />
      )}
      <label className="field">
        Initial capital
        <input type="number" min={1} step="any" value={Number.isNaN(p.initial_capital) ? "" : p.initial_capital} onChange={(e) => set({ initial_capital: num(e.target.value) })} data-testid="capital" />
      </label>
      <label className="field">
        Benchmark
        <input
          list={`${listId}-symbols`}
          value={p.benchmark ?? ""}
          placeholder={p.symbols[0] ? `${p.symbols[0]} (first symbol)` : "first symbol"}
          onChange={(e) => set({ benchmark: e.target.value.trim().toUpperCase() || null })}
          data-testid="benchmark"
        />
      </label>
      <label className="field">
        Fees (fraction)
        <input type="number" min={0} step="0.0001" value={Number.isNaN(p.fees) ? "" : p.fees} onChange={(e) => set({ fees: num(e.target.value) })} data-testid="fees" />
      </label>
      <label className="field">
        Slippage (fraction)
        <input type="number" min={0} step="0.0001" value={Number.isNaN(p.slippage) ? "" : p.slippage} onChange={(e) => set({ slippage: num(e.target.value) })} data-testid="slippage" />
      </label>
      <label className="field">
        Sizing
        <select value={p.position_sizing} onChange={(e) => set({ position_sizing: e.target.value as Sizing, position_size: e.target.value === "equal" ? null : p.position_size })} data-testid="sizing">
          <option value="equal">equal</option>
          <option value="fixed_fraction">fixed fraction</option>
          <option value="fixed_amount">fixed amount</option>
        </select>
      </label>
      {p.position_sizing !== "equal" && (
        <label className="field">
          {p.position_sizing === "fixed_fraction" ? "Fraction of equity" : "Cash per trade"}
          <input type="number" min={0} step="any" value={p.position_size ?? ""} onChange={(e) => set({ position_size: e.target.value === "" ? null : Number(e.target.value) })} data-testid="position-size" />
        </label>
      )}
      <label className="field inline checkbox" title="Apply the slippage to stop-loss, trailing-stop and take-profit fills too (off: they fill exactly at the level, or at the open when a bar gaps through it)">
        <input type="checkbox" checked={!!p.stop_slippage} onChange={(e) => set({ stop_slippage: e.target.checked })} data-testid="stop-slippage" />
        Slippage on stop fills
      </label>
      <label className="field inline checkbox" title="Take an entry signal on the bar where a stop or take-profit filled (off: that bar's signals are ignored)">
        <input type="checkbox" checked={!!p.reenter_on_exit_bar} onChange={(e) => set({ reenter_on_exit_bar: e.target.checked })} data-testid="reenter-on-exit-bar" />
        Re-enter on the exit bar
      </label>
      <label className="field">
        Exposure (0–1]
        <input type="number" min={0.01} max={1} step="0.05" value={Number.isNaN(p.exposure) ? "" : p.exposure} onChange={(e) => set({ exposure: num(e.target.value) })} data-testid="exposure" />
      </label>
    </fieldset>
  );
}
