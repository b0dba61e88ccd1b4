/**
 * The structured form of a condition node: rows of `left op right`, for users who prefer not to type
 * rules. An operand is a number `{value}`, a price field `{price}` or an indicator `{indicator, period}`;
 * the lists come from the server's schema.
 */
import type { Condition, Operand } from "../api/types";

/** Indicators whose window is not a single `period` keep their server defaults (no period input). */
const NO_PERIOD = new Set(["macd", "macd_signal", "macd_hist"]);

export function operandKey(o: Operand): string {
  if (o.indicator) return `ind:${o.indicator}`;
  if (o.price) return `price:${o.price}`;
  return "value";
}

export function operandFromKey(key: string, prev: Operand): Operand {
  if (key === "value") return { value: typeof prev.value === "number" ? prev.value : 0 };
  const [kind, name] = key.split(":");
  if (kind === "price") return { price: name };
  return NO_PERIOD.has(name) ? { indicator: name } : { indicator: name, period: prev.period ?? 20 };
}

function OperandEditor(props: {
  value: Operand;
  onChange: (o: Operand) => void;
  indicators: string[];
  prices: string[];
  allowValue: boolean;
  label: string;
}) {
  const { value, onChange, indicators, prices, allowValue, label } = props;
  const key = operandKey(value);
  return (
    <span className="operand">
      <select aria-label={`${label} kind`} value={key} onChange={(e) => onChange(operandFromKey(e.target.value, value))}>
        {allowValue && <option value="value">number</option>}
        <optgroup label="Price">
          {prices.map((p) => (
            <option key={p} value={`price:${p}`}>
              {p}
            </option>
          ))}
        </optgroup>
        <optgroup label="Indicator">
          {indicators.map((i) => (
            <option key={i} value={`ind:${i}`}>
              {i.replace(/_/g, " ")}
            </option>
          ))}
        </optgroup>
      </select>
      {key === "value" && (
        <input
          type="number"
          aria-label={`${label} value`}
          value={value.value ?? 0}
          step="any"
          onChange={(e) => onChange({ value: Number(e.target.value) })}
        />
      )}
      {value.indicator && !NO_PERIOD.has(value.indicator) && (
        <input
          type="number"
          aria-label={`${label} period`}
          min={1}
          value={value.period ?? 20}
          onChange={(e) => onChange({ ...value, period: Math.max(1, Math.round(Number(e.target.value))) })}
        />
      )}
    </span>
  );
}

export function ConditionEditor(props: {
  conditions: Condition[];
  onChange: (c: Condition[]) => void;
  indicators: string[];
  prices: string[];
  ops: string[];
}) {
  const { conditions, onChange, indicators, prices, ops } = props;
  const update = (i: number, c: Condition) => onChange(conditions.map((x, j) => (j === i ? c : x)));
  return (
    <fieldset className="conditions" data-testid="condition-editor">
      <legend>Structured conditions</legend>
      {conditions.length === 0 && <p className="muted small">None. Each one added here is combined with the rules above.</p>}
      {conditions.map((c, i) => (
        <div className="condition-row" key={i} data-testid="condition-row">
          <OperandEditor
            label={`Condition ${i + 1} left`}
            value={c.left}
            indicators={indicators}
            prices={prices}
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
            prices={prices}
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
            { left: { price: prices.includes("close") ? "close" : prices[0] }, op: ops[0] ?? "above", right: { indicator: indicators[0] ?? "sma", period: 20 } },
          ])
        }
        data-testid="add-condition"
      >
        + Add condition
      </button>
    </fieldset>
  );
}
