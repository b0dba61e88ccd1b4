/**
 * The server's reading of each rule (`POST /strategies/rules/validate`), asked once per distinct text and
 * shared by the rule fields (the live "Understood" echo) and the canvas (a mark on the node of a rule it
 * cannot read, and Execute blocked with the reason).
 *
 * A rule may name the strategy's custom indicators ("spread crosses above 0" with a `custom_indicator`
 * node "spread" = "close - SMA(50)"): every check sends the graph's definitions (name, formula, node id),
 * so the answer depends on them and the cache key holds them; renaming a node re-checks the rules. Each
 * custom indicator node's own formula is checked by `POST /indicators/check` (not saved).
 */
import { useEffect, useState } from "react";
import { api } from "../api/endpoints";
import { ApiError } from "../api/client";
import type { CustomIndicatorDef, StrategyNode } from "../api/types";
import type { NodeIssue } from "./validate";

export type RuleCheck = { ok: true; parsed: unknown; understood?: string } | { ok: false; error: ApiError };

const MAX_CACHED = 300;
const cache = new Map<string, Promise<RuleCheck>>();

/** One server answer per key: a 422 is an answer (kept), a network failure is not (asked again). */
function cached(key: string, ask: () => Promise<{ parsed?: unknown; understood?: string }>): Promise<RuleCheck> {
  const known = cache.get(key);
  if (known) return known;
  const pending = ask().then(
    (r): RuleCheck => ({ ok: true, parsed: r.parsed ?? null, understood: r.understood }),
    (e: unknown): RuleCheck => {
      cache.delete(key);
      if (e instanceof ApiError && e.status === 422) {
        cache.set(key, Promise.resolve({ ok: false, error: e }));
        return { ok: false, error: e };
      }
      throw e;
    },
  );
  cache.set(key, pending);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
  return pending;
}

export function checkRule(rule: string, customs: CustomIndicatorDef[] = []): Promise<RuleCheck> {
  const text = rule.trim();
  const key = customs.length ? `rule\u0000${text}\u0000${JSON.stringify(customs)}` : text;
  return cached(key, () => api.validateRule(text, undefined, customs));
}

/** The check of one custom indicator node, read with the graph's other ones (`others`). */
export function checkFormula(def: CustomIndicatorDef, others: CustomIndicatorDef[]): Promise<RuleCheck> {
  const key = `formula\u0000${JSON.stringify([def, others])}`;
  return cached(key, () => api.checkIndicator(def, others));
}

export function clearRuleChecks(): void {
  cache.clear();
}

/** The graph's custom indicator definitions, as the checks send them (nodes without a name or formula yet are left out). */
export function customDefs(nodes: StrategyNode[]): CustomIndicatorDef[] {
  return nodes.flatMap((n) => {
    if (n.type !== "custom_indicator") return [];
    const name = String(n.meta.name ?? "").trim();
    const formula = String(n.meta.formula ?? "").trim();
    return name && formula ? [{ name, formula, node_id: n.id }] : [];
  });
}

/** The node ids of the custom indicators a rule names (word match, case-insensitive, as the language reads names). */
export function customsNamedIn(rule: string, customs: CustomIndicatorDef[]): string[] {
  const words = new Set(rule.toLowerCase().match(/[a-z][a-z0-9_]*/g) ?? []);
  return customs.filter((c) => words.has(c.name.toLowerCase())).map((c) => c.node_id ?? "");
}

type RuleRef = { nodeId: string; index: number; rule: string };

function rulesOf(nodes: StrategyNode[]): RuleRef[] {
  return nodes.flatMap((n) =>
    n.type.endsWith("_condition")
      ? (n.meta.rules ?? []).map((rule, index) => ({ nodeId: n.id, index, rule: rule.trim() })).filter((r) => r.rule)
      : [],
  );
}

function errorNode(res: RuleCheck, fallback: string): string {
  if (res.ok) return fallback;
  const named = res.error.body.node_id;
  return typeof named === "string" && named ? named : fallback;
}

/**
 * Issues of the rules the server cannot read and of the custom indicator nodes it refuses (on the node
 * the refusal names: a circle or an unknown name inside another node is that node's problem), refreshed
 * a moment after typing stops.
 */
export function useRuleIssues(nodes: StrategyNode[], delayMs = 400): NodeIssue[] {
  const [issues, setIssues] = useState<NodeIssue[]>([]);
  const key = JSON.stringify([rulesOf(nodes), customDefs(nodes)]);
  useEffect(() => {
    const [refs, customs] = JSON.parse(key) as [RuleRef[], CustomIndicatorDef[]];
    let live = true;
    const timer = setTimeout(async () => {
      const [ruleResults, formulaResults] = await Promise.all([
        Promise.all(refs.map((r) => checkRule(r.rule, customs).catch(() => null))),
        Promise.all(
          customs.map((c) => checkFormula(c, customs.filter((o) => o !== c)).catch(() => null)),
        ),
      ]);
      if (!live) return;
      const out: NodeIssue[] = refs.flatMap((r, i) => {
        const res = ruleResults[i];
        if (!res || res.ok) return [];
        return [{ nodeId: r.nodeId, field: `rules[${r.index}]`, message: `Rule ${r.index + 1} cannot be read: ${res.error.detail}`, blocking: true }];
      });
      const seen = new Set<string>();
      customs.forEach((c, i) => {
        const res = formulaResults[i];
        if (!res || res.ok) return;
        const nodeId = errorNode(res, c.node_id ?? "");
        const message = res.error.detail;
        if (seen.has(`${nodeId}\u0000${message}`)) return;
        seen.add(`${nodeId}\u0000${message}`);
        out.push({ nodeId, field: "meta.formula", message, blocking: true });
      });
      setIssues(out);
    }, delayMs);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, delayMs]);
  return issues;
}
