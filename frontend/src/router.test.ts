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

  it("holds a navigation the leave guard refuses and puts the address back", async () => {
    const hashchange = () => new Promise<void>((resolve) => window.addEventListener("hashchange", () => resolve(), { once: true }));
    location.hash = "#/s/strat_1";
    await hashchange();
    expect(admit(location.hash)).toBe(true);
    const asked: string[] = [];
    setLeaveGuard((to) => {
      asked.push(to);
      return false;
    });
    location.hash = "#/runs"; // the user clicked "Runs"
    await hashchange();
    expect(admit(location.hash)).toBe(false);
    expect(asked).toEqual(["#/runs"]);
    await hashchange(); // the app undoes it
    expect(location.hash).toBe("#/s/strat_1");
    expect(admit(location.hash)).toBe(false); // its own undo is not a navigation
    setLeaveGuard(() => true);
    location.hash = "#/runs";
    await hashchange();
    expect(admit(location.hash)).toBe(true);
  });
});
