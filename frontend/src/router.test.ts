import { afterEach, describe, expect, it } from "vitest";
import { admit, parseRoute, setLeaveGuard, strategyPath } from "./router";

afterEach(() => setLeaveGuard(null));

describe("routes", () => {
  it("names a strategy, its tab and one of its runs", () => {
    expect(parseRoute("#/s/strat_1/results/exec_9")).toEqual({ page: "strategy", id: "strat_1", tab: "results", run: "exec_9" });
    expect(parseRoute("#/runs")).toEqual({ page: "runs" });
    expect(strategyPath("strat_1", "code", "exec_9")).toBe("/s/strat_1/code/exec_9");
    expect(strategyPath("strat_1")).toBe("/s/strat_1");
  });

  it("holds a navigation the leave guard refuses and puts the address back", () => {
    history.replaceState(null, "", "#/s/strat_1");
    expect(admit("#/s/strat_1")).toBe(true);
    const asked: string[] = [];
    setLeaveGuard((to) => {
      asked.push(to);
      return false;
    });
    history.replaceState(null, "", "#/runs"); // the user clicked "Runs"
    expect(admit("#/runs")).toBe(false);
    expect(location.hash).toBe("#/s/strat_1");
    expect(asked).toEqual(["#/runs"]);
    setLeaveGuard(() => true);
    expect(admit("#/runs")).toBe(true);
  });
});
