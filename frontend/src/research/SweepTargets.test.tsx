import { describe, expect, it } from "vitest";
import { useState } from "react";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { StrategyNode } from "../api/types";
import { NodeSweepFields, RuleNumbers } from "./SweepTargets";
import { ruleParams, type Grid, type GridSpec } from "./grid";
import { SweepGridContext } from "./useSweep";

/** A rule and a stop-loss node with the page's grid around them, as the strategy page provides it. */
function Harness({ initial, onGrid }: { initial: string; onGrid: (g: Grid, rule: string) => void }) {
  const [rule, setRule] = useState(initial);
  const [grid, setGrid] = useState<Grid>({});
  const node: StrategyNode = { id: "sl", type: "stop_loss", meta: { stop_pct: 5 } };
  const nodes: StrategyNode[] = [{ id: "entry", type: "entry_condition", meta: { rules: [rule] } }, node];
  onGrid(grid, rule);
  const value = {
    grid,
    setSpec: (n: string, s: GridSpec) => setGrid((g) => ({ ...g, [n]: s })),
    remove: (n: string) =>
      setGrid((g) => {
        const next = { ...g };
        delete next[n];
        return next;
      }),
    ruleParams: ruleParams(nodes),
  };
  return (
    <SweepGridContext.Provider value={value}>
      <RuleNumbers rule={rule} onChange={setRule} />
      <NodeSweepFields node={node} meta={node.meta} />
    </SweepGridContext.Provider>
  );
}

describe("making a number a range", () => {
  it("clicking a rule's number names it in the rule and puts its range on the grid", async () => {
    let seen: { grid: Grid; rule: string } = { grid: {}, rule: "" };
    const user = userEvent.setup();
    render(<Harness initial="10-day MA crosses above 30-day MA" onGrid={(grid, rule) => (seen = { grid, rule })} />);
    const numbers = screen.getAllByTestId("rule-number");
    expect(numbers.map((b) => b.textContent)).toEqual(["10", "30"]);
    await user.click(numbers[1]);
    const editor = screen.getByTestId("range-editor");
    expect(within(editor).getByTestId("range-name")).toHaveValue("ma");
    expect(within(editor).getByTestId("range-count")).toHaveTextContent("20 → 40 step 5 (5 values)");
    await user.clear(within(editor).getByTestId("range-name"));
    await user.type(within(editor).getByTestId("range-name"), "slow");
    await user.clear(within(editor).getByTestId("range-step"));
    await user.type(within(editor).getByTestId("range-step"), "10");
    expect(within(editor).getByTestId("range-count")).toHaveTextContent("20 → 40 step 10 (3 values)");
    await user.click(within(editor).getByTestId("range-apply"));
    expect(seen.rule).toBe("10-day MA crosses above {slow=30}-day MA");
    expect(seen.grid).toEqual({ slow: { start: 20, stop: 40, step: 10 } });
    // the parameter now shows its range; as a list instead, and back to a plain number
    const chip = screen.getByTestId("rule-param-slow");
    expect(chip).toHaveTextContent("slow=30 ⇢ 20 → 40 step 10 (3 values)");
    await user.click(chip);
    await user.click(screen.getByTestId("range-mode-list"));
    expect(screen.getByTestId("range-list")).toHaveValue("20, 30, 40");
    await user.clear(screen.getByTestId("range-list"));
    await user.type(screen.getByTestId("range-list"), "20, 50, 100, 200");
    await user.click(screen.getByTestId("range-apply"));
    expect(seen.grid).toEqual({ slow: [20, 50, 100, 200] });
    await user.click(screen.getByTestId("rule-param-slow"));
    await user.click(screen.getByTestId("range-plain"));
    expect(seen.rule).toBe("10-day MA crosses above 30-day MA");
    expect(seen.grid).toEqual({});
  });

  it("refuses a name that is not one, or one already used with another default", async () => {
    const user = userEvent.setup();
    render(<Harness initial="SMA({fast=10}) crosses above SMA(50)" onGrid={() => undefined} />);
    await user.click(screen.getByTestId("rule-number"));
    const name = screen.getByTestId("range-name");
    await user.clear(name);
    await user.type(name, "fast");
    expect(screen.getByTestId("range-problem")).toHaveTextContent("“fast” is already a parameter with the default 10");
    expect(screen.getByTestId("range-apply")).toBeDisabled();
    await user.clear(name);
    await user.type(name, "2slow");
    expect(screen.getByTestId("range-problem")).toHaveTextContent("A name is letters, digits and _");
  });

  it("a node's field becomes a grid path", async () => {
    let seen: Grid = {};
    const user = userEvent.setup();
    render(<Harness initial="close above 10" onGrid={(grid) => (seen = grid)} />);
    await user.click(screen.getByTestId("sweep-field-stop_pct"));
    expect(screen.getByTestId("range-name-fixed")).toHaveTextContent("sl.stop_pct");
    await user.click(screen.getByTestId("range-mode-list"));
    await user.clear(screen.getByTestId("range-list"));
    await user.type(screen.getByTestId("range-list"), "3, 5, 8");
    await user.click(screen.getByTestId("range-apply"));
    expect(seen).toEqual({ "sl.stop_pct": [3, 5, 8] });
    expect(screen.getByTestId("field-range-stop_pct")).toHaveTextContent("3, 5, 8 (3 values)");
  });
});
