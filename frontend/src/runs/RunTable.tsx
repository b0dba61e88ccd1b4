/**
 * A list of runs (`GET /executions`): what ran (strategy, symbols, period), how it ended (status, an
 * "edited code" mark) and how it did (return, Sharpe, max drawdown), with its results, code and report one
 * click away, deletion, and a pick of completed runs to compare. On a phone each run is a card.
 */
import { Suspense, lazy, useState } from "react";
import { api } from "../api/endpoints";
import { errorText } from "../api/client";
import type { ExecutionStatus, RunSummary } from "../api/types";
import { formatDate, formatDateTime, formatMetric, tone } from "../format";
import { useAsync } from "../useAsync";

const ComparePanel = lazy(() => import("./ComparePanel"));

const PAGE = 25;
const STATUS_FILTERS: { label: string; statuses: ExecutionStatus[] }[] = [
  { label: "All", statuses: [] },
  { label: "Completed", statuses: ["completed"] },
  { label: "Failed", statuses: ["failed"] },
  { label: "Cancelled", statuses: ["cancelled"] },
  { label: "Running", statuses: ["queued", "analyzing", "generating_code", "executing"] },
];

export type OpenTab = "results" | "code" | "run" | "sweep";

/** Opens the signed report URL in a new tab (the tab is opened first, so no popup blocker stops it). */
export async function openReport(executionId: string): Promise<string> {
  const tab = window.open("", "_blank");
  try {
    const link = await api.reportLink(executionId);
    if (tab) {
      tab.opener = null;
      tab.location.href = link.url;
    } else window.location.assign(link.url);
    return link.url;
  } catch (e) {
    tab?.close();
    throw e;
  }
}

