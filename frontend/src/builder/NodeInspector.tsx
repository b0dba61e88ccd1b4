/** Edits the selected node's meta: rules (validated), combine, structured conditions, percentages, sizing. */
import type { Condition, NodeMeta, StrategyNode } from "../api/types";
import { ConditionEditor } from "./ConditionEditor";
import { RuleField } from "./RuleField";
import { nodeLabel, type SchemaInfo } from "./schemaInfo";
import { PCT_LIMITS, pctProblem } from "./validate";
import { formatNumber } from "../format";

function PctField(props: { field: string; label: string; value: number | undefined; onChange: (v: number) => void; testId: string }) {
  const problem = pctProblem(props.field, props.value);
  const limit = PCT_LIMITS[props.field];
  return (
    <label>
      {props.label}
      <span className="with-unit">
        <input
          type="number"
          min={0}
          max={limit?.upper ?? undefined}
          step="0.1"
          value={props.value === undefined || Number.isNaN(props.value) ? "" : props.value}
          onChange={(e) => props.onChange(e.target.value === "" ? NaN : Number(e.target.value))}
          aria-invalid={problem ? true : undefined}
          data-testid={props.testId}
        />
        <span aria-hidden="true">%</span>
      </span>
      {problem && (
        <span className="error small" role="alert" data-testid={`${props.testId}-error`}>
          {problem}
        </span>
      )}
    </label>
  );
}

export function NodeInspector(props: {
  node: StrategyNode;
  info: SchemaInfo;
  onChange: (meta: NodeMeta) => void;
  onDelete: () => void;
}) {
  const { node, info, onChange, onDelete } = props;
  const meta = node.meta;
  const set = (patch: Partial<NodeMeta>) => onChange({ ...meta, ...patch });
  const isCondition = node.type.endsWith("_condition");
  const rules = meta.rules ?? [];

  return (
    <section className="inspector" aria-label={`${nodeLabel(node.type)} settings`} data-testid="inspector">
      <header className="row spread">
        <h3>{nodeLabel(node.type)}</h3>
        <button type="button" className="danger small" onClick={onDelete} data-testid="delete-node">
          Delete node
        </button>
      </header>
      <p className="muted small">id: {node.id}</p>
      {isCondition && (
        <>
          {rules.map((r, i) => (
            <RuleField
              key={i}
              label={`Rule ${i + 1}`}
              value={r}
              testId={`rule-field-${i}`}
              onChange={(v) => set({ rules: rules.map((x, j) => (j === i ? v : x)) })}
              onRemove={rules.length > 1 ? () => set({ rules: rules.filter((_, j) => j !== i) }) : undefined}
            />
          ))}
          <div className="row">
            <button type="button" onClick={() => set({ rules: [...rules, ""] })} data-testid="add-rule">
              + Add rule
            </button>
            <label className="inline">
              Combine
              <select
                value={meta.combine ?? (node.type === "exit_condition" ? "any" : "all")}
                onChange={(e) => set({ combine: e.target.value as "all" | "any" })}
                data-testid="combine"
              >
                <option value="all">all rules (AND)</option>
                <option value="any">any rule (OR)</option>
              </select>
            </label>
          </div>
          <ConditionEditor
            conditions={meta.conditions ?? []}
            indicators={info.indicators}
            prices={info.prices}
            ops={info.ops}
            onChange={(c: Condition[]) => set({ conditions: c })}
          />
        </>
      )}
      {node.type === "take_profit" && (
        <PctField field="target_pct" label="Target (above the entry)" value={meta.target_pct} onChange={(v) => set({ target_pct: v })} testId="target-pct" />
      )}
      {node.type === "stop_loss" && (
        <PctField field="stop_pct" label="Stop (below the entry)" value={meta.stop_pct} onChange={(v) => set({ stop_pct: v })} testId="stop-pct" />
      )}
      {node.type === "trailing_stop" && (
        <PctField field="trail_pct" label="Trail (below the best price)" value={meta.trail_pct} onChange={(v) => set({ trail_pct: v })} testId="trail-pct" />
      )}
      {node.type === "position_sizing" && (
        <>
          <label>
            Method
            <select value={meta.method ?? "equal"} onChange={(e) => set({ method: e.target.value as NodeMeta["method"] })}>
              <option value="equal">equal (all cash, split across symbols)</option>
              <option value="fixed_fraction">fixed fraction of equity</option>
              <option value="fixed_amount">fixed cash amount</option>
            </select>
          </label>
          <label>
            Value
            <input type="number" min={0} step="any" value={meta.value ?? ""} onChange={(e) => set({ value: Number(e.target.value) })} />
          </label>
        </>
      )}
    </section>
  );
}

/** A percent as typed, without padding zeros, with a real minus sign: 5 -> "5%", -5 -> "−5%". */
function typedPct(v: unknown): string {
  if (typeof v !== "number" || Number.isNaN(v)) return "?%";
  return `${formatNumber(v, 2).replace(/\.?0+$/, "")}%`;
}

/** A one-line summary of a node, shown on the canvas. */
export function nodeSummary(node: StrategyNode): string {
  const m = node.meta;
  if (node.type.endsWith("_condition")) {
    const rules = (m.rules ?? []).filter((r) => r.trim());
    const n = (m.conditions ?? []).length;
    const parts = [...rules];
    if (n) parts.push(`${n} structured condition${n > 1 ? "s" : ""}`);
    return parts.length ? parts.join(m.combine === "any" ? " OR " : " AND ") : "No rule yet";
  }
  switch (node.type) {
    case "take_profit":
      return `target ${typedPct(m.target_pct)} above entry`;
    case "stop_loss":
      return `stop ${typedPct(m.stop_pct)} below entry`;
    case "trailing_stop":
      return `trail ${typedPct(m.trail_pct)} below the best price`;
    case "position_sizing":
      return `${(m.method ?? "equal").replace(/_/g, " ")}${m.value !== undefined ? ` ${m.value}` : ""}`;
    default:
      return "";
  }
}
