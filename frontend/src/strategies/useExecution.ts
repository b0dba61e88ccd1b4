/**
 * The execution shown on a strategy's page and the parameters of the next one: starts runs (with the
 * generated code or edited code), follows the stored status once a stream has ended, and opens any past
 * run. When a strategy opens, its newest run is shown.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../api/endpoints";
import type { Execution, ExecutionParams } from "../api/types";
import { DEFAULT_PARAMS } from "../run/ParamsPanel";

export type ExecutionState = {
  execution: Execution | null;
  params: ExecutionParams;
  setParams: (p: ExecutionParams) => void;
  starting: boolean;
  /** Queue a run of a saved strategy; throws the server's refusal. */
  start: (strategyId: string, code?: string) => Promise<Execution>;
  /** Re-read the stored execution (its final status, error message and code). */
  refresh: (id: string) => Promise<void>;
  open: (execution: Execution | null) => void;
};

export function useExecution(strategyId: string | null): ExecutionState {
  const [execution, setExecution] = useState<Execution | null>(null);
  const [params, setParams] = useState<ExecutionParams>(DEFAULT_PARAMS);
  const [starting, setStarting] = useState(false);

  // Another strategy: forget the run on screen. A new strategy getting its first id (its first save, maybe
  // on the way to its first run) keeps it.
  const shownFor = useRef<string | null>(null);
  useEffect(() => {
    if (shownFor.current !== null && shownFor.current !== strategyId) setExecution(null);
    shownFor.current = strategyId;
    if (!strategyId) return;
    let live = true;
    api.history(strategyId).then(
      (list) => live && list[0] && setExecution((cur) => cur ?? list[0]),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [strategyId]);

  const start = useCallback(
    async (id: string, code?: string) => {
      setStarting(true);
      try {
        const ex = await api.execute(id, params, code);
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
  }, []);

  return { execution, params, setParams, starting, start, refresh, open: setExecution };
}
