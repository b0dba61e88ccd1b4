/**
 * A completed sweep: what ran, the optimization agent's pick and its reasons, the heatmap, the top rows,
 * the walk-forward (in-sample against out-of-sample per fold, the stitched out-of-sample equity), the
 * overfitting statistics and the cost break-even. Any row, heatmap cell or pick runs as a normal execution.
 */
import { useMemo, useState } from "react";
import { errorText, openAuthedFile } from "../api/client";
import { SWEEP_MINIMIZED } from "../api/constants.gen";
import type { CostBreakeven, OptimizationPick, SweepHeatmap, SweepOverfitting, SweepPublic, SweepRow, SweepWalkForward } from "../api/types";
import { formatCount, formatDate, formatMetric, formatNumber, metricInfo } from "../format";
import { num } from "./grid";
import { Plot } from "./Plot";

export const objectiveLabel = (key: string) => metricInfo(key)?.label ?? key.replace(/_/g, " ");
const ROW_METRICS = ["total_return", "cagr", "sharpe_ratio", "max_drawdown", "win_rate", "trades"];
/** Objectives without a natural zero between losing and winning (docs/research.md, cost break-even). */
const UNSIGNED = new Set(["max_drawdown", "volatility", "win_rate", "profit_factor"]);

/** A row's figure; ratios get a third decimal, so rows ranked apart do not read alike. */
function cellText(metric: string, v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  return metricInfo(metric)?.unit === "ratio" ? formatNumber(v, 3) : formatMetric(metric, v);
}

function valuesText(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} = ${num(v)}`)
    .join(", ");
}

/** 0.95 -> "0.95"; null -> "—". */
const stat = (v: number | null | undefined, digits = 2) => (typeof v === "number" ? formatNumber(v, digits) : "—");

function RunButton(props: { values: Record<string, number>; onRun: (v: Record<string, number>) => Promise<void>; testId: string; label?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        className="small"
        disabled={busy}
        title={`Set ${valuesText(props.values)} as the strategy's values, save it and run a normal backtest`}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            await props.onRun(props.values);
          } catch (e) {
            setError(errorText(e));
          } finally {
            setBusy(false);
          }
        }}
        data-testid={props.testId}
      >
        {busy ? "Starting…" : (props.label ?? "Run")}
      </button>
      {error && <span className="error small">{error}</span>}
    </>
  );
}

