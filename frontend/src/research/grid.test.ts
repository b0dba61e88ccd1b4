import { describe, expect, it } from "vitest";
import type { ExecutionParams, StrategyNode } from "../api/types";
import { DEFAULT_PARAMS } from "../run/ParamsPanel";
import {
  DEFAULT_COMBOS_PER_S,
  SWEEP_OVERHEAD_S,
  applyValues,
  combinationsDone,
  currentValue,
  estimateSeconds,
  formatDuration,
  gridSize,
  parameterize,
  parseList,
  rangeValues,
  ruleParams,
  ruleTokens,
  specProblem,
  staleNames,
  suggestName,
  suggestRange,
  unparameterize,
} from "./grid";

describe("grid size", () => {
  it("is the product of each parameter's count: the issue's example holds 10 × 4 × 3 = 120", () => {
    const grid = { fast: { start: 5, stop: 50, step: 5 }, slow: [20, 50, 100, 200], "sl.stop_pct": [3, 5, 8] };
    expect(gridSize(grid)).toBe(120);
  });

  it("counts a range like the backend: stop included, no value lost to float steps", () => {
    // 0.1 + 9 × 0.1 is 0.9999999999999999 in floats: the backend's 1e-9 tolerance keeps the 1.0.
    expect(rangeValues({ start: 0.1, stop: 1, step: 0.1 })).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(gridSize({ a: { start: 0.001, stop: 0.003, step: 0.0005 } })).toBe(5);
    expect(gridSize({ a: { start: 10, stop: 12, step: 5 } })).toBe(1); // a step past stop: just the start
    expect(gridSize({})).toBe(0);
  });

  it("an empty or impossible range has no combinations and says why", () => {
    expect(gridSize({ a: { start: 10, stop: 5, step: 1 }, b: [1, 2] })).toBe(0);
    expect(specProblem({ start: 10, stop: 5, step: 1 })).toBe("Stop is below start.");
    expect(specProblem({ start: 1, stop: 5, step: 0 })).toBe("The step must be above 0.");
    expect(specProblem({ start: 1, stop: 100_000, step: 1 })).toMatch(/100,000 values: at most 10,000/);
    expect(specProblem(parseList("3, 5, 5"))).toBe("A value is listed twice.");
    expect(specProblem(parseList("3, x"))).toBe("Every value must be a number.");
    expect(parseList("3, 5; 8 0.5")).toEqual([3, 5, 8, 0.5]);
  });
});

describe("a number of a rule made a parameter", () => {
  const rule = "10-day MA crosses above 30-day MA";

  it("finds the rule's numbers, not digits glued to names, and its existing parameters", () => {
    const tokens = ruleTokens("SMA(10) crosses above SMA({slow=50}) and EMA20 above 2.5");
    expect(tokens.filter((t) => t.kind === "number").map((t) => t.text)).toEqual(["10", "2.5"]);
    expect(tokens.filter((t) => t.kind === "param").map((t) => t.kind === "param" && [t.name, t.value])).toEqual([["slow", 50]]);
    // the tokens put back together are the rule
    expect(tokens.map((t) => t.text).join("")).toBe("SMA(10) crosses above SMA({slow=50}) and EMA20 above 2.5");
  });

  it("writes the clicked number as {name=value} where it stood, and back", () => {
    const [ten, thirty] = ruleTokens(rule).filter((t) => t.kind === "number");
    if (ten.kind !== "number" || thirty.kind !== "number") throw new Error("no numbers");
    const once = parameterize(rule, ten.start, ten.end, "fast");
    expect(once).toBe("{fast=10}-day MA crosses above 30-day MA");
    // positions of the later number moved: take them from the new text
    const later = ruleTokens(once).find((t) => t.kind === "number");
    if (!later || later.kind !== "number") throw new Error("no number left");
    const twice = parameterize(once, later.start, later.end, "slow");
    expect(twice).toBe("{fast=10}-day MA crosses above {slow=30}-day MA");
    expect(unparameterize(twice, "fast")).toBe("10-day MA crosses above {slow=30}-day MA");
    expect(() => parameterize(rule, 0, 3, "x")).toThrow(/not a number/);
  });

  it("suggests a name from the indicator, unique among the strategy's", () => {
    expect(suggestName("SMA(10) crosses above SMA(50)", 4, 6, [])).toBe("sma");
    expect(suggestName("SMA(10) crosses above SMA(50)", 26, 28, ["sma"])).toBe("sma_2");
    expect(suggestName(rule, 0, 2, [])).toBe("ma");
    expect(suggestName("RSI(14) below 30", 14, 16, [])).toBe("p");
  });

  it("suggests a first range of five values around the number", () => {
    expect(rangeValues(suggestRange(10))).toEqual([6, 8, 10, 12, 14]);
    expect(rangeValues(suggestRange(30))).toEqual([20, 25, 30, 35, 40]);
    expect(rangeValues(suggestRange(0.001))).toEqual([0.0006, 0.0008, 0.001, 0.0012, 0.0014]);
    expect(rangeValues(suggestRange(2))).toEqual([1, 2, 3, 4]); // stays above 0
  });
});

