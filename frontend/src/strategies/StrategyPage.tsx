/**
 * One strategy: the builder, the run, the code, the results and the history, as tabs. The strategy being
 * edited lives in `useStrategyDraft`, the run on screen and the next run's parameters in `useExecution`;
 * this component only lays them out and turns their failures into the page's error banner.
 */
import { Suspense, lazy, useCallback, useEffect, useMemo, useState } from "react";
import { api } from "../api/endpoints";
import { errorText } from "../api/client";
import { TERMINAL } from "../api/types";
import { BuilderPanel } from "../builder/BuilderPanel";
import { schemaInfo } from "../builder/schemaInfo";
import { RunPanel } from "../run/RunPanel";
import { HistoryPanel } from "../results/HistoryPanel";
import { useAsync } from "../useAsync";
import { useExecution } from "./useExecution";
import { useStrategyDraft, type DraftRoute } from "./useStrategyDraft";

const CodePanel = lazy(() => import("../code/CodePanel"));
const ResultsPanel = lazy(() => import("../results/ResultsPanel"));

const TABS = [
  { key: "build", label: "Build" },
  { key: "run", label: "Run" },
  { key: "code", label: "Code" },
  { key: "results", label: "Results" },
  { key: "history", label: "History" },
] as const;
type Tab = (typeof TABS)[number]["key"];

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
  const run = useExecution(draft.strategyId);
  const { execution } = run;

  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [busy, setBusy] = useState<"save" | "duplicate" | "delete" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>("build");

  // A newly loaded strategy opens on the route's tab (or Build), with nothing selected and no old error.
  useEffect(() => {
    setError(null);
    setSelectedId(null);
    setTab((draft.loadedTab as Tab | null) ?? "build");
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draft.generation]);

  const { dirty, strategyId } = draft;
  const attempt = useCallback(async <T,>(what: typeof busy, fn: () => Promise<T>): Promise<T | null> => {
    setBusy(what);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(errorText(e));
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

  async function remove() {
    if (strategyId && !window.confirm(`Delete strategy “${draft.name}”?`)) return;
    await attempt("delete", draft.remove);
  }

  const execute = useCallback(
    async (code?: string) => {
      setError(null);
      const id = dirty || !strategyId ? await save() : strategyId;
      if (!id) return;
      try {
        await run.start(id, code);
        setTab("run");
      } catch (e) {
        setError(errorText(e));
      }
    },
    [dirty, strategyId, save, run],
  );

  const refreshExecution = useCallback(
    (id: string) => run.refresh(id).catch((e: unknown) => setError(errorText(e))),
    [run],
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
  return (
    <main className="page strategy-page" data-testid="strategy-page">
      <div className="toolbar">
        <a href="#/" className="back" aria-label="Back to strategies">←</a>
        <label className="name-field">
          <span className="sr-only">Strategy name</span>
          <input value={draft.name} onChange={(e) => draft.setName(e.target.value)} data-testid="strategy-name" aria-label="Strategy name" />
        </label>
        <span className="muted small" data-testid="save-state">
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
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabpanel">
        {tab === "build" && (
          <BuilderPanel
            nodes={draft.nodes}
            setNodes={draft.setNodes}
            selectedId={selectedId}
            setSelectedId={setSelectedId}
            info={info}
            schemaError={schema.error}
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
          />
        )}
        <Suspense fallback={<Loading what="panel" />}>
          {tab === "code" && <CodePanel execution={execution} onRunCode={(code) => execute(code)} running={busy !== null || run.starting} />}
          {tab === "results" && <ResultsPanel execution={execution} params={run.params} />}
        </Suspense>
        {tab === "history" && (
          <HistoryPanel
            strategyId={strategyId}
            currentId={execution?.id ?? null}
            onOpen={(ex, t) => {
              run.open(ex);
              setTab(t as Tab);
            }}
          />
        )}
      </div>
    </main>
  );
}
