import { useEffect, useState } from "react";
import { api } from "../api/endpoints";
import { errorText } from "../api/client";
import type { Execution, ExecutionParams } from "../api/types";
import { TERMINAL } from "../api/types";
import { ParamsPanel, paramProblems } from "./ParamsPanel";
import { ProgressView } from "./ProgressView";
import { useExecutionStream } from "./useExecutionStream";
import { useAsync } from "../useAsync";

export function RunPanel(props: {
  params: ExecutionParams;
  setParams: (p: ExecutionParams) => void;
  execution: Execution | null;
  onExecute: () => void;
  executing: boolean;
  onEnded: (id: string) => void;
  goto: (tab: string) => void;
  /** What in the strategy stops a run (a stop out of range, a rule that cannot be read), node named. */
  blockers: string[];
}) {
  const { params, setParams, execution, onExecute, executing, onEnded, goto, blockers } = props;
  const symbols = useAsync(() => api.symbols(), []);
  const problems = [...blockers, ...paramProblems(params, symbols.data ?? [])];
  const { state, connError } = useExecutionStream(execution?.id ?? null, execution?.status ?? "queued");
  const [cancelling, setCancelling] = useState(false);
  const [cancelError, setCancelError] = useState<string | null>(null);

  // When the stream ends, fetch the execution until its stored status is final too (error message, code).
  const ended = state.ended;
  const stale = !!execution && ended && !TERMINAL.includes(execution.status);
  useEffect(() => {
    if (!stale || !execution) return;
    const t = setTimeout(() => onEnded(execution.id), 400);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stale, execution]);

  async function cancel() {
    if (!execution) return;
    setCancelling(true);
    setCancelError(null);
    try {
      await api.cancel(execution.id);
    } catch (e) {
      setCancelError(errorText(e));
    } finally {
      setCancelling(false);
    }
  }

  const running = execution && !state.ended;
  return (
    <div className="run-panel">
      <section className="card">
        <ParamsPanel params={params} onChange={setParams} symbols={symbols} />
        {problems.length > 0 && (
          <ul className="error small" data-testid="param-problems" aria-label="Fix these before running">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        )}
        <button
          type="button"
          className="primary big"
          onClick={onExecute}
          disabled={executing || problems.length > 0 || !!running}
          data-testid="execute"
        >
          {executing ? "Starting…" : running ? "Running…" : "Execute backtest"}
        </button>
      </section>
      {execution ? (
        <>
          <ProgressView execution={execution} state={state} connError={connError} onCancel={cancel} cancelling={cancelling} />
          {cancelError && <p className="error" role="alert">{cancelError}</p>}
          {state.ended && execution.status === state.status && (
            <section className="card" data-testid="run-outcome">
              {state.status === "completed" && (
                <div className="row">
                  <span className="ok">Backtest completed.</span>
                  <button type="button" className="primary" onClick={() => goto("results")} data-testid="see-results">
                    See results
                  </button>
                  <button type="button" onClick={() => goto("code")} data-testid="see-code">
                    Open the code
                  </button>
                </div>
              )}
              {state.status === "failed" && (
                <div>
                  <p className="error" role="alert" data-testid="exec-error">
                    {execution.error_message ?? "The run failed."}
                  </p>
                  {execution.generated_code && (
                    <button type="button" onClick={() => goto("code")}>
                      Open the code
                    </button>
                  )}
                </div>
              )}
              {state.status === "cancelled" && <p className="muted">The run was cancelled.</p>}
            </section>
          )}
        </>
      ) : (
        <p className="muted card">No run yet. Set the parameters and press Execute.</p>
      )}
    </div>
  );
}
