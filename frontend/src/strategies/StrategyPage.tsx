/**
 * One strategy: the builder, the run, the code, the results and the history, as tabs. It owns the
 * strategy being edited (name, nodes, saved-or-not), the parameters and the current execution.
 */
import { Suspense, lazy, useCallback, useEffect, useMemo, useState } from "react";
import { api } from "../api/endpoints";
import { errorText } from "../api/client";
import type { Execution, ExecutionParams, StrategyNode } from "../api/types";
import { TERMINAL } from "../api/types";
import { BuilderPanel } from "../builder/BuilderPanel";
import { schemaInfo } from "../builder/schemaInfo";
import { TEMPLATES } from "../builder/templates";
import { navigate, type Route } from "../router";
import { DEFAULT_PARAMS } from "../run/ParamsPanel";
import { RunPanel } from "../run/RunPanel";
import { HistoryPanel } from "../results/HistoryPanel";
import { useAsync } from "../useAsync";

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

/** What is sent to the server: blank rules dropped, empty structured lists left out. */
export function cleanNodes(nodes: StrategyNode[]): StrategyNode[] {
  return nodes.map((n) => {
    const meta = { ...n.meta };
    if (Array.isArray(meta.rules)) meta.rules = meta.rules.map((r) => r.trim()).filter(Boolean);
    if (Array.isArray(meta.conditions) && meta.conditions.length === 0) delete meta.conditions;
    return { ...n, meta };
  });
}

