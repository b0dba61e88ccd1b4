import { describe, expect, it } from "vitest";
import { DEFAULT_PARAMS } from "../run/ParamsPanel";
import { DEFAULT_SETTINGS, sweepRequest } from "./useSweep";

describe("the sweep request", () => {
  const grid = { fast: { start: 5, stop: 50, step: 5 }, slow: [20, 50, 100, 200], "sl.stop_pct": [3, 5, 8] };

  it("is the issue's contract: params, grid as edited, objective, walk-forward", () => {
    const body = sweepRequest(grid, { ...DEFAULT_SETTINGS, folds: 5, inSample: 0.7 }, DEFAULT_PARAMS);
    expect(body).toEqual({
      params: DEFAULT_PARAMS,
      grid,
      objective: "sharpe_ratio",
      validation: { method: "walk_forward", folds: 5, in_sample: 0.7 },
    });
  });

  it("sends no validation when walk-forward is off, and heatmap axes only when the grid sweeps both", () => {
    const off = sweepRequest(grid, { ...DEFAULT_SETTINGS, walkForward: false, heatmap: ["slow", "sl.stop_pct"] }, DEFAULT_PARAMS);
    expect(off.validation).toBeNull();
    expect(off.heatmap).toEqual(["slow", "sl.stop_pct"]);
    // an axis removed from the grid since, or the same axis twice: the server's default (the first two)
    expect(sweepRequest(grid, { ...DEFAULT_SETTINGS, heatmap: ["gone", "slow"] }, DEFAULT_PARAMS).heatmap).toBeUndefined();
    expect(sweepRequest(grid, { ...DEFAULT_SETTINGS, heatmap: ["slow", "slow"] }, DEFAULT_PARAMS).heatmap).toBeUndefined();
  });
});
