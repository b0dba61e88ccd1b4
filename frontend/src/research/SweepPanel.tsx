/**
 * The Sweep tab: the grid (made in the builder, or a cost added here), its size and an estimated time, the
 * objective and the validation, Run sweep, the progress in combinations, then the result (`SweepResults`).
 * Loaded lazily with its charts; Plotly itself is a further chunk, fetched only when a chart is drawn.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api/endpoints";
import { errorText } from "../api/client";
import { SWEEP_OBJECTIVES } from "../api/constants.gen";
import { TERMINAL, type ExecutionParams, type StrategyNode } from "../api/types";
import { formatCount } from "../format";
import { useExecutionStream } from "../run/useExecutionStream";
import { RangeEditor } from "./RangeEditor";
import {
  SWEEPABLE_PARAMS,
  combinationsDone,
  currentValue,
  describeSpec,
  estimateSeconds,
  formatDuration,
  gridSize,
  num,
  specCount,
  specProblem,
  staleNames,
  suggestRange,
  DEFAULT_COMBOS_PER_S,
} from "./grid";
import { SweepResults, objectiveLabel } from "./SweepResults";
import type { SweepState } from "./useSweep";


/** Memory's pick from an earlier sweep of a similar strategy (`agent_insights.sweep_suggestion`), if it has values. */
function memorySuggestion(raw: unknown): { values: Record<string, number>; similarity?: number } | null {
  if (!raw || typeof raw !== "object") return null;
  const { values, similarity } = raw as { values?: unknown; similarity?: unknown };
  if (!values || typeof values !== "object") return null;
  const numeric = Object.entries(values as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === "number");
  if (!numeric.length) return null;
  return { values: Object.fromEntries(numeric), similarity: typeof similarity === "number" ? similarity : undefined };
}

function whereFrom(name: string): string {
  if (name.startsWith("params.")) return "execution parameter";
  if (name.includes(".")) return "node field";
  return "rule parameter";
}

