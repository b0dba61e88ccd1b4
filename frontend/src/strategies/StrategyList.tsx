import { useState } from "react";
import { api } from "../api/endpoints";
import { errorText } from "../api/client";
import { TEMPLATES } from "../builder/templates";
import { navigate } from "../router";
import { useAsync } from "../useAsync";

export function StrategyList() {
  const list = useAsync(() => api.listStrategies(), []);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function remove(id: string, name: string) {
    if (!window.confirm(`Delete strategy “${name}”? Its executions go with it.`)) return;
    setBusy(id);
    setError(null);
    try {
      await api.deleteStrategy(id);
      list.reload();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  }

  return (
    <main className="page" data-testid="strategy-list-page">
      <section className="card">
        <h2>New strategy</h2>
        <div className="templates">
          <button type="button" className="template" onClick={() => navigate("/new/blank")} data-testid="new-blank">
            <strong>Blank canvas</strong>
            <span className="muted">Start from nothing and add nodes from the palette.</span>
          </button>
          {TEMPLATES.map((t) => (
            <button
              type="button"
              key={t.key}
              className="template"
              onClick={() => navigate(`/new/${t.key}`)}
              data-testid={`new-${t.key}`}
            >
              <strong>{t.name}</strong>
              <span className="muted">{t.description}</span>
            </button>
          ))}
        </div>
      </section>
      <section className="card">
        <div className="row spread">
          <h2>Your strategies</h2>
          <button type="button" onClick={list.reload} disabled={list.loading}>
            Refresh
          </button>
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        {list.loading && !list.data && <p className="muted" role="status">Loading strategies…</p>}
        {list.error && (
          <p className="error" role="alert">
            {list.error} <button type="button" onClick={list.reload}>Retry</button>
          </p>
        )}
        {list.data && list.data.length === 0 && (
          <p className="muted" data-testid="strategies-empty">No strategies yet. Pick a template above to start.</p>
        )}
        {list.data && list.data.length > 0 && (
          <ul className="strategy-list" data-testid="strategy-list">
            {list.data.map((s) => (
              <li key={s.id}>
                <a href={`#/s/${encodeURIComponent(s.id)}`}>
                  <strong>{s.name}</strong>
                  <span className="muted small">
                    {s.schema.nodes.length} nodes · updated {new Date(s.updated_at).toLocaleString()}
                  </span>
                </a>
                <button
                  type="button"
                  className="danger small"
                  disabled={busy === s.id}
                  onClick={() => remove(s.id, s.name)}
                  aria-label={`Delete ${s.name}`}
                >
                  Delete
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}
