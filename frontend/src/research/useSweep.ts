/**
 * The sweep of a strategy's page: the grid being edited (kept per strategy in localStorage, so a reload or
 * another tab of the page keeps it), the sweep's settings, the sweep on screen and, once it completed, its
 * result, and the combinations-per-second figure the estimate uses.
 *
 * The grid is shared with the builder through `SweepGridContext`: a rule's number or a node's field made a
 * range there shows up here, and the other way round.
 */
import { createContext, useCallback, useContext, useEffect, useRef, useState } from "react";
import { api } from "../api/endpoints";
import { TERMINAL, type Execution, type ExecutionParams, type SweepPublic, type SweepRequest } from "../api/types";
import type { Grid, GridSpec } from "./grid";

export type SweepSettings = {
  objective: string;
  walkForward: boolean;
  folds: number;
  /** The in-sample share of each walk-forward window, 0..1. */
  inSample: number;
  /** The heatmap's axes (x, y); null: the first two of the grid. */
  heatmap: [string, string] | null;
};

export const DEFAULT_SETTINGS: SweepSettings = { objective: "sharpe_ratio", walkForward: true, folds: 5, inSample: 0.7, heatmap: null };

export type SweepGridApi = {
  grid: Grid;
  setSpec: (name: string, spec: GridSpec) => void;
  remove: (name: string) => void;
};

/** The grid plus the named parameters of every rule of the strategy (a new name must not clash with them). */
export type SweepGridContextValue = SweepGridApi & { ruleParams: Map<string, number> };

/** The grid, for the builder's number and field buttons; null where no page provides one (tests, other pages). */
export const SweepGridContext = createContext<SweepGridContextValue | null>(null);
export const useSweepGrid = () => useContext(SweepGridContext);

const storageKey = (strategyId: string) => `stratcrew.sweep.${strategyId}`;

function loadStored(strategyId: string | null): { grid: Grid; settings: SweepSettings } | null {
  if (!strategyId) return null;
  try {
    const raw = localStorage.getItem(storageKey(strategyId));
    if (!raw) return null;
    const parsed = JSON.parse(raw) as { grid?: Grid; settings?: Partial<SweepSettings> };
    return { grid: parsed.grid ?? {}, settings: { ...DEFAULT_SETTINGS, ...parsed.settings } };
  } catch {
    return null;
  }
}

export function sweepRequest(grid: Grid, settings: SweepSettings, params: ExecutionParams): SweepRequest {
  const names = Object.keys(grid);
  const axes = settings.heatmap && settings.heatmap.every((n) => names.includes(n)) && settings.heatmap[0] !== settings.heatmap[1] ? settings.heatmap : null;
  return {
    params,
    grid,
    objective: settings.objective,
    validation: settings.walkForward ? { method: "walk_forward", folds: settings.folds, in_sample: settings.inSample } : null,
    ...(axes ? { heatmap: [...axes] } : {}),
  };
}

export type SweepState = SweepGridApi & {
  settings: SweepSettings;
  setSettings: (s: SweepSettings) => void;
  execution: Execution | null;
  result: SweepPublic | null;
  resultError: string | null;
  /** The last completed sweep's measured speed (this strategy's, else any of the user's), null when none. */
  combosPerS: number | null;
  starting: boolean;
  start: (strategyId: string, params: ExecutionParams) => Promise<Execution>;
  /** Re-read the sweep on screen (its final status), and its result once completed. */
  refresh: (id: string) => Promise<void>;
  open: (id: string) => Promise<void>;
};