export function RunTable(props: {
  strategyId?: string | null;
  currentId?: string | null;
  showStrategy?: boolean;
  onOpen: (run: RunSummary, tab: OpenTab) => void;
  /** Changes when a run started or ended elsewhere on the page, to refresh the list. */
  refreshKey?: unknown;
}) {
  const { strategyId = null, currentId = null, showStrategy = false, onOpen, refreshKey } = props;
  const [filter, setFilter] = useState(0);
  const [offset, setOffset] = useState(0);
  const statuses = STATUS_FILTERS[filter].statuses;
  const page = useAsync(() => api.runs({ strategyId, statuses, limit: PAGE, offset }), [strategyId, filter, offset, refreshKey]);
  const [picked, setPicked] = useState<string[]>([]);
  const [names, setNames] = useState<Record<string, string>>({});
  const [comparing, setComparing] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const toggle = (run: RunSummary) => {
    setNames((n) => ({ ...n, [run.id]: run.strategy_name }));
    setPicked((p) => (p.includes(run.id) ? p.filter((x) => x !== run.id) : [...p, run.id].slice(-10)));
  };

  async function remove(run: RunSummary) {
    if (!window.confirm(`Delete run ${run.id} of “${run.strategy_name}” with its results?`)) return;
    setBusy(run.id);
    setError(null);
    try {
      await api.deleteRun(run.id);
      setPicked((p) => p.filter((x) => x !== run.id));
      page.reload();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  }

  async function report(run: RunSummary) {
    setError(null);
    try {
      await openReport(run.id);
    } catch (e) {
      setError(errorText(e));
    }
  }

  const items = page.data?.items ?? [];
  const total = page.data?.total ?? 0;
  return (
    <div className="runs" data-testid="runs">
      <section className="card">
        <div className="row spread">
          <div className="row">
            <label className="inline">
              Show
              <select
                value={filter}
                onChange={(e) => {
                  setFilter(Number(e.target.value));
                  setOffset(0);
                }}
                data-testid="run-filter"
              >
                {STATUS_FILTERS.map((f, i) => (
                  <option key={f.label} value={i}>
                    {f.label}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" onClick={page.reload} disabled={page.loading}>
              Refresh
            </button>
          </div>
          <button type="button" className="primary" onClick={() => setComparing(picked)} disabled={picked.length < 2} data-testid="compare">
            Compare ({picked.length})
          </button>
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        {page.loading && !page.data && <p className="muted" role="status">Loading runs…</p>}
        {page.error && <p className="error" role="alert">{page.error}</p>}
        {page.data && items.length === 0 && (
          <p className="muted" data-testid="runs-empty">
            {filter ? "No runs match this filter." : "No runs yet."}
          </p>
        )}
        {items.length > 0 && (
          <table className="run-table" data-testid="run-table">
            <thead>
              <tr>
                <th scope="col">
                  <span className="sr-only">Pick to compare</span>
                </th>
                {showStrategy && <th scope="col">Strategy</th>}
                <th scope="col">Symbols</th>
                <th scope="col">Period</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">Return</th>
                <th scope="col" className="num">Sharpe</th>
                <th scope="col" className="num">Max DD</th>
                <th scope="col">Run at</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((run) => {
                const m = run.metrics;
                const done = run.status === "completed";
                const isSweep = run.kind === "sweep";
                return (
                  <tr key={run.id} className={run.id === currentId ? "current" : ""} data-testid="run-row" data-run={run.id}>
                    <td data-label="Compare">
                      <input
                        type="checkbox"
                        checked={picked.includes(run.id)}
                        onChange={() => toggle(run)}
                        disabled={!done || isSweep}
                        aria-label={`Pick run ${run.id} to compare`}
                        data-testid={`pick-${run.id}`}
                      />
                    </td>
                    {showStrategy && (
                      <td data-label="Strategy" className="strong">
                        {run.strategy_name}
                      </td>
                    )}
                    <td data-label="Symbols">{run.symbols.join(", ")}</td>
                    <td data-label="Period">
                      {formatDate(run.start_date)} → {formatDate(run.end_date)}
                      {run.timeframe && run.timeframe !== "1d" && <span className="muted small"> · {run.timeframe}</span>}
                    </td>
                    <td data-label="Status">
                      <span className={`status status-${run.status}`}>{run.status.replace("_", " ")}</span>
                      {isSweep && (
                        <span className="tag" title="A parameter sweep: every combination of a grid" data-testid="sweep-mark">
                          sweep
                        </span>
                      )}
                      {run.edited_code && (
                        <span className="tag" title="Edited code ran instead of the generated code" data-testid="edited-mark">
                          edited code
                        </span>
                      )}
                    </td>
                    <td data-label="Return" className={`num ${tone("total_return", m?.total_return)}`}>
                      {m ? formatMetric("total_return", m.total_return) : "—"}
                    </td>
                    <td data-label="Sharpe" className="num">
                      {m ? formatMetric("sharpe_ratio", m.sharpe_ratio) : "—"}
                    </td>
                    <td data-label="Max DD" className="num">
                      {m ? formatMetric("max_drawdown", m.max_drawdown) : "—"}
                    </td>
                    <td data-label="Run at">{formatDateTime(run.created_at)}</td>
                    <td className="actions">
                      <button type="button" className="small" onClick={() => onOpen(run, isSweep ? "sweep" : done ? "results" : "run")} data-testid={`open-${run.id}`}>
                        {isSweep ? "Sweep" : done ? "Results" : "Open"}
                      </button>
                      <button type="button" className="small" onClick={() => onOpen(run, "code")} data-testid={`code-${run.id}`}>
                        Code
                      </button>
                      <button type="button" className="small" onClick={() => report(run)} disabled={!done || isSweep} data-testid={`report-${run.id}`}>
                        Report
                      </button>
                      <button
                        type="button"
                        className="small danger"
                        onClick={() => remove(run)}
                        disabled={busy === run.id || !["completed", "failed", "cancelled"].includes(run.status)}
                        aria-label={`Delete run ${run.id}`}
                        data-testid={`delete-${run.id}`}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {total > PAGE && (
          <div className="row pager" data-testid="pager">
            <button type="button" onClick={() => setOffset(Math.max(0, offset - PAGE))} disabled={offset === 0}>
              Newer
            </button>
            <span className="muted small">
              {offset + 1}–{Math.min(offset + PAGE, total)} of {total}
            </span>
            <button type="button" onClick={() => setOffset(offset + PAGE)} disabled={offset + PAGE >= total}>
              Older
            </button>
          </div>
        )}
      </section>
      {comparing && (
        <Suspense fallback={<p className="muted card" role="status">Loading the comparison…</p>}>
          <ComparePanel ids={comparing} names={names} onClose={() => setComparing(null)} />
        </Suspense>
      )}
    </div>
  );
}
