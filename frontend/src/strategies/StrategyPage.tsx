/**
 * One strategy: the builder, the run, the code, the results and the runs, as tabs. The strategy being
 * edited lives in `useStrategyDraft`, the run on screen and the next run's parameters in `useExecution`,
 * what stops a run in the node issues (`builder/validate`, `useRuleIssues`, the server's), and unsaved
 * work in `useLeaveGuard`; this component lays them out and turns their failures into the page's banner.
 *
 * Other panels plug in as another entry of `TABS` and one line in the tab panel. The Sweep tab's grid lives in
 * `useSweep` and reaches the builder through `SweepGridContext` (a rule's number or a node's field made a
 * range there); a sweep's row runs as a normal backtest of the strategy with those values as its defaults.
 */
import { Suspense, lazy, useCallback, useEffect, useMemo, useState } from "react";
import { api } from "../api/endpoints";
import { ApiError, errorText } from "../api/client";
import { TERMINAL, type RunSummary } from "../api/types";
import { BuilderPanel } from "../builder/BuilderPanel";
import { useRuleIssues } from "../builder/ruleChecks";
import { schemaInfo } from "../builder/schemaInfo";
import { blockers, byNode, fromServer, nodeProblems, type NodeIssue } from "../builder/validate";
import { strategyPath } from "../router";
import { RunPanel } from "../run/RunPanel";
import { completeParams } from "../run/ParamsPanel";
import { applyValues, ruleParams } from "../research/grid";
import { SweepGridContext, useSweep } from "../research/useSweep";
import { RunTable, type OpenTab } from "../runs/RunTable";
import { useAsync } from "../useAsync";
import { useExecution } from "./useExecution";
import { useLeaveGuard } from "./useLeaveGuard";
import { useStrategyDraft, type DraftRoute } from "./useStrategyDraft";

const CodePanel = lazy(() => import("../code/CodePanel"));
const ResultsPanel = lazy(() => import("../results/ResultsPanel"));
const SweepPanel = lazy(() => import("../research/SweepPanel"));

const TABS = [
  { key: "build", label: "Build" },
  { key: "run", label: "Run" },
  { key: "code", label: "Code" },
  { key: "results", label: "Results" },
  { key: "history", label: "Runs" },
  { key: "sweep", label: "Sweep" },
] as const;
type Tab = (typeof TABS)[number]["key"];
const isTab = (t: string | null): t is Tab => TABS.some((x) => x.key === t);

