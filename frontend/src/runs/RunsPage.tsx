/** Every run of the user, across strategies: `#/runs`. Opening one goes to its strategy, on that run. */
import type { RunSummary } from "../api/types";
import { navigate, strategyPath } from "../router";
import { RunTable, type OpenTab } from "./RunTable";

export function RunsPage() {
  const open = (run: RunSummary, tab: OpenTab) => navigate(strategyPath(run.strategy_id, tab, run.id));
  return (
    <main className="page" data-testid="runs-page">
      <h2>Runs</h2>
      <p className="muted small">Every backtest you ran, newest first. Pick two or more completed runs to compare them.</p>
      <RunTable showStrategy onOpen={open} />
    </main>
  );
}
