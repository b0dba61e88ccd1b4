import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import type { Metrics } from "../api/types";
import { MetricCards } from "./MetricCards";

const METRICS = {
  total_return: -3.21,
  cagr: -0.36,
  sharpe_ratio: 0.01,
  max_drawdown: -18.25,
  trades: 7,
  win_rate: 42.857,
  vs_benchmark: -124.47,
  bars: 2264,
  avg_win: 7.52,
  start: "2010-01-04T00:00:00Z",
  max_drawdown_recovery: null,
  warnings: ["Only 7 trades: the statistics are fragile."],
} as unknown as Metrics;

describe("MetricCards", () => {
  it("shows cards in their units, coloured only where the sign means good", () => {
    render(<MetricCards metrics={METRICS} />);
    expect(screen.getByTestId("metric-total_return")).toHaveTextContent("Total return−3.21%");
    expect(screen.getByTestId("metric-total_return")).toHaveClass("negative");
    expect(screen.getByTestId("metric-sharpe_ratio")).toHaveTextContent("0.01");
    expect(screen.getByTestId("metric-sharpe_ratio")).toHaveClass("neutral");
    expect(screen.getByTestId("metric-vs_benchmark")).toHaveTextContent("−124.47 pp");
    expect(screen.getByTestId("metric-win_rate")).toHaveTextContent("42.86%");
    expect(screen.queryByTestId("metric-sortino_ratio")).toBeNull();
    expect(screen.getByTestId("warnings")).toHaveTextContent("Only 7 trades");
  });

  it("lists the other metrics with labels, units and dates", () => {
    render(<MetricCards metrics={METRICS} />);
    const more = screen.getByTestId("more-metrics");
    expect(within(more).getByTestId("more-bars")).toHaveTextContent("Bars2,264");
    expect(within(more).getByTestId("more-avg_win")).toHaveTextContent("Average win+7.52%");
    expect(within(more).getByTestId("more-start")).toHaveTextContent("First bar2010-01-04");
    expect(within(more).getByTestId("more-max_drawdown_recovery")).toHaveTextContent("Recovered on—");
  });
});