function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function StrategyPage({ route }: { route: DraftRoute }) {
  const schema = useAsync(() => api.schema(), []);
  const info = useMemo(() => schemaInfo(schema.data), [schema.data]);
  const draft = useStrategyDraft(route);
  const routeRun = route.page === "strategy" ? route.run : null;
  const routeTabName = route.page === "strategy" ? route.tab : null;
  const run = useExecution(draft.strategyId, routeTabName === "sweep" ? null : routeRun);
  const { execution } = run;
  const sweep = useSweep(draft.strategyId, routeTabName === "sweep" ? routeRun : null);
  const gridContext = useMemo(
    () => ({ grid: sweep.grid, setSpec: sweep.setSpec, remove: sweep.remove, ruleParams: ruleParams(draft.nodes) }),
    [sweep.grid, sweep.setSpec, sweep.remove, draft.nodes],
  );

  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [busy, setBusy] = useState<"save" | "duplicate" | "delete" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<NodeIssue | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>("build");

  // A newly loaded strategy opens on the route's tab (or Build), with nothing selected and no old error.
  useEffect(() => {
    setError(null);
    setRefusal(null);
    setSelectedId(null);
    setTab(isTab(draft.loadedTab) ? draft.loadedTab : "build");
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draft.generation]);
  // The route names a tab (a run opened from the run list): follow it.
  const routeTab = route.page === "strategy" ? route.tab : null;
  useEffect(() => {
    if (isTab(routeTab)) setTab(routeTab);
  }, [routeTab, routeRun]);

  const { dirty, strategyId } = draft;
  // What stops a run, on the nodes: the numbers and gaps checked here, the rules the server cannot read,
  // the server's own issues of the saved graph (when it is what is on screen) and a refused save.
  const ruleIssues = useRuleIssues(draft.nodes);
  useEffect(() => setRefusal(null), [draft.nodes]);
  const issues = useMemo(
    () => [
      ...nodeProblems(draft.nodes),
      ...ruleIssues,
      ...(dirty ? [] : fromServer(draft.issues)),
      ...(refusal ? [refusal] : []),
    ],
    [draft.nodes, ruleIssues, dirty, draft.issues, refusal],
  );
  const issueMap = useMemo(() => byNode(issues), [issues]);
  const runBlockers = useMemo(() => blockers(issues), [issues]);

  const attempt = useCallback(async <T,>(what: typeof busy, fn: () => Promise<T>): Promise<T | null> => {
    setBusy(what);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(errorText(e));
      if (e instanceof ApiError && typeof e.body.node_id === "string" && e.body.node_id)
        setRefusal({ nodeId: e.body.node_id, message: e.detail, blocking: true });
      return null;
    } finally {
      setBusy(null);
    }
  }, []);

  const save = useCallback(async (): Promise<string | null> => {
    const id = await attempt("save", draft.save);
    if (id) {
      setNotice("Saved.");
      setTimeout(() => setNotice(null), 2500);
    }
    return id;
  }, [attempt, draft.save]);
  const guard = useLeaveGuard(dirty, strategyId, save);

  async function remove() {
    if (strategyId && !window.confirm(`Delete strategy “${draft.name}” and all its runs?`)) return;
    await attempt("delete", draft.remove);
  }

  const execute = useCallback(
    async (code?: string) => {
      setError(null);
      if (code === undefined && runBlockers.length) {
        setError(`Fix the strategy before running it: ${runBlockers[0]}`);
        return;
      }
      const id = dirty || !strategyId ? await save() : strategyId;
      if (!id) return;
      try {
        await run.start(id, code);
        setTab("run");
      } catch (e) {
        setError(errorText(e));
      }
    },
    [dirty, strategyId, save, run, runBlockers],
  );

  // A sweep runs the strategy as saved: save first, like a run.
  const startSweep = useCallback(async () => {
    if (runBlockers.length) throw new Error(`Fix the strategy before sweeping it: ${runBlockers[0]}`);
    const id = dirty || !strategyId ? await save() : strategyId;
    if (!id) return null;
    return (await sweep.start(id, run.params)).id;
  }, [dirty, strategyId, save, sweep, run.params, runBlockers]);

  // One combination as a normal execution: its values become the strategy's defaults (rule parameters keep
  // their names, so it stays sweepable) and the sweep's own parameters run it, so its metrics are the row's.
  const runCombination = useCallback(
    async (values: Record<string, number>) => {
      const base = sweep.execution ? completeParams(sweep.execution.params as Partial<typeof run.params>) : run.params;
      const next = applyValues(draft.nodes, base, values);
      const id = await draft.save(next.nodes);
      await run.start(id, undefined, next.params);
      setTab("run");
    },
    [sweep.execution, run, draft],
  );

  const refreshExecution = useCallback(
    (id: string) => run.refresh(id).catch((e: unknown) => setError(errorText(e))),
    [run],
  );

  const openRun = useCallback(
    async (summary: RunSummary, t: OpenTab) => {
      try {
        if (summary.kind === "sweep") {
          await sweep.open(summary.id);
          setTab("sweep");
          if (strategyId) history.replaceState(history.state, "", `#${strategyPath(strategyId, "sweep", summary.id)}`);
          return;
        }
        run.open(await api.execution(summary.id));
        setTab(t);
        if (strategyId) history.replaceState(history.state, "", `#${strategyPath(strategyId, t, summary.id)}`);
      } catch (e) {
        setError(errorText(e));
      }
    },
    [run, sweep, strategyId],
  );

  if (draft.loading) return <main className="page"><Loading what="strategy" /></main>;
  if (draft.loadError)
    return (
      <main className="page">
        <p className="error" role="alert">{draft.loadError}</p>
        <a href="#/">Back to strategies</a>
      </main>
    );

  const finished = execution && TERMINAL.includes(execution.status);
  const results = run.resultsExecution;
  const resultsNote =
    results && execution && results.id !== execution.id && execution.status !== "completed"
      ? `The newest run (${execution.id}) ${execution.status === "failed" ? `failed: ${execution.error_message ?? "no reason given"}` : `is ${execution.status.replace("_", " ")}`}. Showing the last completed run.`
      : null;
  return (
    <main className="page strategy-page" data-testid="strategy-page">
      <div className="toolbar">
        <a href="#/" className="back" aria-label="Back to strategies">←</a>
        <label className="name-field">
          <span className="sr-only">Strategy name</span>
          <input value={draft.name} onChange={(e) => draft.setName(e.target.value)} data-testid="strategy-name" aria-label="Strategy name" />
        </label>
        <span className={`small ${dirty ? "unsaved" : "muted"}`} data-testid="save-state">
          {dirty ? (strategyId ? "Unsaved changes" : "Not saved yet") : "Saved"}
        </span>
        <div className="toolbar-actions">
          <button type="button" className="primary" onClick={save} disabled={busy !== null || (!dirty && !!strategyId)} data-testid="save">
            {busy === "save" ? "Saving…" : "Save"}
          </button>
          <button type="button" onClick={() => attempt("duplicate", draft.duplicate)} disabled={busy !== null} data-testid="duplicate">
            Duplicate
          </button>
          <button type="button" className="danger" onClick={remove} disabled={busy !== null} data-testid="delete-strategy">
            Delete
          </button>
        </div>
      </div>
      {error && (
        <div className="error banner row spread" role="alert">
          <span data-testid="page-error">{error}</span>
          <button type="button" className="icon" onClick={() => setError(null)} aria-label="Dismiss the error">
            ×
          </button>
        </div>
      )}
      {notice && <p className="notice banner" role="status">{notice}</p>}
      <div className="tabs" role="tablist" aria-label="Strategy sections">
        {TABS.map((t) => (
          <button
            type="button"
            role="tab"
            key={t.key}
            id={`tab-${t.key}`}
            aria-selected={tab === t.key}
            aria-controls={`panel-${t.key}`}
            className={tab === t.key ? "tab active" : "tab"}
            onClick={() => setTab(t.key)}
            data-testid={`tab-${t.key}`}
          >
            {t.label}
            {t.key === "run" && execution && !finished && <span className="dot" aria-label="running" />}
            {t.key === "sweep" && sweep.execution && !TERMINAL.includes(sweep.execution.status) && <span className="dot" aria-label="running" />}
            {t.key === "build" && runBlockers.length > 0 && <span className="issue-dot" aria-label={`${runBlockers.length} problem(s)`} />}
          </button>
        ))}
      </div>
      <SweepGridContext.Provider value={gridContext}>
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabpanel">
          {tab === "build" && (
            <BuilderPanel
              nodes={draft.nodes}
              setNodes={draft.setNodes}
              selectedId={selectedId}
              setSelectedId={setSelectedId}
              info={info}
              schemaError={schema.error}
              issues={issueMap}
            />
          )}
          {tab === "run" && (
            <RunPanel
              params={run.params}
              setParams={run.setParams}
              execution={execution}
              onExecute={() => execute()}
              executing={run.starting || busy === "save"}
              onEnded={refreshExecution}
              goto={(t) => setTab(t as Tab)}
              blockers={runBlockers}
            />
          )}
          <Suspense fallback={<Loading what="panel" />}>
            {tab === "code" && <CodePanel execution={execution} onRunCode={(code) => execute(code)} running={busy !== null || run.starting} />}
            {tab === "results" && <ResultsPanel execution={results} note={resultsNote} />}
            {tab === "sweep" && (
              <SweepPanel
                sweep={sweep}
                nodes={draft.nodes}
                params={run.params}
                blockers={runBlockers}
                onRun={startSweep}
                onRunCombination={runCombination}
                goto={(t) => setTab(t as Tab)}
              />
            )}
          </Suspense>
          {tab === "history" &&
            (strategyId ? (
              <RunTable strategyId={strategyId} currentId={execution?.id ?? null} onOpen={openRun} refreshKey={`${execution?.id}:${execution?.status}`} />
            ) : (
              <p className="muted card">Save the strategy to keep a history of its runs.</p>
            ))}
        </div>
      </SweepGridContext.Provider>
      {guard.pending && (
        <div className="modal-backdrop">
          <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="leave-title" data-testid="leave-dialog">
            <h3 id="leave-title">Unsaved changes</h3>
            <p>
              “{draft.name}” has changes that are not saved{strategyId ? "" : " (it has never been saved)"}. Save them before leaving?
            </p>
            <div className="row dialog-actions">
              <button type="button" onClick={guard.stay} data-testid="leave-stay">
                Stay here
              </button>
              <button type="button" className="danger" onClick={guard.leave} data-testid="leave-discard">
                Leave without saving
              </button>
              <button type="button" className="primary" onClick={() => void guard.saveAndLeave()} data-testid="leave-save">
                Save and leave
              </button>
            </div>
          </div>
        </div>
      )}
    </main>
  );
}

