/** Executions of one strategy, newest first, with a side-by-side comparison of the chosen ones. */
import { useState } from "react";
import { api } from "../api/endpoints";
import { errorText } from "../api/client";
import type { Compare, Execution } from "../api/types";
import { useAsync } from "../useAsync";
import { METRICS, formatMetric } from "./format";

export function HistoryPanel(props: { strategyId: string | null; currentId: string | null; onOpen: (ex: Execution, tab: string) => void }) {
  const { strategyId, currentId, onOpen } = props;
  const list = useAsync(() => (strategyId ? api.history(strategyId) : Promise.resolve([] as Execution[])), [strategyId]);
  const [picked, setPicked] = useState<string[]>([]);
  const [cmp, setCmp] = useState<Compare | null>(null);
  const [cmpError, setCmpError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!strategyId) return <p className="muted card">Save the strategy to keep a history of its runs.</p>;

  async function compare() {
    setBusy(true);
    setCmpError(null);
    try {
      setCmp(await api.compare(picked));
    } catch (e) {
      setCmpError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id]));
  const order = [...METRICS.map((m) => m.key)];
  const cmpKeys = cmp ? Object.keys(cmp.metrics).sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99)) : [];

  return (
    <div className="history" data-testid="history">
      <section className="card">
        <div className="row spread">
          <h3>Runs</h3>
          <div className="row">
            <button type="button" onClick={list.reload} disabled={list.loading}>
              Refresh
            </button>
            <button type="button" className="primary" onClick={compare} disabled={picked.length < 2 || busy} data-testid="compare">
              {busy ? "Comparing…" : `Compare (${picked.length})`}
            </button>
          </div>
        </div>
        {list.loading && !list.data && <p className="muted" role="status">Loading runs…</p>}
        {list.error && <p className="error" role="alert">{list.error}</p>}
        {list.data && list.data.length === 0 && <p className="muted" data-testid="history-empty">No runs yet.</p>}
        {list.data && list.data.length > 0 && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col"><span className="sr-only">Pick to compare</span></th>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col">Started</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((ex) => (
                  <tr key={ex.id} className={ex.id === currentId ? "current" : ""} data-testid="history-row">
                    <td>
                      <input
                        type="checkbox"
                        checked={picked.includes(ex.id)}
                        onChange={() => toggle(ex.id)}
                        disabled={ex.status !== "completed"}
                        aria-label={`Pick ${ex.id} to compare`}
                      />
                    </td>
                    <td><code>{ex.id}</code></td>
                    <td><span className={`status status-${ex.status}`}>{ex.status.replace("_", " ")}</span></td>
                    <td>{new Date(ex.created_at).toLocaleString()}</td>
                    <td className="row">
                      <button type="button" className="small" onClick={() => onOpen(ex, ex.status === "completed" ? "results" : "run")} data-testid={`history-open-${ex.id}`}>
                        Open
                      </button>
                      <button type="button" className="small" onClick={() => onOpen(ex, "code")}>
                        Code
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {cmpError && <p className="error card" role="alert">{cmpError}</p>}
      {cmp && (
        <section className="card" data-testid="compare-table">
          <h3>Side by side</h3>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Metric</th>
                  {cmp.ids.map((id) => (
                    <th scope="col" key={id}><code>{id}</code></th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {cmpKeys.map((k) => (
                  <tr key={k}>
                    <th scope="row">{METRICS.find((m) => m.key === k)?.label ?? k.replace(/_/g, " ")}</th>
                    {cmp.ids.map((id) => (
                      <td key={id} className="num">{formatMetric(k, cmp.metrics[k]?.[id])}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}
