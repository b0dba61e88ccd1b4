/**
 * One plain-language rule with inline validation by the server (`POST /strategies/rules/validate`),
 * debounced so typing does not flood it. A rule the grammar cannot read shows the server's words, the
 * rule with a caret under the position where reading stopped, what was expected there and a suggestion.
 */
import { useEffect, useId, useRef, useState } from "react";
import { errorText } from "../api/client";
import { RuleNumbers } from "../research/SweepTargets";
import { describeParsed } from "./describe";
import type { CustomIndicatorDef } from "../api/types";
import { checkRule } from "./ruleChecks";

type Check =
  | { state: "idle" }
  | { state: "checking" }
  | { state: "ok"; parsed: unknown; understood?: string }
  | { state: "invalid"; detail: string; position: number | null; expected: string[]; suggestion: string | null; rule: string }
  | { state: "error"; message: string };

export const RULE_DEBOUNCE_MS = 400;

export function RuleField(props: {
  value: string;
  onChange: (v: string) => void;
  onRemove?: () => void;
  label: string;
  testId?: string;
  /** The strategy's custom indicator nodes: a rule naming one is read with its definition. */
  customs?: CustomIndicatorDef[];
}) {
  const { value, onChange, onRemove, label, testId } = props;
  const customsKey = JSON.stringify(props.customs ?? []);
  const [check, setCheck] = useState<Check>({ state: "idle" });
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const rule = value.trim();
    if (!rule) {
      setCheck({ state: "idle" });
      return;
    }
    const ctrl = new AbortController();
    const timer = setTimeout(async () => {
      setCheck({ state: "checking" });
      try {
        // Shared with the canvas marks: one request per text and set of custom indicators.
        const res = await checkRule(value, JSON.parse(customsKey) as CustomIndicatorDef[]);
        if (ctrl.signal.aborted) return;
        if (res.ok) return setCheck({ state: "ok", parsed: res.parsed, understood: res.understood });
        const { detail, body: b } = res.error;
        setCheck({
          state: "invalid",
          detail,
          position: typeof b.position === "number" ? b.position : null,
          expected: Array.isArray(b.expected) ? b.expected.map(String) : [],
          suggestion: typeof b.suggestion === "string" && b.suggestion ? b.suggestion : null,
          rule: typeof b.rule === "string" ? b.rule : value,
        });
      } catch (e) {
        if (!ctrl.signal.aborted) setCheck({ state: "error", message: errorText(e) });
      }
    }, RULE_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [value, customsKey]);

  const invalid = check.state === "invalid";
  return (
    <div className="rule-field" data-testid={testId}>
      <label htmlFor={id}>{label}</label>
      <div className="row">
        <input
          id={id}
          ref={inputRef}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={invalid}
          aria-describedby={`${id}-status`}
          placeholder="e.g. close crosses above the 50-day EMA"
          data-testid="rule-input"
          spellCheck={false}
        />
        {onRemove && (
          <button type="button" className="icon" onClick={onRemove} aria-label={`Remove ${label}`}>
            ×
          </button>
        )}
      </div>
      <RuleNumbers rule={value} onChange={onChange} />
      <div id={`${id}-status`} aria-live="polite" className="rule-status">
        {check.state === "checking" && <span className="muted">Checking…</span>}
        {check.state === "ok" && (
          <span className="ok" data-testid="rule-ok">
            ✓ Understood{check.understood ? `: ${check.understood}` : check.parsed ? `: ${describeParsed(check.parsed)}` : ""}
          </span>
        )}
        {check.state === "error" && <span className="error">{check.message}</span>}
        {invalid && (
          <div className="rule-error" role="alert" data-testid="rule-error">
            <div className="error">{check.detail}</div>
            {check.position !== null && <CaretLine rule={check.rule} position={check.position} />}
            {check.expected.length > 0 && (
              <div className="muted">Expected: {check.expected.slice(0, 8).join(", ")}</div>
            )}
            {check.suggestion && (
              <div>
                Did you mean:{" "}
                <button
                  type="button"
                  className="link"
                  onClick={() => {
                    onChange(check.suggestion as string);
                    inputRef.current?.focus();
                  }}
                >
                  “{check.suggestion}”
                </button>
              </div>
            )}
          </div>
        )}
      </div>
    </div>
  );
}

const CONTEXT = 24;

/**
 * The rule with a caret under the character where reading stopped. Long rules are cut to the
 * `CONTEXT` characters before that point, so the caret stays visible in a narrow panel.
 *
 * Example: position 46 of "Enter on a 5% price drop from the 20-day movng average" shows
 * "…ice drop from the 20-day movng average" with the caret under the "m" of "movng".
 */
export function CaretLine({ rule, position }: { rule: string; position: number }) {
  const pos = Math.max(0, Math.min(position, rule.length));
  const start = Math.max(0, pos - CONTEXT);
  const prefix = start > 0 ? "…" : "";
  const shown = prefix + rule.slice(start);
  const col = prefix.length + pos - start;
  return (
    <pre className="caret" data-testid="rule-caret" aria-label={`Reading stopped at character ${pos + 1}: “${rule.slice(pos, pos + 20)}”`}>
      {shown}
      {"\n"}
      {" ".repeat(col)}^
    </pre>
  );
}
