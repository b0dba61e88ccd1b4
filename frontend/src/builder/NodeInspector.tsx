/** Edits the selected node's meta: rules (validated), combine, structured conditions, percentages, sizing. */
import type { Condition, NodeMeta, StrategyNode } from "../api/types";
import { ConditionEditor } from "./ConditionEditor";
import { RuleField } from "./RuleField";
import { nodeLabel, type SchemaInfo } from "./schemaInfo";

function PctField(props: { label: string; value: number | undefined; onChange: (v: number) => void; testId: string }) {
  return (
    <label>
      {props.label}
      <span className="with-unit">
        <input
          type="number"
          min={0}
          step="0.1"
          value={props.value ?? ""}
          onChange={(e) => props.onChange(Number(e.target.value))}
          data-testid={props.testId}
        />
        <span aria-hidden="true">%</span>
      </span>
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
  const isCondition = node.type.endsWith("_condition"); // long and short entries and exits
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
                value={meta.combine ?? (node.type.endsWith("exit_condition") ? "any" : "all")}
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
      {node.type === "take_profit" && meta.target_atr === undefined && (
        <PctField label="Target" value={meta.target_pct} onChange={(v) => set({ target_pct: v })} testId="target-pct" />
      )}
      {node.type === "stop_loss" && meta.stop_atr === undefined && (
        <PctField label="Stop" value={meta.stop_pct} onChange={(v) => set({ stop_pct: v })} testId="stop-pct" />
      )}
      {node.type === "trailing_stop" && meta.trail_atr === undefined && (
        <PctField label="Trail" value={meta.trail_pct} onChange={(v) => set({ trail_pct: v })} testId="trail-pct" />
      )}
      {(["target_atr", "stop_atr", "trail_atr"] as const).map((key) =>
        meta[key] === undefined ? null : (
          <label key={key}>
            Distance in ATR({meta.atr_period ?? 14}) multiples
            <input type="number" min={0} step="any" value={meta[key] ?? ""} onChange={(e) => set({ [key]: Number(e.target.value) })} />
          </label>
        ),
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

/** A one-line summary of a node, shown on the canvas. */
export function nodeSummary(node: StrategyNode): string {
  const m = node.meta;
  switch (node.type) {
    case "entry_condition":
    case "exit_condition":
    case "short_entry_condition":
    case "short_exit_condition": {
      const rules = (m.rules ?? []).filter((r) => r.trim());
      const n = (m.conditions ?? []).length;
      const parts = [...rules];
      if (n) parts.push(`${n} structured condition${n > 1 ? "s" : ""}`);
      return parts.length ? parts.join(m.combine === "any" ? " OR " : " AND ") : "No rule yet";
    }
    case "take_profit":
      return m.target_atr !== undefined ? `+${m.target_atr} ATR` : `+${m.target_pct ?? "?"}%`;
    case "stop_loss":
      return m.stop_atr !== undefined ? `−${m.stop_atr} ATR` : `−${m.stop_pct ?? "?"}%`;
    case "trailing_stop":
      return m.trail_atr !== undefined ? `trail ${m.trail_atr} ATR` : `trail ${m.trail_pct ?? "?"}%`;
    case "position_sizing":
      return `${m.method ?? "equal"}${m.value !== undefined ? ` ${m.value}` : ""}`;
    default:
      return "";
  }
}
