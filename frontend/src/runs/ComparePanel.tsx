/**
 * Runs side by side, from any strategies: equity curves rebased to 100 and drawdowns on one chart each,
 * every line labelled by its strategy's name and the parameters that set it apart, and the headline
 * metrics in a table. Loaded lazily with the chart library.
 */
import { useMemo } from "react";
import { api } from "../api/endpoints";
import type { BacktestRun, Execution } from "../api/types";
import { METRICS, formatMetric, tone } from "../format";
import { LineChart, type LineSpec } from "../results/Charts";
import { completeParams } from "../run/ParamsPanel";
import { useAsync } from "../useAsync";
import { LINE_COLOURS, compareLabels, rebaseTo100 } from "./compare";

const TABLE = METRICS.filter((m) => m.card).map((m) => m.key);

export default function ComparePanel(props: { ids: string[]; names: Record<string, string>; onClose: () => void }) {
  const { ids, names, onClose } = props;
  const loaded = useAsync(
    () => Promise.all(ids.map(async (id) => ({ execution: await api.execution(id), run: await api.results(id) }))),
    [ids.join(",")],
  );
  const view = useMemo(() => {
    const runs: { execution: Execution; run: BacktestRun }[] = loaded.data ?? [];
    const labels = compareLabels(
      runs.map((r) => ({ strategyName: names[r.execution.id] ?? r.execution.strategy_id, params: completeParams(r.execution.params) })),
    );
    const equity: LineSpec[] = runs.map((r, i) => ({
      name: labels[i],
      color: LINE_COLOURS[i % LINE_COLOURS.length],
      points: rebaseTo100(r.run.equity_series, r.execution.params.initial_capital),
    }));
    const drawdown: LineSpec[] = runs.map((r, i) => ({ name: labels[i], color: LINE_COLOURS[i % LINE_COLOURS.length], points: r.run.drawdown_series }));
    return { runs, labels, equity, drawdown };
  }, [loaded.data, names]);

  return (
    <section className="card compare" data-testid="compare-panel">
      <div className="row spread">
        <h3>Comparison</h3>
        <button type="button" onClick={onClose} aria-label="Close the comparison">
          Close
        </button>
      </div>
      {loaded.loading && <p className="muted" role="status">Loading {ids.length} runs…</p>}
      {loaded.error && <p className="error" role="alert">{loaded.error}</p>}
      {loaded.data && (
        <>
          <LineChart lines={view.equity} testId="compare-equity" label="Equity, rebased to 100 at the start" />
          <LineChart lines={view.drawdown} height={200} testId="compare-drawdown" label="Drawdown (% below the peak)" />
          <div className="table-wrap">
            <table data-testid="compare-table">
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  {view.labels.map((l, i) => (
                    <th scope="col" key={ids[i]}>
                      <i className="swatch" style={{ background: LINE_COLOURS[i % LINE_COLOURS.length] }} /> {l}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {TABLE.map((k) => (
                  <tr key={k}>
                    <th scope="row">{METRICS.find((m) => m.key === k)?.label}</th>
                    {view.runs.map((r) => {
                      const v = (r.run.metrics as unknown as Record<string, unknown>)[k];
                      return (
                        <td key={r.execution.id} className={`num ${tone(k, v)}`}>
                          {formatMetric(k, v)}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
