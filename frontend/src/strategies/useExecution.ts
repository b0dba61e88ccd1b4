/**
 * The run on a strategy's page and the parameters of the next one: starts runs (with the generated code or
 * edited code), follows the stored status once a stream has ended, and opens any past run.
 *
 * When a strategy opens, its newest run is on screen, and the Results tab shows the newest *completed*
 * one: a strategy whose last run failed still shows its last results (with a note about the failure),
 * not only the failure. A route naming a run (`#/s/<id>/results/<execution id>`) opens that run instead.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/endpoints";
import type { Execution, ExecutionParams } from "../api/types";
import { DEFAULT_PARAMS, completeParams } from "../run/ParamsPanel";

export type ExecutionState = {
  execution: Execution | null;
  /** The run the Results tab shows: the one on screen when it completed, else the newest completed one. */
  resultsExecution: Execution | null;
  params: ExecutionParams;
  setParams: (p: ExecutionParams) => void;
  starting: boolean;
  /** Queue a run of a saved strategy (with `override` as its parameters, which become the next run's); throws the server's refusal. */
  start: (strategyId: string, code?: string, override?: ExecutionParams) => Promise<Execution>;
  /** Re-read the stored execution (its final status, error message and code). */
  refresh: (id: string) => Promise<void>;
  /** Put a past run on screen (its parameters become the next run's). */
  open: (execution: Execution) => void;
};

export function useExecution(strategyId: string | null, routeRun: string | null = null): ExecutionState {
  const [execution, setExecution] = useState<Execution | null>(null);
  const [latestCompleted, setLatestCompleted] = useState<Execution | null>(null);
  const [params, setParams] = useState<ExecutionParams>(DEFAULT_PARAMS);
  const [starting, setStarting] = useState(false);

  const open = useCallback((ex: Execution) => {
    setExecution(ex);
    if (ex.status === "completed") setLatestCompleted(ex);
    setParams(completeParams(ex.params));
  }, []);

  // Another strategy: forget the run on screen. A new strategy getting its first id (its first save, maybe
  // on the way to its first run) keeps it.
  const shownFor = useRef<string | null>(null);
  useEffect(() => {
    if (shownFor.current !== null && shownFor.current !== strategyId) {
      setExecution(null);
      setLatestCompleted(null);
    }
    shownFor.current = strategyId;
    if (!strategyId) return;
    let live = true;
    if (routeRun) {
      api.execution(routeRun).then((ex) => live && open(ex), () => undefined);
    } else {
      // Sweeps have their own tab: the Run and Results tabs show backtests.
      api.runs({ strategyId, kind: "backtest", limit: 20 }).then(async (page) => {
        const [newest] = page.items;
        if (!live || !newest) return;
        const done = page.items.find((r) => r.status === "completed");
        const shown = await api.execution(newest.id);
        if (!live) return;
        setExecution((cur) => cur ?? shown);
        if (done) {
          const completed = done.id === shown.id ? shown : await api.execution(done.id);
          if (live) setLatestCompleted((cur) => cur ?? completed);
        }
      }, () => undefined);
    }
    return () => {
      live = false;
    };
  }, [strategyId, routeRun, open]);

  const start = useCallback(
    async (id: string, code?: string, override?: ExecutionParams) => {
      setStarting(true);
      if (override) setParams(override);
      try {
        const ex = await api.execute(id, override ?? params, code);
        setExecution(ex);
        return ex;
      } finally {
        setStarting(false);
      }
    },
    [params],
  );

  const refresh = useCallback(async (id: string) => {
    const ex = await api.execution(id);
    setExecution((cur) => (cur && cur.id === id ? ex : cur));
    if (ex.status === "completed") setLatestCompleted(ex);
  }, []);

  const resultsExecution = execution?.status === "completed" ? execution : (latestCompleted ?? execution);
  return { execution, resultsExecution, params, setParams, starting, start, refresh, open };
}
