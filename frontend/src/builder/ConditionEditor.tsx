/** The structured form of a condition node: rows of `left op right`, for users who prefer not to type rules. */
import type { Condition, Operand } from "../api/types";

const NO_PERIOD = new Set(["price", "close", "open", "high_price", "low_price", "volume", "value"]);

function OperandEditor(props: {
  value: Operand;
  onChange: (o: Operand) => void;
  indicators: string[];
  allowValue: boolean;
  label: string;
}) {
  const { value, onChange, indicators, allowValue, label } = props;
  const isValue = allowValue && value.indicator === undefined;
  return (
    <span className="operand">
      <select
        aria-label={`${label} kind`}
        value={isValue ? "__value" : value.indicator ?? indicators[0]}
        onChange={(e) =>
          e.target.value === "__value"
            ? onChange({ value: value.value ?? 0 })
            : NO_PERIOD.has(e.target.value)
              ? onChange({ indicator: e.target.value })
              : onChange({ indicator: e.target.value, period: value.period ?? 20 })
        }
      >
        {allowValue && <option value="__value">number</option>}
        {indicators.map((i) => (
          <option key={i} value={i}>
            {i}
          </option>
        ))}
      </select>
      {isValue ? (
        <input
          type="number"
          aria-label={`${label} value`}
          value={value.value ?? 0}
          step="any"
          onChange={(e) => onChange({ value: Number(e.target.value) })}
        />
      ) : (
        !NO_PERIOD.has(value.indicator ?? "") && (
          <input
            type="number"
            aria-label={`${label} period`}
            min={1}
            value={value.period ?? 20}
            onChange={(e) => onChange({ ...value, period: Math.max(1, Math.round(Number(e.target.value))) })}
          />
        )
      )}
    </span>
  );
}

export function ConditionEditor(props: {
  conditions: Condition[];
  onChange: (c: Condition[]) => void;
  indicators: string[];
  ops: string[];
}) {
  const { conditions, onChange, indicators, ops } = props;
  const update = (i: number, c: Condition) => onChange(conditions.map((x, j) => (j === i ? c : x)));
  return (
    <fieldset className="conditions" data-testid="condition-editor">
      <legend>Structured conditions</legend>
      {conditions.length === 0 && <p className="muted">No structured conditions. Rules above are used.</p>}
      {conditions.map((c, i) => (
        <div className="condition-row" key={i} data-testid="condition-row">
          <OperandEditor
            label={`Condition ${i + 1} left`}
            value={c.left}
            indicators={indicators}
            allowValue={false}
            onChange={(left) => update(i, { ...c, left })}
          />
          <select aria-label={`Condition ${i + 1} operator`} value={c.op} onChange={(e) => update(i, { ...c, op: e.target.value })}>
            {ops.map((o) => (
              <option key={o} value={o}>
                {o.replace(/_/g, " ")}
              </option>
            ))}
          </select>
          <OperandEditor
            label={`Condition ${i + 1} right`}
            value={c.right}
            indicators={indicators}
            allowValue
            onChange={(right) => update(i, { ...c, right })}
          />
          <button
            type="button"
            className="icon"
            aria-label={`Remove condition ${i + 1}`}
            onClick={() => onChange(conditions.filter((_, j) => j !== i))}
          >
            ×
          </button>
        </div>
      ))}
      <button
        type="button"
        onClick={() =>
          onChange([
            ...conditions,
            { left: { indicator: indicators[0] ?? "price", period: 20 }, op: ops[0] ?? "above", right: { value: 0 } },
          ])
        }
      >
        + Add condition
      </button>
    </fieldset>
  );
}
