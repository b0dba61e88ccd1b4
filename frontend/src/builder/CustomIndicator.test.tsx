import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { useMemo, useState } from "react";
import { act, render, renderHook, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { StrategyNode } from "../api/types";
import { BuilderPanel } from "./BuilderPanel";
import { customDefs, useRuleIssues } from "./ruleChecks";
import { DEFAULT_NODE_TYPES, schemaInfo } from "./schemaInfo";
import { byNode, nodeProblems } from "./validate";
import { jsonResponse, stubFetch, type Call } from "../test/fetchStub";

beforeAll(() => {
  // React Flow measures its box; jsdom has no layout, so the observer never fires (as before the first paint).
  if (typeof globalThis.ResizeObserver === "undefined")
    globalThis.ResizeObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
    } as unknown as typeof ResizeObserver;
});
afterEach(() => vi.unstubAllGlobals());

type Def = { name: string; formula: string; node_id?: string };
type Body = { rule?: string; name?: string; formula?: string; node_id?: string; custom_indicators?: Def[] };

const body = (c: Call) => JSON.parse((c.init?.body as string) ?? "{}") as Body;

/**
 * Stands in for the server's two checks: a rule naming "spread" reads only when "spread" is sent among
 * the custom indicators; a formula naming "wobble" is refused naming the node.
 */
function server() {
  return stubFetch((url, init) => {
    if (url.endsWith("/indicators") && (init?.method ?? "GET") === "GET") return jsonResponse(200, []);
    const b = JSON.parse((init?.body as string) ?? "{}") as Body;
    if (url.endsWith("/indicators/check")) {
      if (b.formula!.includes("wobble"))
        return jsonResponse(422, {
          error: "RuleNotUnderstood",
          detail: `Node '${b.node_id}': could not read formula '${b.formula}' at position 8: 'wobble' is neither an indicator the language knows nor a custom indicator.`,
          node_id: b.node_id,
          rule: b.formula,
          position: 8,
          expected: [],
        });
      return jsonResponse(200, { name: b.name!.toLowerCase(), understood: b.formula });
    }
    if (url.endsWith("/indicators")) return jsonResponse(201, { id: "ind_1", name: b.name, formula: b.formula, understood: b.formula, created_at: "", updated_at: "" });
    const names = (b.custom_indicators ?? []).map((c) => c.name.toLowerCase());
    const words = b.rule!.toLowerCase().split(/\s+/);
    if (words[0] === "spread" && !names.includes("spread"))
      return jsonResponse(422, { error: "RuleNotUnderstood", detail: "'spread' is neither an indicator the language knows nor a custom indicator", rule: b.rule, position: 0, expected: [] });
    return jsonResponse(200, { ok: true, parsed: {}, understood: b.rule });
  });
}

function Builder({ initial }: { initial: StrategyNode[] }) {
  const [nodes, setNodes] = useState(initial);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const ruleIssues = useRuleIssues(nodes, 10);
  const issues = useMemo(() => byNode([...nodeProblems(nodes), ...ruleIssues]), [nodes, ruleIssues]);
  return (
    <BuilderPanel
      nodes={nodes}
      setNodes={setNodes}
      selectedId={selectedId}
      setSelectedId={setSelectedId}
      info={schemaInfo(null)}
      schemaError={null}
      issues={issues}
    />
  );
}

const ENTRY: StrategyNode = { id: "entry", type: "entry_condition", meta: { rules: ["spread crosses above 0"], combine: "all" } };
const SPREAD: StrategyNode = { id: "ci", type: "custom_indicator", meta: { name: "spread", formula: "close - SMA(50)" } };
const WAIT = { timeout: 3000 };

