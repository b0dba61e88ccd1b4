/**
 * The user's custom indicator library (`/indicators`): named formulas in the rule language ("spread" =
 * "close - SMA(50)") that every strategy's rules may use by name. The server checks each like a node (a bad
 * name, an unknown name or a circle is refused with its words); a strategy's own custom indicator of the
 * same name wins in that strategy.
 */
import { useEffect, useState, type FormEvent } from "react";
import { api } from "../api/endpoints";
import type { SavedIndicator } from "../api/types";
import { clearRuleChecks } from "./ruleChecks";

// A node's "Save to My indicators" changes the library outside this list: it reloads when told.
const listeners = new Set<() => void>();

export function notifyLibraryChanged(): void {
  for (const l of listeners) l();
}

export function IndicatorLibrary() {
  const [items, setItems] = useState<SavedIndicator[] | null>(null);
  const [name, setName] = useState("");
  const [formula, setFormula] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    const load = () =>
      api.listIndicators().then(
        (found) => live && setItems(found),
        (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
      );
    void load();
    listeners.add(load);
    return () => {
      live = false;
      listeners.delete(load);
    };
  }, []);

  async function change(action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      setItems(await api.listIndicators());
      clearRuleChecks(); // rules naming an indicator read differently once it exists (or is gone)
      return true;
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    if (await change(() => api.saveIndicator(name.trim(), formula.trim()))) {
      setName("");
      setFormula("");
    }
  }

  return (
    <section aria-label="My indicators" data-testid="indicator-library">
      <h3>My indicators</h3>
      <p className="muted small">Usable by name in every strategy, e.g. “spread crosses above 0”.</p>
      {items && items.length > 0 && (
        <ul className="node-list">
          {items.map((i) => (
            <li key={i.id} data-testid={`indicator-${i.name}`}>
              <code>{i.name}</code> = <span className="small">{i.understood}</span>{" "}
              <button
                type="button"
                className="link small"
                disabled={busy}
                aria-label={`Delete ${i.name}`}
                onClick={() => void change(() => api.deleteIndicator(i.name))}
              >
                delete
              </button>
            </li>
          ))}
        </ul>
      )}
      {items && items.length === 0 && <p className="muted small">None saved yet.</p>}
      <form onSubmit={(e) => void save(e)}>
        <input aria-label="Indicator name" placeholder="spread" value={name} onChange={(e) => setName(e.target.value)} />
        <input
          aria-label="Indicator formula"
          placeholder="close - SMA(50)"
          value={formula}
          onChange={(e) => setFormula(e.target.value)}
        />
        <button type="submit" disabled={busy || !name.trim() || !formula.trim()}>
          Save indicator
        </button>
      </form>
      {error && (
        <p className="error small" role="alert" data-testid="indicator-error">
          {error}
        </p>
      )}
    </section>
  );
}
