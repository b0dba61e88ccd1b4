/**
 * The builder's way into a sweep: under a rule, its numbers as buttons (click one to make it a named
 * parameter `{name=value}` with a range), and in a node's settings, its numeric fields (`sl.stop_pct`).
 * Both edit the page's grid through `SweepGridContext`; without one (another page, a test) they render nothing.
 */
import { useState } from "react";
import type { NodeMeta, StrategyNode } from "../api/types";
import { RangeEditor } from "./RangeEditor";
import {
  PARAM_NAME_RE,
  SWEEPABLE_FIELDS,
  describeSpec,
  num,
  parameterize,
  ruleTokens,
  suggestName,
  suggestRange,
  unparameterize,
  type GridSpec,
} from "./grid";
import { useSweepGrid } from "./useSweep";

type Editing = { kind: "number"; start: number; end: number; value: number } | { kind: "param"; name: string; value: number };

/** The rule's numbers and parameters, clickable; `onChange` rewrites the rule. */
export function RuleNumbers({ rule, onChange }: { rule: string; onChange: (rule: string) => void }) {
  const ctx = useSweepGrid();
  const [editing, setEditing] = useState<Editing | null>(null);
  if (!ctx || !rule.trim()) return null;
  const tokens = ruleTokens(rule);
  if (!tokens.some((t) => t.kind !== "text")) return null;
  const taken = new Set([...ctx.ruleParams.keys(), ...Object.keys(ctx.grid)]);

  const nameProblem = (value: number) => (name: string) => {
    if (!PARAM_NAME_RE.test(name)) return "A name is letters, digits and _ (not starting with a digit).";
    const other = ctx.ruleParams.get(name);
    // One name in several places is one parameter: the server refuses two defaults for it.
    if (other !== undefined && other !== value) return `“${name}” is already a parameter with the default ${num(other)}: choose another name.`;
    if (other === undefined && name in ctx.grid) return `“${name}” is already swept: choose another name.`;
    return null;
  };

  return (
    <div className="rule-numbers small" data-testid="rule-numbers">
      <span className="muted">Sweep a number: </span>
      {tokens.map((t, i) => {
        if (t.kind === "text") return <span key={i} className="muted">{t.text}</span>;
        if (t.kind === "number")
          return (
            <button
              type="button"
              key={i}
              className="num-chip"
              onClick={() => setEditing({ kind: "number", start: t.start, end: t.end, value: t.value })}
              title={`Sweep ${t.text}: make it a named parameter with a range of values`}
              data-testid="rule-number"
              data-value={t.text}
            >
              {t.text}
            </button>
          );
        const spec = ctx.grid[t.name];
        return (
          <button
            type="button"
            key={i}
            className={`num-chip param${spec ? " swept" : ""}`}
            onClick={() => setEditing({ kind: "param", name: t.name, value: t.value })}
            title={spec ? `${t.name}: ${describeSpec(spec)}` : `${t.name} = ${num(t.value)} (not swept: click to give it a range)`}
            data-testid={`rule-param-${t.name}`}
          >
            {t.name}={num(t.value)}
            {spec && <span className="chip-range"> ⇢ {describeSpec(spec)}</span>}
          </button>
        );
      })}
      {editing?.kind === "number" && (
        <RangeEditor
          key={`n${editing.start}`}
          title={`Sweep the ${num(editing.value)} of this rule`}
          name={suggestName(rule, editing.start, editing.end, taken)}
          nameEditable
          nameProblem={nameProblem(editing.value)}
          initial={suggestRange(editing.value)}
          onCancel={() => setEditing(null)}
          onApply={(name, spec) => {
            onChange(parameterize(rule, editing.start, editing.end, name));
            ctx.setSpec(name, spec);
            setEditing(null);
          }}
        />
      )}
      {editing?.kind === "param" && (
        <RangeEditor
          key={`p${editing.name}`}
          title={`Sweep ${editing.name} (default ${num(editing.value)})`}
          name={editing.name}
          initial={ctx.grid[editing.name] ?? suggestRange(editing.value)}
          onCancel={() => setEditing(null)}
          onApply={(name, spec) => {
            ctx.setSpec(name, spec);
            setEditing(null);
          }}
        >
          {ctx.grid[editing.name] && (
            <button
              type="button"
              onClick={() => {
                ctx.remove(editing.name);
                setEditing(null);
              }}
              title="Keep the name in the rule; runs use its default"
              data-testid="range-unsweep"
            >
              Stop sweeping
            </button>
          )}
          <button
            type="button"
            className="danger"
            onClick={() => {
              onChange(unparameterize(rule, editing.name));
              // Any other rule using the name keeps it at its default, unswept.
              ctx.remove(editing.name);
              setEditing(null);
            }}
            data-testid="range-plain"
          >
            Back to a plain number
          </button>
        </RangeEditor>
      )}
    </div>
  );
}

const FIELD_LABELS: Record<string, string> = {
  stop_pct: "stop (%)",
  stop_atr: "stop (ATRs)",
  target_pct: "target (%)",
  target_atr: "target (ATRs)",
  trail_pct: "trail (%)",
  trail_atr: "trail (ATRs)",
  atr_period: "ATR period",
};

/** A node's numeric fields that a sweep can vary, each with its range or a button to give it one. */
export function NodeSweepFields({ node, meta }: { node: StrategyNode; meta: NodeMeta }) {
  const ctx = useSweepGrid();
  const [editing, setEditing] = useState<string | null>(null);
  if (!ctx) return null;
  const inAtr = Object.keys(meta).some((k) => k.endsWith("_atr") && typeof meta[k] === "number");
  const fields = (SWEEPABLE_FIELDS[node.type] ?? []).filter(
    (f) => typeof meta[f] === "number" && !Number.isNaN(meta[f]) && (f !== "atr_period" || inAtr),
  );
  if (!fields.length) return null;
  return (
    <div className="node-sweep small" data-testid="node-sweep">
      <h4>Sweep</h4>
      {fields.map((f) => {
        const path = `${node.id}.${f}`;
        const spec: GridSpec | undefined = ctx.grid[path];
        const value = meta[f] as number;
        return (
          <div key={f}>
            <div className="row">
              <span>
                {FIELD_LABELS[f] ?? f} <code>{path}</code> = {num(value)}
              </span>
              {spec && <span className="chip-range" data-testid={`field-range-${f}`}>⇢ {describeSpec(spec)}</span>}
              <button type="button" className="small" onClick={() => setEditing(f)} data-testid={`sweep-field-${f}`}>
                {spec ? "Edit range" : "Sweep…"}
              </button>
            </div>
            {editing === f && (
              <RangeEditor
                title={`Sweep ${path}`}
                name={path}
                initial={spec ?? suggestRange(value)}
                onCancel={() => setEditing(null)}
                onApply={(name, s) => {
                  ctx.setSpec(name, s);
                  setEditing(null);
                }}
              >
                {spec && (
                  <button
                    type="button"
                    onClick={() => {
                      ctx.remove(path);
                      setEditing(null);
                    }}
                    data-testid="range-unsweep"
                  >
                    Stop sweeping
                  </button>
                )}
              </RangeEditor>
            )}
          </div>
        );
      })}
    </div>
  );
}