describe("custom indicator nodes in the builder", () => {
  it("is a palette item; the node is drawn named after itself, and its inspector edits name and formula", async () => {
    const calls = server();
    const user = userEvent.setup();
    render(<Builder initial={[]} />);
    expect(DEFAULT_NODE_TYPES).toContain("custom_indicator");
    await user.click(screen.getByTestId("palette-custom_indicator"));
    const node = await screen.findByTestId("node-custom");
    expect(node).toHaveAttribute("data-nodetype", "custom_indicator");
    expect(node).toHaveTextContent("Custom indicator");
    expect(node).toHaveTextContent("custom = close - SMA(50)");

    const name = screen.getByTestId("custom-name");
    await user.clear(name);
    await user.type(name, "spread");
    expect(await screen.findByTestId("custom-ok", {}, WAIT)).toHaveTextContent("spread = close - SMA(50)");
    expect(screen.getByTestId("node-custom")).toHaveTextContent("spread = close - SMA(50)");
    const checks = calls.filter((c) => c.url.endsWith("/indicators/check"));
    expect(body(checks[checks.length - 1])).toEqual({ name: "spread", formula: "close - SMA(50)", node_id: "custom", custom_indicators: [] });

    // An unreadable formula: shown in the inspector with a caret, and on the canvas node, naming it.
    const formula = screen.getByTestId("custom-formula");
    await user.clear(formula);
    await user.type(formula, "close - wobble");
    const err = await screen.findByTestId("custom-error", {}, WAIT);
    expect(err).toHaveTextContent("'wobble' is neither an indicator");
    expect(within(err).getByTestId("rule-caret").textContent!.split("\n")[1].indexOf("^")).toBe(8);
    expect(await screen.findByTestId("node-issue-custom", {}, WAIT)).toHaveTextContent("Node 'custom'");
    expect(screen.getByTestId("node-custom")).toHaveAttribute("data-invalid", "true");

    // An emptied name is a gap of the draft, on the node.
    await user.clear(name);
    await waitFor(() => expect(screen.getByTestId("node-issue-custom")).toHaveTextContent("needs a name"), WAIT);
  });

  it("sends the graph's definitions with a rule naming one, marks it readable, and re-checks on a rename", async () => {
    const calls = server();
    const user = userEvent.setup();
    render(<Builder initial={[ENTRY, SPREAD]} />);
    await user.click(screen.getByTestId("select-entry"));
    expect(await screen.findByTestId("rule-ok", {}, WAIT)).toHaveTextContent("spread crosses above 0");
    const ruleCall = calls.find((c) => body(c).rule === "spread crosses above 0")!;
    expect(body(ruleCall).custom_indicators).toEqual([{ name: "spread", formula: "close - SMA(50)", node_id: "ci" }]);
    await waitFor(() => expect(screen.getByTestId("node-entry")).not.toHaveAttribute("data-invalid"), WAIT);

    // Renaming the node: the rule no longer names a custom indicator, and is marked unreadable on its node.
    await user.click(screen.getByTestId("select-ci"));
    const name = screen.getByTestId("custom-name");
    await user.clear(name);
    await user.type(name, "gap");
    expect(await screen.findByTestId("node-issue-entry", {}, WAIT)).toHaveTextContent("Rule 1 cannot be read: 'spread' is neither");
    // Typing "gap" checks after a pause; a check of "ga" may come first, so wait for the last one.
    await waitFor(() => {
      const last = calls.filter((c) => body(c).rule === "spread crosses above 0").pop()!;
      expect(body(last).custom_indicators).toEqual([{ name: "gap", formula: "close - SMA(50)", node_id: "ci" }]);
    }, WAIT);
  });

  it("saves a node to My indicators through POST /indicators", async () => {
    const calls = server();
    const user = userEvent.setup();
    render(<Builder initial={[SPREAD]} />);
    await user.click(screen.getByTestId("select-ci"));
    await screen.findByTestId("custom-ok", {}, WAIT);
    await user.click(screen.getByTestId("custom-save-library"));
    expect(await screen.findByTestId("custom-saved")).toHaveTextContent("Saved “spread”");
    const post = calls.find((c) => c.url.endsWith("/indicators") && c.init?.method === "POST")!;
    expect(body(post)).toEqual({ name: "spread", formula: "close - SMA(50)" });
    // The palette's library list reloads.
    expect(calls.filter((c) => c.url.endsWith("/indicators") && (c.init?.method ?? "GET") === "GET").length).toBeGreaterThanOrEqual(2);
  });

  it("puts a refusal on the node it names, and leaves out nodes without a name or formula", async () => {
    stubFetch((_url, init) => {
      const b = JSON.parse(init!.body as string) as Body;
      return b.name === "ratio"
        ? jsonResponse(422, { error: "InvalidStrategyGraph", detail: "Node 'ci': custom indicators refer to each other in a circle (spread -> ratio -> spread)", node_id: "ci" })
        : jsonResponse(200, { name: b.name, understood: b.formula });
    });
    const nodes: StrategyNode[] = [
      SPREAD,
      { id: "ci2", type: "custom_indicator", meta: { name: "ratio", formula: "spread / 2" } },
      { id: "ci3", type: "custom_indicator", meta: { name: "", formula: "high - low" } },
    ];
    expect(customDefs(nodes).map((d) => d.node_id)).toEqual(["ci", "ci2"]);
    const { result } = renderHook(() => useRuleIssues(nodes, 0));
    await waitFor(() => expect(result.current).toHaveLength(1), WAIT);
    expect(result.current[0]).toMatchObject({ nodeId: "ci", field: "meta.formula", blocking: true });
    await act(async () => {});
  });
});