export default function SweepPanel(props: {
  sweep: SweepState;
  nodes: StrategyNode[];
  params: ExecutionParams;
  blockers: string[];
  /** Saves if needed and starts the sweep; resolves to its execution id (null when the save was refused). */
  onRun: () => Promise<string | null>;
  onRunCombination: (values: Record<string, number>) => Promise<void>;
  goto: (tab: string) => void;
}) {
  const { sweep, nodes, params, blockers, onRun, onRunCombination, goto } = props;
  const { grid, settings, setSettings, execution } = sweep;
  const names = Object.keys(grid);
  const size = gridSize(grid);
  const stale = useMemo(() => staleNames(grid, nodes, params), [grid, nodes, params]);
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const progressRef = useRef<HTMLElement>(null);
  const [started, setStarted] = useState<string | null>(null);
  // A sweep just started: bring its progress into view (it sits below the settings).
  useEffect(() => {
    if (started && execution?.id === started) progressRef.current?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
  }, [started, execution?.id]);

  const { state, connError } = useExecutionStream(execution?.id ?? null, execution?.status ?? "queued");
  const running = !!execution && !state.ended;
  // The stream ended: read the stored execution until its status is final, then its result.
  const stale_ = !!execution && state.ended && (!TERMINAL.includes(execution.status) || (execution.status === "completed" && !sweep.result));
  useEffect(() => {
    if (!stale_ || !execution) return;
    const t = setTimeout(() => void sweep.refresh(execution.id).catch((e: unknown) => setError(errorText(e))), 400);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stale_, execution?.id, execution?.status]);

  const problems = [
    ...blockers,
    ...(names.length ? [] : ["Nothing to sweep yet: in the Build tab, click a number in a rule or Sweep… beside a stop, or add a cost below."]),
    ...stale.map((n) => `${n} is no longer in the strategy: remove it from the grid.`),
    ...names.flatMap((n) => {
      const p = specProblem(grid[n]);
      return p ? [`${n}: ${p}`] : [];
    }),
    ...(settings.walkForward && !(settings.folds >= 1 && settings.folds <= 50) ? ["Walk-forward folds: 1 to 50."] : []),
    ...(settings.walkForward && !(settings.inSample > 0 && settings.inSample < 1) ? ["The in-sample share must be between 1% and 99%."] : []),
  ];

  async function run() {
    setError(null);
    try {
      setStarted(await onRun());
    } catch (e) {
      setError(errorText(e));
    }
  }

  async function cancel() {
    if (!execution) return;
    try {
      await api.cancel(execution.id);
    } catch (e) {
      setError(errorText(e));
    }
  }

  // Combinations done / total from the executor's newest log line.
  const counted = [...state.events].reverse().map((e) => combinationsDone(e.message)).find((x) => x !== null) ?? null;
  const pct = Math.round(state.progress * 100);
  const rate = sweep.combosPerS;
  const seconds = estimateSeconds(size, rate);
  const latest = state.events[state.events.length - 1];
  const suggestion = memorySuggestion(execution?.agent_insights?.sweep_suggestion);

  return (
    <div className="sweep-panel" data-testid="sweep-panel">
      <section className="card" aria-labelledby="sweep-grid-title">
        <h3 id="sweep-grid-title">Grid</h3>
        {names.length === 0 ? (
          <p className="muted" data-testid="sweep-empty">
            Nothing to sweep yet. In the <button type="button" className="link" onClick={() => goto("build")}>Build</button> tab, click a number
            in a rule to make it a named parameter with a range, or press Sweep… beside a stop’s field.
          </p>
        ) : (
          <div className="table-scroll">
          <table className="grid-table" data-testid="sweep-grid">
            <thead>
              <tr>
                <th scope="col">Parameter</th>
                <th scope="col">Now</th>
                <th scope="col">Values</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {names.map((n) => {
                const now = currentValue(n, nodes, params);
                return (
                  <tr key={n} data-testid={`grid-row-${n}`} className={stale.includes(n) ? "stale" : ""}>
                    <td>
                      <code>{n}</code> <span className="muted small">{whereFrom(n)}</span>
                    </td>
                    <td>{now === undefined ? <span className="error small">not in the strategy</span> : num(now)}</td>
                    <td>{describeSpec(grid[n])}</td>
                    <td className="row">
                      <button type="button" className="small" onClick={() => setEditing(n)} data-testid={`grid-edit-${n}`}>
                        Edit
                      </button>
                      <button type="button" className="small danger" onClick={() => sweep.remove(n)} data-testid={`grid-remove-${n}`}>
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          </div>
        )}
        {editing && (
          <RangeEditor
            key={editing}
            title={`Sweep ${editing}`}
            name={editing}
            initial={grid[editing] ?? suggestRange(currentValue(editing, nodes, params) ?? 0)}
            onCancel={() => setEditing(null)}
            onApply={(n, s) => {
              sweep.setSpec(n, s);
              setEditing(null);
            }}
          />
        )}
        <div className="row small">
          <span className="muted">Sweep a cost:</span>
          {SWEEPABLE_PARAMS.filter((p) => !(`params.${p}` in grid)).map((p) => (
            <button type="button" key={p} className="small" onClick={() => setEditing(`params.${p}`)} data-testid={`sweep-param-${p}`}>
              + {p} (now {num(params[p])})
            </button>
          ))}
        </div>
        {names.length > 0 && (
          <p className="grid-size" data-testid="grid-size">
            <strong>{names.map((n) => formatCount(specCount(grid[n]))).join(" × ")}{names.length > 1 ? ` = ${formatCount(size)}` : ""}</strong>{" "}
            combination{size === 1 ? "" : "s"}
            <span className="muted" data-testid="grid-estimate">
              {" "}· {formatDuration(seconds)} at {formatCount(rate ?? DEFAULT_COMBOS_PER_S)} combinations/s
              {rate ? " (your last sweep’s speed)" : " (a first guess until a sweep has run)"}
            </span>
          </p>
        )}
        <p className="muted small" data-testid="sweep-data">
          On {params.symbols.join(", ")} · {params.start_date} → {params.end_date} · fees {num(params.fees)}, slippage {num(params.slippage)} (set in
          the <button type="button" className="link" onClick={() => goto("run")}>Run</button> tab). Combinations that cannot be valid (a fast
          average not shorter than a slow one) are skipped.
        </p>
      </section>

      <section className="card" aria-labelledby="sweep-settings-title">
        <h3 id="sweep-settings-title">Objective and validation</h3>
        <div className="row wrap">
          <label>
            Rank by
            <select value={settings.objective} onChange={(e) => setSettings({ ...settings, objective: e.target.value })} data-testid="sweep-objective">
              {SWEEP_OBJECTIVES.map((o) => (
                <option key={o} value={o}>
                  {objectiveLabel(o)}
                  {o === "volatility" ? " (lowest first)" : ""}
                </option>
              ))}
            </select>
          </label>
          {names.length >= 2 && (
            <>
              <label>
                Heatmap across
                <select
                  value={settings.heatmap?.[0] ?? names[0]}
                  onChange={(e) => setSettings({ ...settings, heatmap: [e.target.value, settings.heatmap?.[1] ?? names[1]] })}
                  data-testid="sweep-heatmap-x"
                >
                  {names.map((n) => (
                    <option key={n}>{n}</option>
                  ))}
                </select>
              </label>
              <label>
                and up
                <select
                  value={settings.heatmap?.[1] ?? names[1]}
                  onChange={(e) => setSettings({ ...settings, heatmap: [settings.heatmap?.[0] ?? names[0], e.target.value] })}
                  data-testid="sweep-heatmap-y"
                >
                  {names.map((n) => (
                    <option key={n}>{n}</option>
                  ))}
                </select>
              </label>
            </>
          )}
        </div>
        <div className="row wrap">
          <label className="inline">
            <input type="checkbox" checked={settings.walkForward} onChange={(e) => setSettings({ ...settings, walkForward: e.target.checked })} data-testid="sweep-wf" />
            Walk-forward validation
          </label>
          {settings.walkForward && (
            <>
              <label>
                Folds
                <input type="number" min={1} max={50} step={1} value={settings.folds} onChange={(e) => setSettings({ ...settings, folds: Math.round(Number(e.target.value)) })} data-testid="sweep-folds" />
              </label>
              <label>
                In-sample share
                <span className="with-unit">
                  <input
                    type="number"
                    min={1}
                    max={99}
                    step={1}
                    value={Math.round(settings.inSample * 100)}
                    onChange={(e) => setSettings({ ...settings, inSample: Number(e.target.value) / 100 })}
                    data-testid="sweep-in-sample"
                  />
                  <span aria-hidden="true">%</span>
                </span>
              </label>
            </>
          )}
        </div>
        <p className="muted small">
          Walk-forward: each fold picks the best combination on its in-sample window and scores it on the out-of-sample stretch that follows.
        </p>
        {problems.length > 0 && (
          <ul className="error small" data-testid="sweep-problems" aria-label="Fix these before sweeping">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        {error && (
          <p className="error" role="alert" data-testid="sweep-error">
            {error}
          </p>
        )}
        <button type="button" className="primary big" onClick={run} disabled={sweep.starting || running || problems.length > 0} data-testid="run-sweep">
          {sweep.starting ? "Starting…" : running ? "Sweeping…" : `Run sweep (${formatCount(size)} combinations)`}
        </button>
      </section>

      {execution && (
        <section ref={progressRef} className="card" aria-label="Sweep progress" data-testid="sweep-progress" data-execution={execution.id}>
          <div className="row spread">
            <h3>
              Sweep <code>{execution.id}</code>
            </h3>
            <span className={`status status-${state.status}`} data-testid="sweep-status">
              {state.status.replace("_", " ")}
            </span>
          </div>
          <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="Progress" data-testid="sweep-bar">
            <div className={`bar-fill${state.status === "failed" || state.status === "cancelled" ? " failed" : ""}`} style={{ width: `${pct}%` }} />
          </div>
          <p data-testid="sweep-counted">
            {counted ? (
              <>
                <strong>{formatCount(counted.done)}</strong> / {formatCount(counted.total)} combinations
              </>
            ) : (
              <span className="muted">{latest ? latest.message : "Queued…"}</span>
            )}
          </p>
          {suggestion && (
            <p className="small" data-testid="sweep-memory">
              From memory: an earlier sweep of a similar strategy
              {typeof suggestion.similarity === "number" ? ` (similarity ${suggestion.similarity.toFixed(2)})` : ""} picked{" "}
              <strong>{Object.entries(suggestion.values).map(([k, v]) => `${k} = ${num(v)}`).join(", ")}</strong>.
            </p>
          )}
          {state.ended && state.status === "failed" && (
            <p className="error" role="alert" data-testid="sweep-failed">
              {execution.error_message ?? "The sweep failed."}
            </p>
          )}
          {state.ended && state.status === "cancelled" && <p className="muted">The sweep was cancelled.</p>}
          {connError && <p className="error small">{connError}</p>}
          {running && (
            <button type="button" className="danger" onClick={cancel} data-testid="sweep-cancel">
              Cancel sweep
            </button>
          )}
        </section>
      )}
      {sweep.resultError && <p className="error">{sweep.resultError}</p>}
      {sweep.result && execution && sweep.result.execution_id === execution.id && (
        <SweepResults result={sweep.result} onRun={onRunCombination} />
      )}
    </div>
  );
}
