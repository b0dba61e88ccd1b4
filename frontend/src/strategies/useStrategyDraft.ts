/**
 * The strategy being edited: its id (null until first saved), name and nodes, and whether they differ
 * from what the server holds. Loads when the route names another strategy than the one on screen (not
 * after our own save, which changes the route too), and saves, duplicates or deletes it.
 *
 * Example: open `#/new/original` -> nodes of the template, `dirty` true ("Not saved yet"); `save()` creates
 * it, moves the route to `#/s/<id>` without reloading, and `dirty` turns false.
 */
import { useCallback, useEffect, useState } from "react";
import { api } from "../api/endpoints";
import { errorText } from "../api/client";
import type { Strategy, StrategyIssue, StrategyNode } from "../api/types";
import { TEMPLATES } from "../builder/templates";
import { navigate, type Route } from "../router";

export type DraftRoute = Extract<Route, { page: "new" | "strategy" }>;

/** What is sent to the server: blank rules dropped, empty structured lists left out. */
export function cleanNodes(nodes: StrategyNode[]): StrategyNode[] {
  return nodes.map((n) => {
    const meta = { ...n.meta };
    if (Array.isArray(meta.rules)) meta.rules = meta.rules.map((r) => r.trim()).filter(Boolean);
    if (Array.isArray(meta.conditions) && meta.conditions.length === 0) delete meta.conditions;
    return { ...n, meta };
  });
}

const snapshotOf = (name: string, nodes: StrategyNode[]) => JSON.stringify({ name, nodes: cleanNodes(nodes) });

export type StrategyDraft = {
  strategyId: string | null;
  name: string;
  setName: (name: string) => void;
  nodes: StrategyNode[];
  setNodes: (nodes: StrategyNode[]) => void;
  dirty: boolean;
  /** The server's issues of the graph as last saved or loaded (unreadable rules, unfinished nodes...). */
  issues: StrategyIssue[];
  loading: boolean;
  loadError: string | null;
  /** The route's tab when a saved strategy was loaded (null for a new one). */
  loadedTab: string | null;
  /** Counts the strategies put on screen (a template, a loaded one), not our own saves. */
  generation: number;
  /** Create or update (with `nodes` in place of the ones on screen, which it then puts on screen); resolves to the id, or throws the server's refusal. */
  save: (nodes?: StrategyNode[]) => Promise<string>;
  duplicate: () => Promise<void>;
  remove: () => Promise<void>;
};

export function useStrategyDraft(route: DraftRoute): StrategyDraft {
  const [strategyId, setStrategyId] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [nodes, setNodesState] = useState<StrategyNode[]>([]);
  const [saved, setSaved] = useState("");
  const [issues, setIssues] = useState<StrategyIssue[]>([]);
  const [load, setLoad] = useState<{ loading: boolean; error: string | null; tab: string | null }>({
    loading: false,
    error: null,
    tab: null,
  });
  const [generation, setGeneration] = useState(0);

  const routeKey = route.page === "strategy" ? route.id : `new:${route.template}`;
  useEffect(() => {
    if (route.page === "strategy" && route.id === strategyId) return;
    if (route.page === "new") {
      const t = TEMPLATES.find((x) => x.key === route.template);
      setStrategyId(null);
      setName(t ? t.name : "Untitled strategy");
      setNodesState(t ? structuredClone(t.graph.nodes) : []);
      // A template is work worth keeping (leaving it asks); an untouched blank canvas is not.
      setSaved(t ? "" : snapshotOf("Untitled strategy", []));
      setIssues([]);
      setLoad({ loading: false, error: null, tab: null });
      setGeneration((g) => g + 1);
      return;
    }
    let live = true;
    setLoad({ loading: true, error: null, tab: null });
    api.getStrategy(route.id).then(
      (s: Strategy) => {
        if (!live) return;
        setStrategyId(s.id);
        setName(s.name);
        setNodesState(s.schema.nodes ?? []);
        setSaved(snapshotOf(s.name, s.schema.nodes ?? []));
        setIssues(s.issues ?? []);
        setLoad({ loading: false, error: null, tab: route.tab });
        setGeneration((g) => g + 1);
      },
      (e: unknown) => live && setLoad({ loading: false, error: errorText(e), tab: null }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [routeKey]);

  const setNodes = useCallback((n: StrategyNode[]) => setNodesState(n), []);

  const save = useCallback(async (override?: StrategyNode[]): Promise<string> => {
    if (override) setNodesState(override);
    const graph = { nodes: cleanNodes(override ?? nodes) };
    const s = strategyId ? await api.updateStrategy(strategyId, name, graph) : await api.createStrategy(name, graph);
    setSaved(snapshotOf(s.name, s.schema.nodes ?? graph.nodes));
    setIssues(s.issues ?? []);
    if (!strategyId) {
      setStrategyId(s.id);
      navigate(`/s/${encodeURIComponent(s.id)}`, { force: true });
    }
    return s.id;
  }, [nodes, name, strategyId]);

  const duplicate = useCallback(async () => {
    const s = await api.createStrategy(`${name} (copy)`, { nodes: cleanNodes(nodes) });
    setStrategyId(null); // let the route change load the copy
    navigate(`/s/${encodeURIComponent(s.id)}`, { force: true });
  }, [name, nodes]);

  const remove = useCallback(async () => {
    if (strategyId) await api.deleteStrategy(strategyId);
    setSaved(snapshotOf(name, nodes)); // nothing left to lose
    navigate("/", { force: true });
  }, [strategyId, name, nodes]);

  return {
    strategyId,
    name,
    setName,
    nodes,
    setNodes,
    dirty: snapshotOf(name, nodes) !== saved,
    issues,
    loading: load.loading,
    loadError: load.error,
    loadedTab: load.tab,
    generation,
    save,
    duplicate,
    remove,
  };
}
