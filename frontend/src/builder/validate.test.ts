import { describe, expect, it } from "vitest";
import type { StrategyNode } from "../api/types";
import { blockers, byNode, nodeProblems, pctProblem } from "./validate";
import { nodeSummary } from "./NodeInspector";

const entry: StrategyNode = { id: "entry", type: "entry_condition", meta: { rules: ["close above the 20-day SMA"] } };
const stop = (v: number): StrategyNode => ({ id: "sl", type: "stop_loss", meta: { stop_pct: v } });

describe("node problems, found while editing", () => {
  it("refuses the stops the server refuses, naming the node", () => {
    expect(pctProblem("stop_pct", -5)).toBe("Stop must be above 0% (it is −5%)");
    expect(pctProblem("stop_pct", 150)).toBe("Stop must be below 100% (it is 150%)");
    expect(pctProblem("trail_pct", 100)).toBe("Trail must be below 100% (it is 100%)");
    expect(pctProblem("target_pct", 150)).toBeNull(); // a 150 % target is fine
    expect(pctProblem("stop_pct", 5)).toBeNull();
    expect(pctProblem("stop_pct", NaN)).toBe("Stop needs a number");
    const issues = nodeProblems([entry, stop(-5)]);
    expect(issues).toEqual([{ nodeId: "sl", field: "stop_pct", message: "Stop must be above 0% (it is −5%)", blocking: true }]);
    expect(blockers(issues)).toEqual(["Node 'sl': Stop must be above 0% (it is −5%)"]);
  });

  it("flags an unfinished draft: a condition without rules, no entry node", () => {
    const empty: StrategyNode = { id: "exit", type: "exit_condition", meta: { rules: ["  "] } };
    const issues = nodeProblems([empty, stop(5)]);
    expect(byNode(issues).get("exit")?.[0].message).toBe("Exit condition needs at least one rule");
    expect(byNode(issues).get("")?.[0].message).toContain("Add an entry condition");
    expect(nodeProblems([])).toEqual([]); // a blank canvas is not an error yet
  });

  it("summarises a stop without '−-' whatever was typed", () => {
    expect(nodeSummary(stop(5))).toBe("stop 5% below entry");
    expect(nodeSummary(stop(-5))).toBe("stop −5% below entry");
    expect(nodeSummary({ id: "tp", type: "take_profit", meta: { target_pct: 7.5 } })).toBe("target 7.5% above entry");
  });
});