export function useSweep(strategyId: string | null, routeSweep: string | null = null): SweepState {
  const [grid, setGrid] = useState<Grid>({});
  const [settings, setSettingsState] = useState<SweepSettings>(DEFAULT_SETTINGS);
  const [execution, setExecution] = useState<Execution | null>(null);
  const [result, setResult] = useState<SweepPublic | null>(null);
  const [resultError, setResultError] = useState<string | null>(null);
  const [combosPerS, setCombosPerS] = useState<number | null>(null);
  const [starting, setStarting] = useState(false);

  // Another strategy: its own grid and sweeps. A new strategy getting its first id keeps what it has.
  const shownFor = useRef<string | null>(null);
  useEffect(() => {
    const previous = shownFor.current;
    shownFor.current = strategyId;
    if (previous !== null && previous !== strategyId) {
      setExecution(null);
      setResult(null);
    }
    const stored = loadStored(strategyId);
    if (stored) {
      setGrid(stored.grid);
      setSettingsState(stored.settings);
    } else if (previous !== null) {
      setGrid({});
      setSettingsState(DEFAULT_SETTINGS);
    }
  }, [strategyId]);

  // Keep the grid and settings of a saved strategy.
  useEffect(() => {
    if (!strategyId) return;
    try {
      localStorage.setItem(storageKey(strategyId), JSON.stringify({ grid, settings }));
    } catch {
      /* storage full or disabled: the grid lives on in memory */
    }
  }, [strategyId, grid, settings]);

  const loadResult = useCallback(async (ex: Execution) => {
    setResultError(null);
    if (ex.status !== "completed") {
      setResult(null);
      return;
    }
    try {
      const r = await api.sweepResult(ex.id);
      setResult(r);
      if (r.combos_per_s) setCombosPerS(r.combos_per_s);
    } catch (e) {
      setResult(null);
      setResultError(e instanceof Error ? e.message : String(e));
    }
  }, []);

  const open = useCallback(
    async (id: string) => {
      const ex = await api.execution(id);
      setExecution(ex);
      await loadResult(ex);
    },
    [loadResult],
  );

  // The strategy's newest sweep on screen (or the one the route names); the speed of the last completed one.
  useEffect(() => {
    if (!strategyId) return;
    let live = true;
    (async () => {
      const mine = routeSweep ? null : await api.runs({ strategyId, kind: "sweep", limit: 1 }).catch(() => null);
      const id = routeSweep ?? mine?.items[0]?.id;
      if (id && live) await open(id).catch(() => undefined);
      if (!live) return;
      const done = await api.runs({ kind: "sweep", statuses: ["completed"], limit: 1 }).catch(() => null);
      const last = done?.items[0];
      if (!live || !last) return;
      const r = await api.sweepResult(last.id).catch(() => null);
      if (live && r?.combos_per_s) setCombosPerS((cur) => cur ?? r.combos_per_s);
    })();
    return () => {
      live = false;
    };
  }, [strategyId, routeSweep, open]);

  const setSpec = useCallback((name: string, spec: GridSpec) => setGrid((g) => ({ ...g, [name]: spec })), []);
  const remove = useCallback(
    (name: string) =>
      setGrid((g) => {
        const next = { ...g };
        delete next[name];
        return next;
      }),
    [],
  );
  const setSettings = useCallback((s: SweepSettings) => setSettingsState(s), []);

  const start = useCallback(
    async (id: string, params: ExecutionParams) => {
      setStarting(true);
      try {
        const ex = await api.sweep(id, sweepRequest(grid, settings, params));
        setExecution(ex);
        setResult(null);
        setResultError(null);
        return ex;
      } finally {
        setStarting(false);
      }
    },
    [grid, settings],
  );

  const refresh = useCallback(
    async (id: string) => {
      const ex = await api.execution(id);
      setExecution((cur) => (cur && cur.id === id ? ex : cur));
      await loadResult(ex);
    },
    [loadResult],
  );

  // While a sweep runs, follow its stored status even when the Sweep tab is closed (the tab's dot, the
  // result ready on return); the tab's own WebSocket gives the live progress.
  const runningId = execution && !TERMINAL.includes(execution.status) ? execution.id : null;
  useEffect(() => {
    if (!runningId) return;
    const timer = setInterval(() => void refresh(runningId).catch(() => undefined), 3000);
    return () => clearInterval(timer);
  }, [runningId, refresh]);

  return { grid, setSpec, remove, settings, setSettings, execution, result, resultError, combosPerS, starting, start, refresh, open };
}
