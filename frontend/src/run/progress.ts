/**
 * The live-progress state of one execution, fed by WebSocket messages that may arrive twice (a replay
 * after a reconnect) or out of order (a late replay). Events are kept once each, ordered by `seq`.
 *
 * Example: events with seq 2, 0, 1, 1 arrive -> `events` holds seq 0, 1, 2 and `lastSeq` is 2; the
 * status and progress shown are those of seq 2, the newest, whatever the arrival order.
 */
import type { ExecutionStatus, ProgressEvent } from "../api/types";
import { TERMINAL } from "../api/types";

export const STAGES: { key: ExecutionStatus; label: string }[] = [
  { key: "queued", label: "Queued" },
  { key: "analyzing", label: "Analyzing" },
  { key: "generating_code", label: "Generating code" },
  { key: "executing", label: "Executing" },
  { key: "completed", label: "Completed" },
];

export type ProgressState = {
  events: ProgressEvent[];
  lastSeq: number;
  status: ExecutionStatus;
  progress: number;
  ended: boolean;
};

export type ProgressAction =
  | { type: "event"; event: ProgressEvent }
  | { type: "end"; status: ExecutionStatus }
  | { type: "status"; status: ExecutionStatus }
  | { type: "reset"; status?: ExecutionStatus };

export function initialProgress(status: ExecutionStatus = "queued"): ProgressState {
  return { events: [], lastSeq: -1, status, progress: 0, ended: TERMINAL.includes(status) };
}

export function progressReducer(state: ProgressState, action: ProgressAction): ProgressState {
  switch (action.type) {
    case "event": {
      const ev = action.event;
      if (state.events.some((e) => e.seq === ev.seq)) return state;
      const events = [...state.events, ev].sort((a, b) => a.seq - b.seq);
      const newest = events[events.length - 1];
      const ended = state.ended || TERMINAL.includes(newest.status);
      // Once the end is known, later-arriving old events must not move the status backwards.
      const status = state.ended ? state.status : newest.status;
      const progress =
        newest.status === "completed"
          ? 1
          : Math.max(state.progress, typeof newest.progress === "number" ? newest.progress : state.progress);
      return { events, lastSeq: newest.seq, status, progress: Math.min(1, progress), ended };
    }
    case "end":
      return {
        ...state,
        status: action.status,
        ended: true,
        progress: action.status === "completed" ? 1 : state.progress,
      };
    case "status":
      if (state.ended) return state;
      return {
        ...state,
        status: action.status,
        ended: TERMINAL.includes(action.status),
        progress: action.status === "completed" ? 1 : state.progress,
      };
    case "reset":
      return initialProgress(action.status);
  }
}

/** Events grouped under the stage they belong to, in stage order. */
export function eventsByStage(events: ProgressEvent[]): Map<string, ProgressEvent[]> {
  const out = new Map<string, ProgressEvent[]>();
  for (const ev of events) {
    const key = ev.stage || ev.status;
    const list = out.get(key) ?? [];
    list.push(ev);
    out.set(key, list);
  }
  return out;
}

export type StageState = "done" | "active" | "failed" | "pending";

/**
 * The mark of each stage of the stepper. Stages a run went through are done even when it failed later
 * (a failed run used to show ○ for stages it had completed); the stage it stopped in is "failed".
 *
 * Example: events for queued, analyzing and generating_code, then `failed` with failed_stage
 * "generating_code" -> queued ✓, analyzing ✓, generating code ✗, executing ○, completed ○.
 */
export function stageStates(state: ProgressState, failedStage?: string | null): Record<string, StageState> {
  const order = STAGES.map((x) => x.key as string);
  const seen = state.events.map((e) => order.indexOf(e.stage || e.status)).filter((i) => i >= 0 && i < order.length - 1);
  const out: Record<string, StageState> = {};
  if (state.status === "completed") {
    for (const k of order) out[k] = "done";
    return out;
  }
  const stopped = state.status === "failed" || state.status === "cancelled";
  let current = order.indexOf(state.status);
  if (stopped) {
    const named = failedStage ? order.indexOf(failedStage) : -1;
    current = named >= 0 ? named : seen.length ? Math.max(...seen) : 0;
  }
  order.forEach((k, i) => {
    if (i < current) out[k] = "done";
    else if (i === current) out[k] = stopped ? "failed" : state.ended ? "pending" : "active";
    else out[k] = "pending";
  });
  return out;
}