describe("a combination run as a normal execution", () => {
  const nodes: StrategyNode[] = [
    { id: "entry", type: "entry_condition", meta: { rules: ["SMA({fast=10}) crosses above SMA({slow=50})"] } },
    { id: "exit", type: "exit_condition", meta: { rules: ["SMA({fast=10}) crosses below SMA({slow=50})"] } },
    { id: "sl", type: "stop_loss", meta: { stop_pct: 5 } },
  ];
  const params: ExecutionParams = { ...DEFAULT_PARAMS };

  it("sets rule parameters as defaults everywhere they appear, node fields and costs", () => {
    const out = applyValues(nodes, params, { fast: 5, slow: 20, "sl.stop_pct": 8, "params.fees": 0.002 });
    expect(out.nodes[0].meta.rules).toEqual(["SMA({fast=5}) crosses above SMA({slow=20})"]);
    expect(out.nodes[1].meta.rules).toEqual(["SMA({fast=5}) crosses below SMA({slow=20})"]);
    expect(out.nodes[2].meta.stop_pct).toBe(8);
    expect(out.params.fees).toBe(0.002);
    expect(nodes[2].meta.stop_pct).toBe(5); // the originals are not touched
  });

  it("knows every name's value now, and which names the strategy lost", () => {
    expect([...ruleParams(nodes)]).toEqual([["fast", 10], ["slow", 50]]);
    expect(currentValue("sl.stop_pct", nodes, params)).toBe(5);
    expect(currentValue("params.slippage", nodes, params)).toBe(params.slippage);
    expect(staleNames({ fast: [5], gone: [1], "tp.target_pct": [3] }, nodes, params)).toEqual(["gone", "tp.target_pct"]);
  });
});

describe("time and progress", () => {
  it("estimates from the last sweep's speed, else the documented default", () => {
    expect(estimateSeconds(20_000, null)).toBeCloseTo(SWEEP_OVERHEAD_S + 20_000 / DEFAULT_COMBOS_PER_S);
    expect(estimateSeconds(20_000, 10_000)).toBeCloseTo(SWEEP_OVERHEAD_S + 2);
    expect(formatDuration(estimateSeconds(1_000_000, 5_000))).toBe("about 3 min");
    expect(formatDuration(12.4)).toBe("about 12 s");
    expect(formatDuration(4_900)).toBe("about 1 h 22 min");
  });

  it("reads the combinations done from the executor's log line", () => {
    expect(combinationsDone("Executor: 1,200 / 8,543 combinations")).toEqual({ done: 1200, total: 8543 });
    expect(combinationsDone("Executor: running the sweep in the sandbox")).toBeNull();
  });
});
