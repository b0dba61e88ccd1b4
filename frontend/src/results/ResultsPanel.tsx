/** Results of one execution: metrics, charts, trades, downloads. Loaded lazily (charts are heavy). */
import { useEffect, useMemo, useState } from "react";
import { api } from "../api/endpoints";
import { ApiError, errorText, openAuthedFile } from "../api/client";
import type { BacktestRun, Bar, Execution, ExecutionParams } from "../api/types";
import { completeParams } from "../run/ParamsPanel";
import { openReport } from "../runs/RunTable";
import { formatDate } from "../format";
import { LineChart, PriceChart, type LineSpec } from "./Charts";
import { MetricCards } from "./MetricCards";
import { TradesTable } from "./TradesTable";

function PriceSection({ run, params }: { run: BacktestRun; params: ExecutionParams }) {
  const symbols = useMemo(() => [...new Set(run.trades.map((t) => t.symbol))].concat(params.symbols).filter((s, i, a) => a.indexOf(s) === i), [run, params.symbols]);
  const [symbol, setSymbol] = useState(symbols[0] ?? "");
  const [bars, setBars] = useState<Bar[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const first = run.equity_series[0]?.[0]?.slice(0, 10) ?? params.start_date;
  const last = run.equity_series[run.equity_series.length - 1]?.[0]?.slice(0, 10) ?? params.end_date;

  useEffect(() => {
    if (!symbol) return;
    let live = true;
    setBars(null);
    setError(null);
    api.bars(symbol, first, last, params.timeframe).then(
      (b) => live && setBars(b),
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [symbol, first, last, params.timeframe]);

  return (
    <section className="card">
      <div className="row spread">
        <h3>Trades on price</h3>
        {symbols.length > 1 && (
          <label className="inline">
            Symbol
            <select value={symbol} onChange={(e) => setSymbol(e.target.value)}>
              {symbols.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
        )}
      </div>
      {error && <p className="error">Price unavailable: {error}</p>}
      {!error && !bars && <p className="muted" role="status">Loading prices…</p>}
      {bars && bars.length === 0 && <p className="muted">No price bars for {symbol} in this period.</p>}
      {bars && bars.length > 0 && <PriceChart bars={bars} trades={run.trades} symbol={symbol} />}
    </section>
  );
}

export default function ResultsPanel({ execution, note }: { execution: Execution | null; note?: string | null }) {
  const params = useMemo(() => completeParams(execution?.params ?? {}), [execution]);
  const [run, setRun] = useState<BacktestRun | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [dlError, setDlError] = useState<string | null>(null);
  const id = execution?.id ?? null;
  const status = execution?.status;

  useEffect(() => {
    if (!id || status !== "completed") return;
    let live = true;
    setRun(null);
    setError(null);
    setPending(true);
    api.results(id).then(
      (r) => live && (setRun(r), setPending(false)),
      (e: unknown) => {
        if (!live) return;
        setPending(false);
        setError(e instanceof ApiError && e.status === 409 ? "The results are not ready yet." : errorText(e));
      },
    );
    return () => {
      live = false;
    };
  }, [id, status]);

  const lines = useMemo<LineSpec[]>(() => {
    if (!run) return [];
    const out: LineSpec[] = [{ name: "Strategy", color: "#2563eb", points: run.equity_series }];
    if (run.benchmark_series?.length) out.push({ name: "Benchmark (buy & hold)", color: "#94a3b8", points: run.benchmark_series });
    return out;
  }, [run]);
  const dd = useMemo<LineSpec[]>(() => (run?.drawdown_series?.length ? [{ name: "Drawdown", color: "#dc2626", points: run.drawdown_series, area: true }] : []), [run]);

  if (!execution) return <p className="muted card" data-testid="results-empty">No results yet: run the strategy first.</p>;
  if (execution.status === "failed")
    return (
      <p className="error card" role="alert">
        This run failed: {execution.error_message ?? "no reason was given."}
      </p>
    );
  if (execution.status === "cancelled") return <p className="muted card">This run was cancelled; it has no results.</p>;
  if (execution.status !== "completed") return <p className="muted card" role="status">The run is still {execution.status.replace("_", " ")}; results appear when it completes.</p>;
  if (error) return <p className="error card" role="alert">{error}</p>;
  if (pending || !run) return <p className="muted card" role="status">Loading results…</p>;

  const download = (path: string, name: string | null) => {
    setDlError(null);
    openAuthedFile(path, name).catch((e: unknown) => setDlError(errorText(e)));
  };

  return (
    <div className="results" data-testid="results" data-execution={execution.id}>
      {note && (
        <p className="notice card" role="status" data-testid="results-note">
          {note}
        </p>
      )}
      <section className="card">
        <div className="row spread">
          <h3>
            Results <span className="muted small">of run <code>{execution.id}</code>: {params.symbols.join(", ")}, {formatDate(params.start_date)} → {formatDate(params.end_date)}</span>
          </h3>
          <div className="row">
            <button type="button" onClick={() => download(`/executions/${id}/results/trades.csv`, `${id}-trades.csv`)} data-testid="dl-trades">
              Trades CSV
            </button>
            <button type="button" onClick={() => download(`/executions/${id}/results/equity.csv`, `${id}-equity.csv`)} data-testid="dl-equity">
              Equity CSV
            </button>
            <button type="button" onClick={() => openReport(id!).catch((e: unknown) => setDlError(errorText(e)))} data-testid="open-report">
              Report
            </button>
          </div>
        </div>
        {dlError && <p className="error" role="alert">{dlError}</p>}
        {execution.agent_insights?.summary && <p>{execution.agent_insights.summary}</p>}
        <MetricCards metrics={run.metrics} />
      </section>
      <section className="card charts">
        {run.equity_series.length ? (
          <LineChart lines={lines} testId="equity-chart" label="Equity vs benchmark" />
        ) : (
          <p className="muted">No equity series.</p>
        )}
        {dd.length > 0 && <LineChart lines={dd} height={180} testId="drawdown-chart" label="Drawdown (%)" />}
      </section>
      <PriceSection run={run} params={params} />
      <section className="card">
        <h3>Trades ({run.trades.length})</h3>
        <TradesTable trades={run.trades} />
      </section>
    </div>
  );
}
