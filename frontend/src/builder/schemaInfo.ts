/**
 * Reads what the builder needs from the server's JSON Schema of a strategy graph: the node types, and
 * the indicators and operators of the structured condition form. The schema's exact layout may evolve,
 * so this walks it looking for `type`/`indicator`/`op` properties with `const`/`enum` values and falls
 * back to the documented lists.
 */
import type { NodeType } from "../api/types";

export const NODE_LABELS: Record<string, string> = {
  entry_condition: "Entry condition",
  exit_condition: "Exit condition",
  short_entry_condition: "Short entry",
  short_exit_condition: "Short exit",
  take_profit: "Take profit",
  stop_loss: "Stop loss",
  trailing_stop: "Trailing stop",
  position_sizing: "Position sizing",
  custom_indicator: "Custom indicator",
};

export const DEFAULT_NODE_TYPES: NodeType[] = [
  "entry_condition",
  "exit_condition",
  "take_profit",
  "stop_loss",
  "trailing_stop",
  "position_sizing",
  "custom_indicator",
];
export const DEFAULT_INDICATORS = ["sma", "ema", "rsi", "highest", "lowest", "volume_sma"];
export const DEFAULT_PRICES = ["open", "high", "low", "close", "volume"];
export const DEFAULT_OPS = ["above", "below", "crosses_above", "crosses_below"];

export type SchemaInfo = { nodeTypes: string[]; indicators: string[]; prices: string[]; ops: string[] };

type Json = Record<string, unknown>;

function valuesOf(prop: unknown): string[] {
  if (!prop || typeof prop !== "object") return [];
  const p = prop as Json;
  const out: string[] = [];
  if (typeof p.const === "string") out.push(p.const);
  if (Array.isArray(p.enum)) out.push(...p.enum.filter((v): v is string => typeof v === "string"));
  for (const k of ["anyOf", "oneOf"]) {
    if (Array.isArray(p[k])) for (const sub of p[k] as unknown[]) out.push(...valuesOf(sub));
  }
  return out;
}

function walk(node: unknown, visit: (obj: Json) => void, seen = new Set<unknown>()): void {
  if (!node || typeof node !== "object" || seen.has(node)) return;
  seen.add(node);
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit, seen);
    return;
  }
  visit(node as Json);
  for (const v of Object.values(node as Json)) walk(v, visit, seen);
}

/** Resolve a local `$ref` like "#/$defs/Operator" so enums kept in definitions are found. */
function deref(root: Json, prop: unknown): unknown {
  if (prop && typeof prop === "object" && typeof (prop as Json).$ref === "string") {
    const path = ((prop as Json).$ref as string).replace(/^#\//, "").split("/");
    let cur: unknown = root;
    for (const part of path) cur = cur && typeof cur === "object" ? (cur as Json)[part] : undefined;
    return cur;
  }
  return prop;
}

export function schemaInfo(schema: Json | null | undefined): SchemaInfo {
  const types = new Set<string>();
  const indicators = new Set<string>();
  const ops = new Set<string>();
  const prices = new Set<string>();
  if (schema) {
    walk(schema, (obj) => {
      const props = obj.properties;
      if (!props || typeof props !== "object") return;
      const p = props as Json;
      for (const v of valuesOf(deref(schema, p.type))) if (v in NODE_LABELS || v.endsWith("_condition")) types.add(v);
      for (const v of valuesOf(deref(schema, p.indicator))) indicators.add(v);
      for (const v of valuesOf(deref(schema, p.op))) ops.add(v);
      for (const v of valuesOf(deref(schema, p.price))) prices.add(v);
    });
  }
  // Palette order: the documented one, then any type the server added.
  const rank = (t: string) => {
    const i = (DEFAULT_NODE_TYPES as string[]).indexOf(t);
    return i < 0 ? DEFAULT_NODE_TYPES.length : i;
  };
  return {
    nodeTypes: types.size ? [...types].sort((a, b) => rank(a) - rank(b)) : DEFAULT_NODE_TYPES,
    indicators: indicators.size ? [...indicators] : DEFAULT_INDICATORS,
    prices: prices.size ? [...prices] : DEFAULT_PRICES,
    ops: ops.size ? [...ops] : DEFAULT_OPS,
  };
}

export function nodeLabel(type: string): string {
  return NODE_LABELS[type] ?? type.replace(/_/g, " ");
}

export function defaultMeta(type: string): Record<string, unknown> {
  switch (type) {
    case "entry_condition":
    case "short_entry_condition":
      return { rules: [""], combine: "all" };
    case "exit_condition":
    case "short_exit_condition":
      return { rules: [""], combine: "any" };
    case "take_profit":
      return { target_pct: 10 };
    case "stop_loss":
      return { stop_pct: 5 };
    case "trailing_stop":
      return { trail_pct: 5 };
    case "position_sizing":
      return { method: "equal", value: 1 };
    case "custom_indicator":
      return { name: "", formula: "close - SMA(50)" };
    default:
      return {};
  }
}
