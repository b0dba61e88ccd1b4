import type { Metrics } from "../api/types";
import { METRICS, formatMetric, tone } from "./format";

const SKIP = new Set(["warnings"]);

export function MetricCards({ metrics }: { metrics: Metrics }) {
  const known = new Set(METRICS.map((m) => m.key));
  const extra = Object.entries(metrics).filter(
    ([k, v]) => !known.has(k) && !SKIP.has(k) && (typeof v === "number" || typeof v === "string"),
  );
  const warnings = Array.isArray(metrics.warnings) ? metrics.warnings : [];
  return (
    <section aria-label="Metrics" data-testid="metrics">
      {warnings.length > 0 && (
        <div className="warnings" role="note" data-testid="warnings">
          <strong>Check before trusting these numbers:</strong>
          <ul>
            {warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="metric-cards">
        {METRICS.filter((m) => m.key in metrics).map((m) => (
          <div className={`metric-card ${tone(m.key, metrics[m.key])}`} key={m.key} data-testid={`metric-${m.key}`}>
            <div className="metric-label">{m.label}</div>
            <div className="metric-value">{formatMetric(m.key, metrics[m.key])}</div>
          </div>
        ))}
      </div>
      {extra.length > 0 && (
        <details className="more-metrics">
          <summary>More metrics ({extra.length})</summary>
          <dl>
            {extra.map(([k, v]) => (
              <div key={k}>
                <dt>{k.replace(/_/g, " ")}</dt>
                <dd>{formatMetric(k, v)}</dd>
              </div>
            ))}
          </dl>
        </details>
      )}
    </section>
  );
}