function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function StrategyPage({ route }: { route: Extract<Route, { page: "new" | "strategy" }> }) {
  const schema = useAsync(() => api.schema(), []);
  const info = useMemo(() => schemaInfo(schema.data), [schema.data]);

  const [strategyId, setStrategyId] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [nodes, setNodesState] = useState<StrategyNode[]>([]);
  const [saved, setSaved] = useState<string>("");
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [loadState, setLoadState] = useState<{ loading: boolean; error: string | null }>({ loading: false, error: null });
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>("build");
  const [params, setParams] = useState<ExecutionParams>(DEFAULT_PARAMS);
  const [execution, setExecution] = useState<Execution | null>(null);

  const snapshot = JSON.stringify({ name, nodes: cleanNodes(nodes) });
  const dirty = snapshot !== saved;

  // Load when the route names another strategy than the one on screen (not after our own save).
  const routeKey = route.page === "strategy" ? route.id : `new:${route.template}`;
  useEffect(() => {
    if (route.page === "strategy" && route.id === strategyId) return;
    setError(null);
    setExecution(null);
    setSelectedId(null);
    if (route.page === "new") {
      const t = TEMPLATES.find((x) => x.key === route.template);
      const n = t ? structuredClone(t.graph.nodes) : [];
      setStrategyId(null);
      setName(t ? t.name : "Untitled strategy");
      setNodesState(n);
      setSaved("");
      setTab("build");
      return;
    }
    let live = true;
    setLoadState({ loading: true, error: null });
    api.getStrategy(route.id).then(
      (s) => {
        if (!live) return;
        setStrategyId(s.id);
        setName(s.name);
        setNodesState(s.schema.nodes ?? []);
        setSaved(JSON.stringify({ name: s.name, nodes: cleanNodes(s.schema.nodes ?? []) }));
        setLoadState({ loading: false, error: null });
        setTab((route.tab as Tab) ?? "build");
      },
      (e: unknown) => live && setLoadState({ loading: false, error: errorText(e) }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [routeKey]);

  // The newest execution of a strategy is shown when the strategy opens.
  useEffect(() => {
    if (!strategyId || execution) return;
    api.history(strategyId).then((list) => list[0] && setExecution((cur) => cur ?? list[0]), () => undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [strategyId]);

  const setNodes = useCallback((n: StrategyNode[]) => setNodesState(n), []);

  const save = useCallback(async (): Promise<string | null> => {
    setBusy("save");
    setError(null);
    try {
      const graph = { nodes: cleanNodes(nodes) };
      const s = strategyId ? await api.updateStrategy(strategyId, name, graph) : await api.createStrategy(name, graph);
      setSaved(JSON.stringify({ name: s.name, nodes: cleanNodes(s.schema.nodes ?? graph.nodes) }));
      setNotice("Saved.");
      setTimeout(() => setNotice(null), 2500);
      if (!strategyId) {
        setStrategyId(s.id);
        navigate(`/s/${encodeURIComponent(s.id)}`);
      }
      return s.id;
    } catch (e) {
      setError(errorText(e));
      return null;
    } finally {
      setBusy(null);
    }
  }, [nodes, name, strategyId]);

  async function duplicate() {
    setBusy("duplicate");
    setError(null);
    try {
      const s = await api.createStrategy(`${name} (copy)`, { nodes: cleanNodes(nodes) });
      setStrategyId(null); // let the route change load the copy
      navigate(`/s/${encodeURIComponent(s.id)}`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  }

  async function remove() {
    if (!strategyId) return navigate("/");
    if (!window.confirm(`Delete strategy “${name}”?`)) return;
    setBusy("delete");
    try {
      await api.deleteStrategy(strategyId);
      navigate("/");
    } catch (e) {
      setError(errorText(e));
      setBusy(null);
    }
  }

  const execute = useCallback(
    async (code?: string) => {
      setError(null);
      const id = dirty || !strategyId ? await save() : strategyId;
      if (!id) return;
      setBusy("execute");
      try {
        const ex = await api.execute(id, params, code);
        setExecution(ex);
        setTab("run");
      } catch (e) {
        setError(errorText(e));
      } finally {
        setBusy(null);
      }
    },
    [dirty, strategyId, save, params],
  );

  const refreshExecution = useCallback(async (id: string) => {
    try {
      const ex = await api.execution(id);
      setExecution((cur) => (cur && cur.id === id ? ex : cur));
    } catch (e) {
      setError(errorText(e));
    }
  }, []);

  if (loadState.loading) return <main className="page"><Loading what="strategy" /></main>;
  if (loadState.error)
    return (
      <main className="page">
        <p className="error" role="alert">{loadState.error}</p>
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
          <input value={name} onChange={(e) => setName(e.target.value)} data-testid="strategy-name" aria-label="Strategy name" />
        </label>
        <span className="muted small" data-testid="save-state">
          {dirty ? (strategyId ? "Unsaved changes" : "Not saved yet") : "Saved"}
        </span>
        <div className="toolbar-actions">
          <button type="button" className="primary" onClick={save} disabled={busy !== null || (!dirty && !!strategyId)} data-testid="save">
            {busy === "save" ? "Saving…" : "Save"}
          </button>
          <button type="button" onClick={duplicate} disabled={busy !== null} data-testid="duplicate">
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
            nodes={nodes}
            setNodes={setNodes}
            selectedId={selectedId}
            setSelectedId={setSelectedId}
            info={info}
            schemaError={schema.error}
          />
        )}
        {tab === "run" && (
          <RunPanel
            params={params}
            setParams={setParams}
            execution={execution}
            onExecute={() => execute()}
            executing={busy === "execute" || busy === "save"}
            onEnded={refreshExecution}
            goto={(t) => setTab(t as Tab)}
          />
        )}
        <Suspense fallback={<Loading what="panel" />}>
          {tab === "code" && <CodePanel execution={execution} onRunCode={(code) => execute(code)} running={busy !== null} />}
          {tab === "results" && <ResultsPanel execution={execution} params={params} />}
        </Suspense>
        {tab === "history" && (
          <HistoryPanel
            strategyId={strategyId}
            currentId={execution?.id ?? null}
            onOpen={(ex, t) => {
              setExecution(ex);
              setTab(t as Tab);
            }}
          />
        )}
      </div>
    </main>
  );
}
