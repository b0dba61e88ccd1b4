/** The backtest parameters, with symbol autocomplete from `GET /data/symbols`. */
import { useId, useState, type KeyboardEvent } from "react";
import { api } from "../api/endpoints";
import type { ExecutionParams, Sizing, Timeframe } from "../api/types";
import { EXECUTION_PARAM_DEFAULTS } from "../api/constants.gen";
import { useAsync } from "../useAsync";

/** The backend's own defaults (generated from its ExecutionParams model). */
export const DEFAULT_PARAMS: ExecutionParams = {
  ...EXECUTION_PARAM_DEFAULTS,
  symbols: [...EXECUTION_PARAM_DEFAULTS.symbols],
};

/** Problems to fix before the run can start; empty when the parameters are usable. */
export function paramProblems(p: ExecutionParams): string[] {
  const out: string[] = [];
  if (!p.symbols.length) out.push("Add at least one symbol.");
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

export function ParamsPanel(props: { params: ExecutionParams; onChange: (p: ExecutionParams) => void }) {
  const { params: p, onChange } = props;
  const symbols = useAsync(() => api.symbols(), []);
  const [symbolText, setSymbolText] = useState("");
  const listId = useId();
  const set = (patch: Partial<ExecutionParams>) => onChange({ ...p, ...patch });

  const addSymbol = () => {
    const s = symbolText.trim().toUpperCase();
    if (s && !p.symbols.includes(s)) set({ symbols: [...p.symbols, s] });
    setSymbolText("");
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter" || e.key === ",") {
      e.preventDefault();
      addSymbol();
    } else if (e.key === "Backspace" && !symbolText && p.symbols.length) {
      set({ symbols: p.symbols.slice(0, -1) });
    }
  };
  const known = symbols.data ?? [];
  const info = (s: string) => known.find((k) => k.symbol === s);

  return (
    <fieldset className="params" data-testid="params">
      <legend>Parameters</legend>
      <div className="field wide">
        <label htmlFor={`${listId}-sym`}>Symbols</label>
        <div className="chips">
          {p.symbols.map((s) => (
            <span className="chip" key={s} data-testid={`symbol-chip-${s}`}>
              {s}
              {info(s) && <span className="muted small"> {info(s)!.start?.slice(0, 4)}–{info(s)!.end?.slice(0, 4)}</span>}
              <button type="button" className="icon" aria-label={`Remove ${s}`} onClick={() => set({ symbols: p.symbols.filter((x) => x !== s) })}>
                ×
              </button>
            </span>
          ))}
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
                {s.provider} · {s.interval} · {s.start?.slice(0, 10)} to {s.end?.slice(0, 10)} · {s.bars} bars
              </option>
            ))}
          </datalist>
        </div>
        {symbols.error && <span className="error small">Symbols unavailable: {symbols.error}</span>}
      </div>
      <label className="field">
        Timeframe
        <select value={p.timeframe} onChange={(e) => set({ timeframe: e.target.value as Timeframe })} data-testid="timeframe">
          <option value="1d">1 day</option>
          <option value="1h">1 hour</option>
          <option value="1wk">1 week</option>
          <option value="1mo">1 month</option>
        </select>
      </label>
      <label className="field">
        Start
        <input type="date" value={p.start_date} onChange={(e) => set({ start_date: e.target.value })} data-testid="start-date" />
      </label>
      <label className="field">
        End
        <input type="date" value={p.end_date} onChange={(e) => set({ end_date: e.target.value })} data-testid="end-date" />
      </label>
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
      <label className="field">
        Exposure (0–1]
        <input type="number" min={0.01} max={1} step="0.05" value={Number.isNaN(p.exposure) ? "" : p.exposure} onChange={(e) => set({ exposure: num(e.target.value) })} data-testid="exposure" />
      </label>
    </fieldset>
  );
}
