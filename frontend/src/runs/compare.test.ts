import { describe, expect, it } from "vitest";
import type { ExecutionParams, SeriesPoint } from "../api/types";
import { DEFAULT_PARAMS } from "../run/ParamsPanel";
import { compareLabels, rebaseTo100 } from "./compare";

const params = (patch: Partial<ExecutionParams>): ExecutionParams => ({ ...DEFAULT_PARAMS, ...patch });

describe("rebaseTo100", () => {
  it("draws each curve as a percentage of its starting capital", () => {
    const equity: SeriesPoint[] = [
      ["2020-01-01T00:00:00Z", 10_000],
      ["2020-01-02T00:00:00Z", 10_250],
      ["2020-01-03T00:00:00Z", null],
      ["2020-01-06T00:00:00Z", 12_500],
    ];
    const rebased = rebaseTo100(equity, 10_000);
    expect(rebased.map((p) => p[0])).toEqual(["2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", "2020-01-06T00:00:00Z"]);
    const values = rebased.map((p) => p[1] as number);
    [100, 102.5, 125].forEach((v, i) => expect(values[i]).toBeCloseTo(v, 10));
    // another capital, same shape: the same line
    const bigger = rebaseTo100(equity.map(([t, v]) => [t, v === null ? null : v * 3] as SeriesPoint), 30_000);
    bigger.forEach((p, i) => expect(p[1]).toBeCloseTo(values[i], 10));
    expect(rebaseTo100(equity, 0)).toEqual([]);
  });
});

describe("compareLabels", () => {
  it("names the strategy and the parameters that differ", () => {
    const labels = compareLabels([
      { strategyName: "Dip buyer", params: params({ fees: 0.001 }) },
      { strategyName: "Dip buyer", params: params({ fees: 0.002 }) },
      { strategyName: "MA crossover", params: params({ fees: 0.001 }) },
    ]);
    expect(labels).toEqual(["Dip buyer · fees 0.1%", "Dip buyer · fees 0.2%", "MA crossover · fees 0.1%"]);
  });

  it("says what ran when nothing differs, and numbers runs nothing tells apart", () => {
    const same = params({ symbols: ["SPX"], start_date: "2010-01-01", end_date: "2018-12-31" });
    expect(compareLabels([{ strategyName: "A", params: same }, { strategyName: "B", params: same }])).toEqual([
      "A · SPX · 1d · from 2010-01-01 · to 2018-12-31",
      "B · SPX · 1d · from 2010-01-01 · to 2018-12-31",
    ]);
    expect(compareLabels([{ strategyName: "A", params: same }, { strategyName: "A", params: same }])).toEqual([
      "A · SPX · 1d · from 2010-01-01 · to 2018-12-31 (#1)",
      "A · SPX · 1d · from 2010-01-01 · to 2018-12-31 (#2)",
    ]);
  });
});
