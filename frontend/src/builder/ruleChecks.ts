/**
 * The server's reading of each rule (`POST /strategies/rules/validate`), asked once per distinct text and
 * shared by the rule fields (the live "Understood" echo) and the canvas (a mark on the node of a rule it
 * cannot read, and Execute blocked with the reason).
 */
import { useEffect, useState } from "react";
import { api } from "../api/endpoints";
import { ApiError } from "../api/client";
import type { StrategyNode } from "../api/types";
import type { NodeIssue } from "./validate";

export type RuleCheck = { ok: true; parsed: unknown; understood?: string } | { ok: false; error: ApiError };

const MAX_CACHED = 300;
const cache = new Map<string, Promise<RuleCheck>>();

export function checkRule(rule: string): Promise<RuleCheck> {
  const key = rule.trim();
  const known = cache.get(key);
  if (known) return known;
  const pending = api.validateRule(key).then(
    (r): RuleCheck => ({ ok: true, parsed: r.parsed, understood: (r as { understood?: string }).understood }),
    (e: unknown): RuleCheck => {
      cache.delete(key); // a network failure is not an answer: ask again next time
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

export function clearRuleChecks(): void {
  cache.clear();
}

type RuleRef = { nodeId: string; index: number; rule: string };

function rulesOf(nodes: StrategyNode[]): RuleRef[] {
  return nodes.flatMap((n) =>
    n.type.endsWith("_condition")
      ? (n.meta.rules ?? []).map((rule, index) => ({ nodeId: n.id, index, rule: rule.trim() })).filter((r) => r.rule)
      : [],
  );
}

/** Issues of the rules the server cannot read, refreshed a moment after typing stops. */
export function useRuleIssues(nodes: StrategyNode[], delayMs = 400): NodeIssue[] {
  const [issues, setIssues] = useState<NodeIssue[]>([]);
  const key = JSON.stringify(rulesOf(nodes));
  useEffect(() => {
    const refs: RuleRef[] = JSON.parse(key);
    let live = true;
    const timer = setTimeout(async () => {
      const results = await Promise.all(refs.map((r) => checkRule(r.rule).catch(() => null)));
      if (!live) return;
      setIssues(
        refs.flatMap((r, i) => {
          const res = results[i];
          if (!res || res.ok) return [];
          return [{ nodeId: r.nodeId, field: `rules[${r.index}]`, message: `Rule ${r.index + 1} cannot be read: ${res.error.detail}`, blocking: true }];
        }),
      );
    }, delayMs);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, delayMs]);
  return issues;
}
