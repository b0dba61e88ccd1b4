/** The stages of one execution with their messages as they arrive, a progress bar and cancel. */
import type { Execution } from "../api/types";
import { STAGES, eventsByStage, stageStates, type ProgressState } from "./progress";

const ORDER = STAGES.map((s) => s.key as string);
const MARK = { done: "✓ ", active: "● ", failed: "✗ ", pending: "○ " } as const;

export function ProgressView(props: {
  execution: Execution;
  state: ProgressState;
  connError: string | null;
  onCancel: () => void;
  cancelling: boolean;
}) {
  const { execution, state, connError, onCancel, cancelling } = props;
  const grouped = eventsByStage(state.events);
  const failed = state.status === "failed" || state.status === "cancelled";
  const marks = stageStates(state, execution.agent_insights?.failed_stage ?? null);
  const pct = Math.round(state.progress * 100);

  return (
    <section className="card progress" aria-label="Execution progress" data-testid="progress">
      <div className="row spread">
        <h3>
          Run <code>{execution.id}</code>
        </h3>
        <span className={`status status-${state.status}`} data-testid="exec-status">
          {state.status.replace("_", " ")}
        </span>
      </div>
      <div
        className="bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-label="Progress"
        data-testid="progress-bar"
      >
        <div className={`bar-fill${failed ? " failed" : ""}`} style={{ width: `${pct}%` }} />
      </div>
      <ol className="stages">
        {STAGES.map((s) => {
          const events = grouped.get(s.key) ?? [];
          const mark = marks[s.key] ?? "pending";
          return (
            <li key={s.key} className={mark === "pending" ? "" : mark} data-testid={`stage-${s.key}`} data-state={mark}>
              <span className="stage-label">
                {MARK[mark]}
                {s.label}
              </span>
              {events.length > 0 && (
                <ul className="stage-messages">
                  {events.map((e) => (
                    <li key={e.seq} data-testid="stage-message">
                      <time className="muted small">{new Date(e.ts).toLocaleTimeString()}</time> {e.message}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
        {/* events of stages outside the standard list (failed, cancelled, or new ones) */}
        {[...grouped.entries()]
          .filter(([k]) => !ORDER.includes(k))
          .map(([k, events]) => (
            <li key={k} className={k === "failed" || k === "cancelled" ? "failed" : ""} data-testid={`stage-${k}`}>
              <span className="stage-label">{k.replace("_", " ")}</span>
              <ul className="stage-messages">
                {events.map((e) => (
                  <li key={e.seq} data-testid="stage-message">
                    <time className="muted small">{new Date(e.ts).toLocaleTimeString()}</time> {e.message}
                  </li>
                ))}
              </ul>
            </li>
          ))}
      </ol>
      {connError && <p className="error small" role="alert">{connError}</p>}
      {!state.ended && (
        <button type="button" className="danger" onClick={onCancel} disabled={cancelling} data-testid="cancel">
          {cancelling ? "Cancelling…" : "Cancel run"}
        </button>
      )}
    </section>
  );
}
