/**
 * One plain-language rule with inline validation by the server (`POST /strategies/rules/validate`),
 * debounced so typing does not flood it. A rule the grammar cannot read shows the server's words, the
 * rule with a caret under the position where reading stopped, what was expected there and a suggestion.
 */
import { useEffect, useId, useRef, useState } from "react";
import { api } from "../api/endpoints";
import { ApiError, errorText } from "../api/client";

type Check =
  | { state: "idle" }
  | { state: "checking" }
  | { state: "ok"; parsed: unknown }
  | { state: "invalid"; detail: string; position: number | null; expected: string[]; suggestion: string | null; rule: string }
  | { state: "error"; message: string };

export const RULE_DEBOUNCE_MS = 400;

export function RuleField(props: {
  value: string;
  onChange: (v: string) => void;
  onRemove?: () => void;
  label: string;
  testId?: string;
}) {
  const { value, onChange, onRemove, label, testId } = props;
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
        const res = await api.validateRule(value, ctrl.signal);
        setCheck({ state: "ok", parsed: res.parsed });
      } catch (e) {
        if ((e as Error).name === "AbortError") return;
        if (e instanceof ApiError && e.status === 422) {
          const b = e.body;
          setCheck({
            state: "invalid",
            detail: e.detail,
            position: typeof b.position === "number" ? b.position : null,
            expected: Array.isArray(b.expected) ? b.expected.map(String) : [],
            suggestion: typeof b.suggestion === "string" && b.suggestion ? b.suggestion : null,
            rule: typeof b.rule === "string" ? b.rule : value,
          });
        } else setCheck({ state: "error", message: errorText(e) });
      }
    }, RULE_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctrl.abort();
    };
  }, [value]);

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
      <div id={`${id}-status`} aria-live="polite" className="rule-status">
        {check.state === "checking" && <span className="muted">Checking…</span>}
        {check.state === "ok" && (
          <span className="ok" data-testid="rule-ok">
            ✓ Understood{describeParsed(check.parsed)}
          </span>
        )}
        {check.state === "error" && <span className="error">{check.message}</span>}
        {invalid && (
          <div className="rule-error" role="alert" data-testid="rule-error">
            <div className="error">{check.detail}</div>
            {check.position !== null && (
              <pre className="caret" data-testid="rule-caret" aria-label={`Reading stopped at character ${check.position + 1}`}>
                {check.rule}
                {"\n"}
                {" ".repeat(Math.max(0, check.position))}^
              </pre>
            )}
            {check.expected.length > 0 && (
              <div className="muted">Expected: {check.expected.slice(0, 8).join(", ")}</div>
            )}
            {check.suggestion && (
              <div>
                Did you mean{" "}
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
                ?
              </div>
            )}
          </div>
        )}
      </div>
    </div>
  );
}

/** A short human reading of the parsed rule, when the server gives one. */
function describeParsed(parsed: unknown): string {
  if (!parsed || typeof parsed !== "object") return "";
  const p = parsed as Record<string, unknown>;
  for (const k of ["description", "text", "summary", "kind", "type"]) {
    if (typeof p[k] === "string") return `: ${p[k] as string}`;
  }
  return "";
}