export function SweepResults({ result, onRun }: { result: SweepPublic; onRun: (values: Record<string, number>) => Promise<void> }) {
  const rows = result.rows as SweepRow[];
  const heatmap = result.heatmap as SweepHeatmap | null;
  const wf = result.walk_forward as SweepWalkForward | null;
  const over = result.overfitting as SweepOverfitting | null;
  const pick = (result.optimization ?? null) as OptimizationPick | null;
  const costs = (result.cost_breakeven ?? null) as CostBreakeven[] | null;
  const objective = result.objective;
  const params = result.params;
  const [dlError, setDlError] = useState<string | null>(null);

  return (
    <div className="sweep-results" data-testid="sweep-results" data-execution={result.execution_id}>
      <section className="card" aria-label="What ran">
        <div className="row spread">
          <h3>Result</h3>
          <button
            type="button"
            className="small"
            onClick={() => openAuthedFile(`/executions/${encodeURIComponent(result.execution_id)}/sweep.csv`, `${result.execution_id}-sweep.csv`).catch((e: unknown) => setDlError(errorText(e)))}
            data-testid="sweep-csv"
          >
            Download every combination (CSV)
          </button>
        </div>
        {dlError && <p className="error small">{dlError}</p>}
        <p data-testid="sweep-summary">
          {formatCount(result.evaluated)} of {formatCount(result.combinations)} combinations evaluated
          {result.skipped ? `, ${formatCount(result.skipped)} skipped (cannot be valid)` : ""}
          {result.failed ? `, ${formatCount(result.failed)} failed` : ""} in {formatNumber(result.elapsed_s, 2)} s
          {result.combos_per_s ? ` (${formatCount(result.combos_per_s)} combinations/s)` : ""}; ranked by {objectiveLabel(objective)}
          {SWEEP_MINIMIZED.includes(objective as (typeof SWEEP_MINIMIZED)[number]) ? " (lowest first)" : ""}.
        </p>
      </section>

      {pick && (
        <section className="card pick" aria-labelledby="pick-title" data-testid="sweep-pick">
          <div className="row spread">
            <h3 id="pick-title">The optimization agent’s pick</h3>
            <RunButton values={pick.values} onRun={onRun} testId="run-pick" label="Run the pick" />
          </div>
          <p>
            <strong data-testid="pick-values">{valuesText(pick.values)}</strong>: {objectiveLabel(objective)} {stat(pick.objective_value, 3)} (best row{" "}
            {stat(pick.best_objective, 3)}), the centre of a region of {formatCount(pick.region_size)} neighbouring combinations near the best.
          </p>
          <ul data-testid="pick-reasons">
            {pick.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </section>
      )}

      {heatmap && <HeatmapCard heatmap={heatmap} objective={objective} rows={rows} onRun={onRun} />}

      <section className="card" aria-labelledby="top-title">
        <h3 id="top-title">Top {formatCount(rows.length)} by {objectiveLabel(objective)}</h3>
        <div className="table-scroll">
          <table className="sweep-table" data-testid="sweep-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                {params.map((p) => (
                  <th scope="col" key={p}>
                    <code>{p}</code>
                  </th>
                ))}
                {[objective, ...ROW_METRICS.filter((m) => m !== objective)].map((m) => (
                  <th scope="col" key={m} className={m === objective ? "objective" : ""}>
                    {objectiveLabel(m)}
                  </th>
                ))}
                <th scope="col">
                  <span className="sr-only">Run</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i} data-testid="sweep-row" data-values={JSON.stringify(r.values)}>
                  <td>{i + 1}</td>
                  {params.map((p) => (
                    <td key={p}>{num(r.values[p])}</td>
                  ))}
                  {[objective, ...ROW_METRICS.filter((m) => m !== objective)].map((m) => (
                    <td key={m} className={m === objective ? "objective" : ""} data-metric={m}>
                      {cellText(m, r.metrics[m])}
                    </td>
                  ))}
                  <td>
                    <RunButton values={r.values} onRun={onRun} testId={`run-row-${i}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      {wf && <WalkForwardCard wf={wf} objective={objective} />}
      {over && <OverfittingCard over={over} />}
      {costs && costs.length > 0 && (
        <section className="card" aria-labelledby="cost-title" data-testid="sweep-costs">
          <h3 id="cost-title">Cost break-even</h3>
          <ul>
            {costs.map((c) => (
              <li key={c.param}>
                <code>{c.param}</code>: {c.breakeven !== null ? <>the {objectiveLabel(c.objective)} turns non-positive at about <strong>{num(Number(c.breakeven.toPrecision(3)))}</strong></> : "no break-even in the swept range"}
                {c.note ? ` (${c.note})` : ""}.
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function HeatmapCard(props: { heatmap: SweepHeatmap; objective: string; rows: SweepRow[]; onRun: (v: Record<string, number>) => Promise<void> }) {
  const { heatmap: h, objective, onRun } = props;
  const [cell, setCell] = useState<{ values: Record<string, number>; z: number | null } | null>(null);
  // Categories, not numbers: evenly sized cells whatever the spacing of the values.
  const xs = useMemo(() => h.x_values.map(num), [h]);
  const ys = useMemo(() => h.y_values.map(num), [h]);
  const data = useMemo(
    () => [
      {
        type: "heatmap",
        x: xs,
        y: ys,
        z: h.z,
        // Red is worse, green better; a signed objective is white at 0 (losing and winning cells apart at a glance).
        colorscale: [
          [0, "#b91c1c"],
          [0.5, "#f8fafc"],
          [1, "#15803d"],
        ],
        reversescale: SWEEP_MINIMIZED.includes(objective as (typeof SWEEP_MINIMIZED)[number]),
        zmid: UNSIGNED.has(objective) ? undefined : 0,
        hoverongaps: false,
        colorbar: { title: { text: objectiveLabel(objective) } },
        hovertemplate: `${h.x} = %{x}<br>${h.y} = %{y}<br>${objectiveLabel(objective)} = %{z:.3f}<extra></extra>`,
      },
    ],
    [h, xs, ys, objective],
  );
  const layout = useMemo(
    () => ({
      xaxis: { title: { text: h.x }, type: "category" },
      yaxis: { title: { text: h.y }, type: "category" },
    }),
    [h],
  );
  const fixed = Object.entries(h.fixed);
  return (
    <section className="card" aria-labelledby="heatmap-title" data-testid="sweep-heatmap-card">
      <h3 id="heatmap-title">
        {objectiveLabel(objective)} over {h.x} and {h.y}
      </h3>
      {fixed.length > 0 && <p className="muted small">Every other parameter at the best row’s value: {valuesText(h.fixed)}.</p>}
      <Plot
        data={data}
        layout={layout}
        testId="sweep-heatmap"
        label={`Heatmap of the ${objectiveLabel(objective)} over ${h.x} and ${h.y}; click a cell to run it`}
        onClick={(p) => {
          const j = xs.indexOf(String(p.x));
          const i = ys.indexOf(String(p.y));
          if (i < 0 || j < 0) return;
          setCell({ values: { ...h.fixed, [h.x]: h.x_values[j], [h.y]: h.y_values[i] }, z: h.z[i][j] });
        }}
      />
      <p className="muted small">Click a cell to run that combination as a normal backtest. Empty cells were skipped or failed.</p>
      {cell && (
        <div className="row heatmap-cell" data-testid="heatmap-cell" data-values={JSON.stringify(cell.values)}>
          <span>
            <strong>{valuesText(cell.values)}</strong>: {objectiveLabel(objective)} {cell.z === null ? "— (not run)" : stat(cell.z, 3)}
          </span>
          {cell.z !== null && <RunButton values={cell.values} onRun={onRun} testId="run-cell" label="Run this combination" />}
        </div>
      )}
    </section>
  );
}

function WalkForwardCard({ wf, objective }: { wf: SweepWalkForward; objective: string }) {
  const folds = wf.folds.map((f) => `Fold ${f.fold}`);
  const bars = useMemo(
    () => [
      { type: "bar", name: "in-sample", x: folds, y: wf.folds.map((f) => f.in_sample_objective), marker: { color: "#8aa4c8" } },
      { type: "bar", name: "out-of-sample", x: folds, y: wf.folds.map((f) => f.out_of_sample_objective), marker: { color: "#d9822b" } },
    ],
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [wf],
  );
  const barLayout = useMemo(() => ({ barmode: "group", yaxis: { title: { text: objectiveLabel(objective) }, zeroline: true }, legend: { orientation: "h" } }), [objective]);
  const equity = useMemo(
    () => [{ type: "scatter", mode: "lines", name: "out-of-sample equity", x: wf.stitched_equity.map((p) => p[0]), y: wf.stitched_equity.map((p) => p[1]), line: { color: "#d9822b" } }],
    [wf],
  );
  const equityLayout = useMemo(() => ({ yaxis: { title: { text: "equity" } }, showlegend: false }), []);
  return (
    <section className="card" aria-labelledby="wf-title" data-testid="sweep-walk-forward">
      <h3 id="wf-title">Walk-forward</h3>
      <p data-testid="wf-efficiency">
        Walk-forward efficiency <strong>{stat(wf.efficiency)}</strong>
        {wf.efficiency !== null ? ` over ${wf.efficiency_folds} fold${wf.efficiency_folds === 1 ? "" : "s"}` : " (no fold had both objectives)"}: the
        out-of-sample {objectiveLabel(objective)} over the in-sample one (near 1 the edge carried over, near or below 0 it did not). Stitched
        out-of-sample return {formatMetric("total_return", wf.out_of_sample_return)}.
      </p>
      <div className="two-charts">
        <Plot data={bars} layout={barLayout} testId="wf-folds-chart" label={`In-sample against out-of-sample ${objectiveLabel(objective)} per fold`} height={300} />
        <Plot data={equity} layout={equityLayout} testId="wf-equity-chart" label="Stitched out-of-sample equity" height={300} />
      </div>
      <div className="table-scroll">
        <table className="small" data-testid="wf-folds">
          <thead>
            <tr>
              <th scope="col">Fold</th>
              <th scope="col">In sample</th>
              <th scope="col">Out of sample</th>
              <th scope="col">Chosen in sample</th>
              <th scope="col">IS {objectiveLabel(objective)}</th>
              <th scope="col">OOS {objectiveLabel(objective)}</th>
            </tr>
          </thead>
          <tbody>
            {wf.folds.map((f) => (
              <tr key={f.fold}>
                <td>{f.fold}</td>
                <td>
                  {formatDate(f.in_sample[0])} → {formatDate(f.in_sample[1])}
                </td>
                <td>
                  {formatDate(f.out_of_sample[0])} → {formatDate(f.out_of_sample[1])}
                </td>
                <td>{valuesText(f.values)}</td>
                <td>{stat(f.in_sample_objective, 3)}</td>
                <td>{stat(f.out_of_sample_objective, 3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function OverfittingCard({ over }: { over: SweepOverfitting }) {
  const dsr = over.deflated_sharpe_ratio;
  const pbo = over.pbo?.pbo ?? null;
  return (
    <section className="card" aria-labelledby="over-title" data-testid="sweep-overfitting">
      <h3 id="over-title">Skill or luck?</h3>
      <dl className="stats">
        <div data-testid="stat-dsr">
          <dt>Deflated Sharpe Ratio</dt>
          <dd>{stat(dsr, 3)}</dd>
          <dd className="muted small">
            The probability that the best row’s Sharpe ratio ({stat(over.sharpe_ratio)}) beats what the best of {formatCount(over.trials)} skill-less trials
            would show ({stat(over.expected_max_sharpe)}). 0.95 or more: unlikely to be luck alone.
          </dd>
        </div>
        <div data-testid="stat-pbo">
          <dt>Probability of Backtest Overfitting</dt>
          <dd>{stat(pbo, 3)}</dd>
          <dd className="muted small">
            How often the in-sample winner lands in the worse half out of sample, over {formatCount(over.pbo?.splits ?? 0)} splits of{" "}
            {formatCount(over.pbo?.partitions ?? 0)} partitions ({formatCount(over.pbo?.strategies ?? 0)} combinations). About 0.5 is noise; near 0 a real edge.
          </dd>
        </div>
        <div>
          <dt>Probabilistic Sharpe Ratio</dt>
          <dd>{stat(over.probabilistic_sharpe_ratio, 3)}</dd>
          <dd className="muted small">The same test against a Sharpe ratio of 0, without the deflation for the number of trials.</dd>
        </div>
      </dl>
    </section>
  );
}
