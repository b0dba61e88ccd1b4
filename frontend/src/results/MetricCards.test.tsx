import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/react";
import { MetricCards } from "./MetricCards";
import { formatMetric } from "./format";

describe("formatMetric", () => {
  it("reads 25.5 as 25.5 percent, signs returns, and guards odd numbers", () => {
    expect(formatMetric("total_return", 25.5)).toBe("+25.50%");
    expect(formatMetric("total_return", -3.14159)).toBe("−3.14%");
    expect(formatMetric("max_drawdown", -12.3)).toBe("−12.30%");
    expect(formatMetric("win_rate", 55)).toBe("55.00%");
    expect(formatMetric("sharpe_ratio", 1.23456)).toBe("1.23");
    expect(formatMetric("trades", 12)).toBe("12");
    expect(formatMetric("profit_factor", Infinity)).toBe("∞");
    expect(formatMetric("sharpe_ratio", NaN)).toBe("—");
    expect(formatMetric("sharpe_ratio", null)).toBe("—");
    expect(formatMetric("total_return", 1234.5)).toBe("+1,234.50%");
  });
});

describe("MetricCards", () => {
  it("shows cards with values, tone, warnings and extra metrics", () => {
    render(
      <MetricCards
        metrics={{
          total_return: 25.5,
          cagr: -2,
          sharpe_ratio: 0.876,
          max_drawdown: -18.25,
          trades: 7,
          win_rate: 42.857,
          avg_trade_duration_days: 12.5,
          warnings: ["Only 7 trades: the statistics are fragile."],
        }}
      />,
    );
    expect(screen.getByTestId("metric-total_return")).toHaveTextContent("Total return+25.50%");
    expect(screen.getByTestId("metric-total_return")).toHaveClass("positive");
    expect(screen.getByTestId("metric-cagr")).toHaveClass("negative");
    expect(screen.getByTestId("metric-sharpe_ratio")).toHaveTextContent("0.88");
    expect(screen.getByTestId("metric-max_drawdown")).toHaveTextContent("−18.25%");
    expect(screen.getByTestId("metric-win_rate")).toHaveTextContent("42.86%");
    expect(screen.getByTestId("metric-trades")).toHaveTextContent("7");
    expect(screen.queryByTestId("metric-sortino_ratio")).toBeNull();
    expect(screen.getByTestId("warnings")).toHaveTextContent("Only 7 trades: the statistics are fragile.");
    expect(screen.getByText("avg trade duration days")).toBeInTheDocument();
  });
});
