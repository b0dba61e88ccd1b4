/**
 * The inspector of a `custom_indicator` node: its name (how rules refer to it, "spread") and its formula in
 * the rule language ("close - SMA(50)"), checked as typed by `POST /indicators/check` with the graph's
 * other custom indicators, and saved to the user's library ("My indicators") on request.
 */
import { useEffect, useState } from "react";
import { api } from "../api/endpoints";
import { errorText } from "../api/client";
import type { CustomIndicatorDef, NodeMeta, StrategyNode } from "../api/types";
import { notifyLibraryChanged } from "./IndicatorLibrary";
import { CaretLine, RULE_DEBOUNCE_MS } from "./RuleField";
import { checkFormula, clearRuleChecks } from "./ruleChecks";

type Check =
  | { state: "idle" }
  | { state: "checking" }
  | { state: "ok"; understood: string }
  | { state: "invalid"; detail: string; position: number | null; formula: string }
  | { state: "error"; message: string };

export function CustomIndicatorFields(props: {
  node: StrategyNode;
  customs: CustomIndicatorDef[];
  set: (patch: Partial<NodeMeta>) => void;
}) {
  const { node, set } = props;
  const name = String(node.meta.name ?? "");
  const formula = String(node.meta.formula ?? "");
  const [check, setCheck] = useState<Check>({ state: "idle" });
  const [saved, setSaved] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  // The others as the checks send them: this node's own (possibly stale) definition left out.
  const othersKey = JSON.stringify(props.customs.filter((c) => c.node_id !== node.id));

  useEffect(() => {
    const def = { name: name.trim(), formula: formula.trim(), node_id: node.id };
    if (!def.name || !def.formula) {
      setCheck({ state: "idle" });
      return;
    }
    let live = true;
    const timer = setTimeout(async () => {
      setCheck({ state: "checking" });
      try {
        const res = await checkFormula(def, JSON.parse(othersKey) as CustomIndicatorDef[]);
        if (!live) return;
        if (res.ok) return setCheck({ state: "ok", understood: res.understood ?? def.formula });
        const b = res.error.body;
        // A name problem has no position in the formula; a formula problem points into it.
        const inFormula = b.rule === def.formula && typeof b.position === "number";
        setCheck({ state: "invalid", detail: res.error.detail, position: inFormula ? (b.position as number) : null, formula: def.formula });
      } catch (e) {
        if (live) setCheck({ state: "error", message: errorText(e) });
      }
    }, RULE_DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [name, formula, node.id, othersKey]);

  async function saveToLibrary() {
    setSaved(null);
    setSaveError(null);
    try {
      const out = await api.saveIndicator(name.trim(), formula.trim());
      clearRuleChecks(); // rules naming it read differently in other strategies now
      notifyLibraryChanged();
      setSaved(out.name);
    } catch (e) {
      setSaveError(errorText(e));
    }
  }

  return (
    <div className="custom-indicator" data-testid="custom-indicator-fields">
      <label>
        Name (rules use it, e.g. “{name || "spread"} crosses above 0”)
        <input value={name} onChange={(e) => set({ name: e.target.value })} placeholder="spread" spellCheck={false} data-testid="custom-name" />
      </label>
      <label>
        Formula
        <input
          value={formula}
          onChange={(e) => set({ formula: e.target.value })}
          placeholder="close - SMA(50)"
          spellCheck={false}
          aria-invalid={check.state === "invalid"}
          data-testid="custom-formula"
        />
      </label>
      <div aria-live="polite" className="rule-status">
        {check.state === "checking" && <span className="muted">Checking…</span>}
        {check.state === "ok" && (
          <span className="ok" data-testid="custom-ok">
            ✓ {name.trim()} = {check.understood}
          </span>
        )}
        {check.state === "error" && <span className="error">{check.message}</span>}
        {check.state === "invalid" && (
          <div className="rule-error" role="alert" data-testid="custom-error">
            <div className="error">{check.detail}</div>
            {check.position !== null && <CaretLine rule={check.formula} position={check.position} />}
          </div>
        )}
      </div>
      <div className="row">
        <button type="button" disabled={check.state !== "ok"} onClick={() => void saveToLibrary()} data-testid="custom-save-library">
          Save to My indicators
        </button>
        {saved && (
          <span className="ok small" data-testid="custom-saved">
            Saved “{saved}”: usable in every strategy
          </span>
        )}
        {saveError && (
          <span className="error small" role="alert">
            {saveError}
          </span>
        )}
      </div>
    </div>
  );
}
