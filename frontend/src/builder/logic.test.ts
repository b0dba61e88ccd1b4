import { describe, expect, it } from "vitest";
import { schemaInfo, DEFAULT_NODE_TYPES } from "./schemaInfo";
import { newNodeId } from "./BuilderPanel";
import { cleanNodes } from "../strategies/useStrategyDraft";
import { paramProblems, DEFAULT_PARAMS } from "../run/ParamsPanel";
import { violationDiagnostics } from "../code/CodePanel";

describe("schemaInfo", () => {
  it("reads node types, indicators and operators from a JSON Schema with $defs", () => {
    const schema = {
      $defs: {
        Op: { enum: ["gt", "lt", "cross_above"] },
        Stop: { properties: { type: { const: "stop_loss" } } },
        Entry: { properties: { type: { const: "entry_condition" } } },
        Operand: { properties: { indicator: { anyOf: [{ enum: ["sma", "rsi"] }, { type: "null" }] }, price: { enum: ["close"] } } },
        Cond: { properties: { op: { $ref: "#/$defs/Op" } } },
      },
      properties: { nodes: { items: { oneOf: [{ $ref: "#/$defs/Stop" }, { $ref: "#/$defs/Entry" }] } } },
    };
    expect(schemaInfo(schema)).toEqual({
      nodeTypes: ["entry_condition", "stop_loss"],
      indicators: ["sma", "rsi"],
      prices: ["close"],
      ops: ["gt", "lt", "cross_above"],
    });
  });

  it("falls back to the documented lists", () => {
    expect(schemaInfo(null).nodeTypes).toEqual(DEFAULT_NODE_TYPES);
  });
});

describe("node helpers", () => {
  it("gives fresh ids", () => {
    const nodes = [{ id: "entry", type: "entry_condition", meta: {} }, { id: "entry_2", type: "entry_condition", meta: {} }];
    expect(newNodeId("entry_condition", nodes)).toBe("entry_3");
    expect(newNodeId("stop_loss", nodes)).toBe("sl");
  });

  it("drops blank rules and empty structured lists before saving", () => {
    const out = cleanNodes([{ id: "e", type: "entry_condition", meta: { rules: [" a ", "", "  "], conditions: [] }, position: { x: 1, y: 2 } }]);
    expect(out).toEqual([{ id: "e", type: "entry_condition", meta: { rules: ["a"] }, position: { x: 1, y: 2 } }]);
  });
});

describe("paramProblems", () => {
  it("accepts the defaults and names each problem", () => {
    expect(paramProblems(DEFAULT_PARAMS)).toEqual([]);
    const bad = paramProblems({ ...DEFAULT_PARAMS, symbols: [], start_date: "2019-01-01", exposure: 1.5, position_sizing: "fixed_fraction" });
    expect(bad).toEqual([
      "Add at least one symbol.",
      "The start date must be before the end date.",
      "Exposure must be in (0, 1].",
      "Set a position size for this sizing method.",
    ]);
  });
});

describe("violationDiagnostics", () => {
  it("maps 1-based lines and 0-based columns to offsets", () => {
    const doc = "import numpy as np\nimport os\nx = 1";
    const [d] = violationDiagnostics(doc, [{ line: 2, col: 0, rule: "import", message: "os is not allowed" }]);
    expect(doc.slice(d.from, d.to)).toBe("import os");
    const [e] = violationDiagnostics(doc, [{ line: 99, col: 4, rule: "r", message: "m" }]);
    expect(doc.slice(e.from, e.to)).toBe("1"); // clamped to the last line
  });
});

describe("describeParsed", () => {
  it("reads the server's parse trees", async () => {
    const { describeParsed } = await import("./describe");
    // the parse of "Enter on a 5% price drop from the 20-day moving average", as the server answers it
    const drop = {
      type: "compare",
      left: { type: "price", field: "close", lag: 0 },
      op: "<=",
      right: {
        type: "arith",
        op: "mul",
        left: { type: "indicator", indicator: { kind: "sma", period: 20, source: "close", slow: null, signal: null, std: null }, lag: 0 },
        right: { type: "const", value: 0.95 },
      },
    };
    expect(describeParsed(drop)).toBe("close ≤ SMA(20) × 0.95");
    const cross = {
      type: "cross",
      direction: "above",
      left: { type: "indicator", indicator: { kind: "sma", period: 10 }, lag: 0 },
      right: { type: "indicator", indicator: { kind: "sma", period: 30 }, lag: 1 },
    };
    expect(describeParsed(cross)).toBe("SMA(10) crosses above SMA(30) 1 bar ago");
    expect(describeParsed({ type: "volume_spike" })).toBe("volume spike");
  });

  it("reads a compound rule as its parts, not as 'all'", async () => {
    const { describeParsed } = await import("./describe");
    // the server's parse of "RSI(14) below 30 and close above the 200-day SMA"
    const both = {
      type: "all",
      items: [
        { type: "compare", left: { type: "indicator", indicator: { kind: "rsi", period: 14, source: "close" }, lag: 0 }, op: "<", right: { type: "const", value: 30 } },
        { type: "compare", left: { type: "price", field: "close", lag: 0 }, op: ">", right: { type: "indicator", indicator: { kind: "sma", period: 200, source: "close" }, lag: 0 } },
      ],
    };
    expect(describeParsed(both)).toBe("(RSI(14) < 30) and (close > SMA(200))");
    expect(describeParsed({ ...both, type: "any" })).toBe("(RSI(14) < 30) or (close > SMA(200))");
  });
});

describe("short nodes and ATR distances", () => {
  it("edits short entries and exits as condition nodes and summarises ATR stops", async () => {
    const { nodeSummary } = await import("./NodeInspector");
    const { defaultMeta, nodeLabel } = await import("./schemaInfo");
    expect(defaultMeta("short_entry_condition")).toEqual({ rules: [""], combine: "all" });
    expect(nodeLabel("short_exit_condition")).toBe("Short exit");
    const short = { id: "s", type: "short_entry_condition", meta: { rules: ["RSI(14) above 70"] } };
    expect(nodeSummary(short)).toBe("RSI(14) above 70");
    expect(nodeSummary({ id: "sl", type: "stop_loss", meta: { stop_atr: 3 } })).toBe("stop 3 × ATR(14) below entry");
    expect(nodeSummary({ id: "sl", type: "stop_loss", meta: { stop_atr: 2.5, atr_period: 20 } })).toBe("stop 2.5 × ATR(20) below entry");
    expect(nodeSummary({ id: "sl", type: "stop_loss", meta: { stop_pct: 5 } })).toBe("stop 5% below entry");
  });
});
