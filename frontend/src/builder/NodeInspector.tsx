/**
 * Edits the selected node's meta: rules (validated), combine, structured conditions, percentages, sizing,
 * a custom indicator's name and formula.
 */
import type { Condition, CustomIndicatorDef, NodeMeta, StrategyNode } from "../api/types";
import { ConditionEditor } from "./ConditionEditor";
import { CustomIndicatorFields } from "./CustomIndicatorFields";
import { RuleField } from "./RuleField";
import { nodeLabel, type SchemaInfo } from "./schemaInfo";
import { PCT_LIMITS, pctProblem } from "./validate";
import { formatNumber } from "../format";
import { NodeSweepFields } from "../research/SweepTargets";

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

/**
 * A stop or target distance in percent, or in multiples of the ATR at the entry bar (`*_atr` with
 * `atr_period`): the server takes exactly one of the two.
 */
function DistanceField(props: {
  meta: NodeMeta;
  set: (patch: Partial<NodeMeta>) => void;
  pct: string;
  atr: string;
  label: string;
  testId: string;
}) {
  const { meta, set, pct, atr, label, testId } = props;
  const inAtr = typeof meta[atr] === "number";
  const atrValue = meta[atr] as number | undefined;
  const atrProblem = inAtr && !(typeof atrValue === "number" && atrValue > 0 && atrValue <= 100) ? "An ATR multiple must be above 0 and at most 100" : null;
  return (
    <div className="distance">
      <label className="inline">
        Distance in
        <select
          value={inAtr ? "atr" : "pct"}
          onChange={(e) => {
            const next: Partial<NodeMeta> = { ...meta };
            delete next[pct];
            delete next[atr];
            delete next.atr_period;
            if (e.target.value === "atr") set({ ...next, [pct]: undefined, [atr]: 2, atr_period: 14 });
            else set({ ...next, [atr]: undefined, atr_period: undefined, [pct]: 5 });
          }}
          data-testid={`${testId}-unit`}
        >
          <option value="pct">percent</option>
          <option value="atr">ATR multiples</option>
        </select>
      </label>
      {inAtr ? (
        <>
          <label>
            {label}, in ATRs
            <input type="number" min={0.1} max={100} step="0.1" value={Number.isNaN(atrValue) ? "" : (atrValue ?? "")} onChange={(e) => set({ [atr]: e.target.value === "" ? NaN : Number(e.target.value) })} aria-invalid={atrProblem ? true : undefined} />
            {atrProblem && <span className="error small" role="alert">{atrProblem}</span>}
          </label>
          <label>
            ATR period (bars)
            <input type="number" min={1} max={1000} step={1} value={(meta.atr_period as number | undefined) ?? 14} onChange={(e) => set({ atr_period: Math.max(1, Math.round(Number(e.target.value))) })} />
          </label>
        </>
      ) : (
        <PctField field={pct} label={label} value={meta[pct] as number | undefined} onChange={(v) => set({ [pct]: v })} testId={testId} />
      )}
    </div>
  );
}

export function NodeInspector(props: {
  node: StrategyNode;
  info: SchemaInfo;
  onChange: (meta: NodeMeta) => void;
  onDelete: () => void;
  /** The graph's custom indicator definitions (`customDefs`): rules may name them. */
  customs?: CustomIndicatorDef[];
}) {
  const { node, info, onChange, onDelete } = props;
  const customs = props.customs ?? [];
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
              customs={customs}
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
      {node.type === "custom_indicator" && <CustomIndicatorFields node={node} customs={customs} set={set} />}
      {node.type === "take_profit" && (
        <DistanceField meta={meta} set={set} pct="target_pct" atr="target_atr" label="Target (above the entry)" testId="target-pct" />
      )}
      {node.type === "stop_loss" && (
        <DistanceField meta={meta} set={set} pct="stop_pct" atr="stop_atr" label="Stop (below the entry)" testId="stop-pct" />
      )}
      {node.type === "trailing_stop" && (
        <DistanceField meta={meta} set={set} pct="trail_pct" atr="trail_atr" label="Trail (below the best price)" testId="trail-pct" />
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
      <NodeSweepFields node={node} meta={meta} />
    </section>
  );
}

/** A percent as typed, without padding zeros, with a real minus sign: 5 -> "5%", -5 -> "−5%". */
function typedPct(v: unknown): string {
  if (typeof v !== "number" || Number.isNaN(v)) return "?%";
  return `${formatNumber(v, 2).replace(/\.?0+$/, "")}%`;
}

function distance(m: NodeMeta, name: string): string {
  const atr = m[`${name}_atr`];
  if (typeof atr === "number") return `${formatNumber(atr, 2).replace(/\.?0+$/, "")} × ATR(${(m.atr_period as number | undefined) ?? 14})`;
  return typedPct(m[`${name}_pct`]);
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
      return `target ${distance(m, "target")} above entry`;
    case "stop_loss":
      return `stop ${distance(m, "stop")} below entry`;
    case "trailing_stop":
      return `trail ${distance(m, "trail")} below the best price`;
    case "custom_indicator":
      return `${String(m.name ?? "").trim() || "?"} = ${String(m.formula ?? "").trim() || "?"}`;
    case "position_sizing":
      return `${(m.method ?? "equal").replace(/_/g, " ")}${m.value !== undefined ? ` ${m.value}` : ""}`;
    default:
      return "";
  }
}
