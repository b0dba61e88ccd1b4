import { describe, expect, it } from "vitest";
import type { ExecutionParams, SymbolInfo } from "../api/types";
import { TIMEFRAMES } from "../api/constants.gen";
import { DEFAULT_PARAMS } from "./ParamsPanel";
import { coveredRange, fitToData, missingSymbols, offeredTimeframes } from "./dataLimits";

const daily = (symbol: string, start: string, end: string): SymbolInfo => ({
  symbol,
  provider: "bundled",
  interval: "1d",
  start,
  end,
  bars: 5000,
  aliases: symbol === "SPX" ? ["^GSPC"] : [],
  timeframes: ["1d", "1wk", "1mo"],
});
const hourly: SymbolInfo = { ...daily("BTC", "2024-01-01", "2024-06-30"), provider: "upload", interval: "1h", timeframes: ["1h", "1d", "1wk", "1mo"] };
const DATA = [daily("SPX", "1999-01-04", "2018-12-31"), daily("IXIC", "2000-01-03", "2018-12-31"), hourly];
const params = (patch: Partial<ExecutionParams>): ExecutionParams => ({ ...DEFAULT_PARAMS, ...patch });

describe("data limits", () => {
  it("offers only the timeframes every symbol's bars reach", () => {
    expect(offeredTimeframes(params({ symbols: ["SPX"] }), DATA, TIMEFRAMES)).toEqual(["1d", "1wk", "1mo"]);
    expect(offeredTimeframes(params({ symbols: ["BTC"] }), DATA, TIMEFRAMES)).toEqual(["1h", "1d", "1wk", "1mo"]);
    expect(offeredTimeframes(params({ symbols: ["BTC", "SPX"] }), DATA, TIMEFRAMES)).toEqual(["1d", "1wk", "1mo"]);
  });

  it("names the symbols there is no data for, and knows aliases", () => {
    expect(missingSymbols(params({ symbols: ["AAPL", "SPX"] }), DATA)).toEqual(["AAPL"]);
    expect(missingSymbols(params({ symbols: ["^GSPC"] }), DATA)).toEqual([]);
    expect(missingSymbols(params({ symbols: ["SPX"], benchmark: "QQQ" }), DATA)).toEqual(["QQQ"]);
  });

  it("clamps the dates to what all symbols cover, with a note", () => {
    expect(coveredRange(params({ symbols: ["SPX", "IXIC"] }), DATA)).toEqual({ start: "2000-01-03", end: "2018-12-31" });
    const fitted = fitToData(params({ symbols: ["SPX"], start_date: "1990-01-01", end_date: "2020-06-30" }), DATA, TIMEFRAMES);
    expect([fitted.params.start_date, fitted.params.end_date]).toEqual(["1999-01-04", "2018-12-31"]);
    expect(fitted.note).toContain("covers 1999-01-04 to 2018-12-31");
    expect(fitted.note).toContain("you asked for 1990-01-01 → 2020-06-30");
    const inside = fitToData(params({ symbols: ["SPX"], start_date: "2010-01-01", end_date: "2018-12-31" }), DATA, TIMEFRAMES);
    expect(inside.note).toBeNull();
    expect(inside.params.start_date).toBe("2010-01-01");
  });

  it("moves a timeframe the data cannot give to one it can", () => {
    const fitted = fitToData(params({ symbols: ["SPX"], timeframe: "1h", start_date: "2010-01-01" }), DATA, TIMEFRAMES);
    expect(fitted.params.timeframe).toBe("1d");
    expect(fitted.note).toContain("1 hour bars are not available");
  });
});
