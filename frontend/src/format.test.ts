import { describe, expect, it } from "vitest";
import { formatDate, formatMetric, formatNumber, formatPct, formatPp, tone } from "./format";

describe("formatMetric: one unit and precision per kind of figure", () => {
  it("reads percent figures as percent, signs changes, never prints '−-'", () => {
    expect(formatMetric("total_return", 25.5)).toBe("+25.50%");
    expect(formatMetric("total_return", -3.2149)).toBe("−3.21%");
    expect(formatMetric("max_drawdown", -18.25)).toBe("−18.25%");
    expect(formatMetric("win_rate", 42.857)).toBe("42.86%");
    expect(formatMetric("avg_win", 7.52)).toBe("+7.52%");
    expect(formatMetric("avg_loss", -4.1)).toBe("−4.10%");
    expect(formatPct(-5)).toBe("−5.00%");
    expect(formatPct(-0.001)).toBe("0.00%"); // rounds to zero: no sign
  });

  it("says pp for the difference to the benchmark", () => {
    expect(formatMetric("vs_benchmark", -124.47)).toBe("−124.47 pp");
    expect(formatMetric("vs_benchmark", 3)).toBe("+3.00 pp");
    expect(formatPp(0)).toBe("0.00 pp");
  });

  it("counts as whole numbers, money with cents, days in days", () => {
    expect(formatMetric("bars", 2264)).toBe("2,264");
    expect(formatMetric("trades", 12)).toBe("12");
    expect(formatMetric("final_equity", 12345.678)).toBe("12,345.68");
    expect(formatMetric("expectancy", -12.5)).toBe("−12.50");
    expect(formatMetric("avg_holding_days", 12.25)).toBe("12.3 days");
    expect(formatMetric("longest_drawdown_days", 1)).toBe("1 day");
    expect(formatMetric("sharpe_ratio", 1.23456)).toBe("1.23");
  });

  it("shows dates as dates, not raw timestamps", () => {
    expect(formatMetric("start", "2010-01-04T00:00:00Z")).toBe("2010-01-04");
    expect(formatMetric("max_drawdown_recovery", "2012-03-05T00:00:00+00:00")).toBe("2012-03-05");
    expect(formatMetric("max_drawdown_recovery", null)).toBe("—");
    expect(formatDate("2024-01-02T14:30:00Z")).toBe("2024-01-02 14:30");
  });

  it("guards missing and odd values", () => {
    expect(formatMetric("sharpe_ratio", null)).toBe("—");
    expect(formatMetric("sharpe_ratio", NaN)).toBe("—");
    expect(formatNumber(Infinity)).toBe("∞");
    expect(formatMetric("total_return", 1234.5)).toBe("+1,234.50%");
  });
});

describe("tone: colour only where the sign means good", () => {
  it("colours returns and the difference to the benchmark", () => {
    expect(tone("total_return", -3.21)).toBe("negative");
    expect(tone("cagr", 2)).toBe("positive");
    expect(tone("vs_benchmark", -1)).toBe("negative");
  });
  it("leaves ratios, drawdowns and counts neutral (a Sharpe of 0.01 on a loss is not good news)", () => {
    expect(tone("sharpe_ratio", 0.01)).toBe("neutral");
    expect(tone("max_drawdown", -20)).toBe("neutral");
    expect(tone("trades", 5)).toBe("neutral");
    expect(tone("total_return", 0.001)).toBe("neutral");
  });
});
