import { describe, expect, it } from "vitest";
import type { ExecutionStatus, ProgressEvent } from "../api/types";
import { eventsByStage, initialProgress, progressReducer, stageStates, type ProgressState } from "./progress";

const ev = (seq: number, status: ExecutionStatus, progress: number | null = null, stage?: string): ProgressEvent => ({
  type: "event",
  seq,
  status,
  stage: stage ?? status,
  message: `m${seq}`,
  progress,
  ts: "2024-01-01T00:00:00Z",
});

function feed(events: ProgressEvent[], start: ProgressState = initialProgress()): ProgressState {
  return events.reduce((s, e) => progressReducer(s, { type: "event", event: e }), start);
}

describe("progressReducer", () => {
  it("keeps each event once, ordered by seq, whatever the arrival order", () => {
    const s = feed([ev(3, "executing", 0.6), ev(1, "analyzing", 0.1), ev(2, "generating_code", 0.3), ev(1, "analyzing", 0.1), ev(3, "executing", 0.6)]);
    expect(s.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(s.lastSeq).toBe(3);
    expect(s.status).toBe("executing");
    expect(s.progress).toBeCloseTo(0.6);
  });

  it("returns the same state object for a duplicate (no re-render)", () => {
    const s = feed([ev(1, "analyzing")]);
    expect(progressReducer(s, { type: "event", event: ev(1, "analyzing") })).toBe(s);
  });

  it("never moves the progress bar backwards", () => {
    const s = feed([ev(1, "analyzing", 0.5), ev(2, "analyzing", 0.2), ev(3, "analyzing", null)]);
    expect(s.progress).toBeCloseTo(0.5);
  });

  it("ends on a terminal event or an end message and then ignores stale status", () => {
    let s = feed([ev(1, "analyzing", 0.1), ev(2, "completed", 0.9)]);
    expect(s.ended).toBe(true);
    expect(s.progress).toBe(1);
    s = progressReducer(s, { type: "status", status: "executing" });
    expect(s.status).toBe("completed");

    let t = feed([ev(1, "analyzing", 0.2)]);
    t = progressReducer(t, { type: "end", status: "failed" });
    expect(t).toMatchObject({ status: "failed", ended: true, progress: 0.2 });
    // a late replayed event of an earlier stage does not revive the run
    t = progressReducer(t, { type: "event", event: ev(0, "queued") });
    expect(t.status).toBe("failed");
    expect(t.events.map((e) => e.seq)).toEqual([0, 1]);
  });

  it("groups events under their stage", () => {
    const s = feed([ev(1, "analyzing", null, "analyzing"), ev(2, "analyzing", null, "analyzing"), ev(3, "executing")]);
    const g = eventsByStage(s.events);
    expect(g.get("analyzing")!.map((e) => e.seq)).toEqual([1, 2]);
    expect(g.get("executing")!.map((e) => e.seq)).toEqual([3]);
  });
});

describe("stageStates", () => {
  it("marks the stages a failed run went through as done, and where it stopped as failed", () => {
    const s = feed([ev(1, "queued"), ev(2, "analyzing", 0.1), ev(3, "generating_code", 0.35), ev(4, "failed", null, "failed")]);
    expect(s.status).toBe("failed");
    expect(stageStates(s, "generating_code")).toEqual({
      queued: "done",
      analyzing: "done",
      generating_code: "failed",
      executing: "pending",
      completed: "pending",
    });
    // without the stage named by the server, the last stage with events is where it stopped
    expect(stageStates(s).generating_code).toBe("failed");
    expect(stageStates(s).analyzing).toBe("done");
  });

  it("shows a running stage as active and a completed run as done throughout", () => {
    const running = feed([ev(1, "queued"), ev(2, "analyzing", 0.1)]);
    expect(stageStates(running)).toMatchObject({ queued: "done", analyzing: "active", generating_code: "pending" });
    const done = feed([ev(1, "queued"), ev(2, "completed", 1)]);
    expect(Object.values(stageStates(done))).toEqual(["done", "done", "done", "done", "done"]);
  });
});
