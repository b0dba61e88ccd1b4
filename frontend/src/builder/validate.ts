/**
 * What is wrong with the strategy on the canvas, node by node, found while it is edited: the same limits
 * the server holds on save (an impossible stop is refused there with a 422 naming the node), plus the gaps
 * of an unfinished draft. Rule wording is checked by the server (`useRuleIssues`); this module checks
 * the numbers and the shape.
 *
 * Example: a stop-loss of -5 gives `{ nodeId: "sl", field: "stop_pct", message: "Stop must be above 0%
 * (it is −5%)", blocking: true }`; a 150 % one "Stop must be below 100% ...".
 */
import type { StrategyIssue, StrategyNode } from "../api/types";
import { formatNumber } from "../format";
import { nodeLabel } from "./schemaInfo";

export type NodeIssue = { nodeId: string; field?: string; message: string; blocking: boolean };

const ENTRY_TYPES = ["entry_condition", "short_entry_condition"];

/** Percent fields of the price-exit nodes: [label, upper bound (exclusive) or null]. */
export const PCT_LIMITS: Record<string, { label: string; upper: number | null }> = {
  stop_pct: { label: "Stop", upper: 100 },
  trail_pct: { label: "Trail", upper: 100 },
  target_pct: { label: "Target", upper: null },
};

/** The problem with one percent value, or null. */
export function pctProblem(field: string, value: unknown): string | null {
  const limit = PCT_LIMITS[field];
  if (!limit || value === undefined || value === null) return null;
  if (typeof value !== "number" || Number.isNaN(value)) return `${limit.label} needs a number`;
  const shown = `${formatNumber(value, 2).replace(/\.00$/, "")}%`;
  if (!(value > 0)) return `${limit.label} must be above 0% (it is ${shown})`;
  if (limit.upper !== null && value >= limit.upper) return `${limit.label} must be below ${limit.upper}% (it is ${shown})`;
  return null;
}

export function nodeProblems(nodes: StrategyNode[]): NodeIssue[] {
  const out: NodeIssue[] = [];
  for (const n of nodes) {
    const meta = n.meta ?? {};
    if (n.type.endsWith("_condition")) {
      const rules = (meta.rules ?? []).filter((r) => r.trim());
      if (!rules.length && !(meta.conditions ?? []).length)
        out.push({ nodeId: n.id, field: "rules", message: `${nodeLabel(n.type)} needs at least one rule`, blocking: true });
    }
    if (n.type === "custom_indicator") {
      if (!String(meta.name ?? "").trim())
        out.push({ nodeId: n.id, field: "meta.name", message: "Custom indicator needs a name (rules use it)", blocking: true });
      if (!String(meta.formula ?? "").trim())
        out.push({ nodeId: n.id, field: "meta.formula", message: "Custom indicator needs a formula, e.g. close - SMA(50)", blocking: true });
    }
    for (const field of Object.keys(PCT_LIMITS)) {
      if (!(field in meta)) continue;
      const problem = pctProblem(field, meta[field]);
      if (problem) out.push({ nodeId: n.id, field, message: problem, blocking: true });
    }
    if (n.type === "position_sizing" && meta.method && meta.method !== "equal") {
      const v = meta.value;
      if (typeof v !== "number" || !(v > 0)) out.push({ nodeId: n.id, field: "value", message: "Sizing needs a value above 0", blocking: true });
      else if (meta.method === "fixed_fraction" && v > 1)
        out.push({ nodeId: n.id, field: "value", message: "A fraction of equity is at most 1", blocking: true });
    }
  }
  if (nodes.length && !nodes.some((n) => ENTRY_TYPES.includes(n.type)))
    out.push({ nodeId: "", message: "Add an entry condition: without one nothing is ever bought", blocking: true });
  return out;
}

/** The server's issues from the last save, in the same shape. */
export function fromServer(issues: StrategyIssue[]): NodeIssue[] {
  return issues.map((i) => ({ nodeId: i.node_id, field: i.field ?? undefined, message: i.detail, blocking: i.blocking }));
}

export function byNode(issues: NodeIssue[]): Map<string, NodeIssue[]> {
  const out = new Map<string, NodeIssue[]>();
  for (const i of issues) out.set(i.nodeId, [...(out.get(i.nodeId) ?? []), i]);
  return out;
}

/** One line per problem that stops a run, naming the node: "Node 'sl': Stop must be above 0% (it is −5%)". */
export function blockers(issues: NodeIssue[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const i of issues.filter((x) => x.blocking)) {
    const text = i.nodeId && !i.message.startsWith("Node '") ? `Node '${i.nodeId}': ${i.message}` : i.message;
    if (!seen.has(text)) {
      seen.add(text);
      out.push(text);
    }
  }
  return out;
}
