/** The run's metrics: the headline ones as cards, every other one in a list, each in its own unit. */
import type { Metrics } from "../api/types";
import { METRICS, formatMetric, metricInfo, tone } from "../format";

const SKIP = new Set(["warnings"]);

export function MetricCards({ metrics }: { metrics: Metrics }) {
  const values = metrics as unknown as Record<string, unknown>;
  const cards = METRICS.filter((m) => m.card && m.key in values);
  const rest = [
    ...METRICS.filter((m) => !m.card && values[m.key] !== undefined).map((m) => m.key as string),
    ...Object.keys(values).filter((k) => !metricInfo(k) && !SKIP.has(k)),
  ].filter((k) => typeof values[k] === "number" || typeof values[k] === "string" || values[k] === null);
  const warnings = metrics.warnings ?? [];
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
        {cards.map((m) => (
          <div className={`metric-card ${tone(m.key, values[m.key])}`} key={m.key} data-testid={`metric-${m.key}`} title={m.help}>
            <div className="metric-label">{m.label}</div>
            <div className="metric-value">{formatMetric(m.key, values[m.key])}</div>
          </div>
        ))}
      </div>
      {rest.length > 0 && (
        <details className="more-metrics" data-testid="more-metrics">
          <summary>More metrics ({rest.length})</summary>
          <dl>
            {rest.map((k) => (
              <div key={k} className={tone(k, values[k])} data-testid={`more-${k}`}>
                <dt>{metricInfo(k)?.label ?? k.replace(/_/g, " ")}</dt>
                <dd>{formatMetric(k, values[k])}</dd>
              </div>
            ))}
          </dl>
        </details>
      )}
    </section>
  );
}
