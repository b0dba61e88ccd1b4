/**
 * Interactive time charts on lightweight-charts (zoom with the wheel, pan by dragging, crosshair values).
 * Loaded lazily with the results panel.
 */
import { useEffect, useRef } from "react";
import {
  AreaSeries,
  CandlestickSeries,
  LineSeries,
  createChart,
  createSeriesMarkers,
  type IChartApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import type { Bar, SeriesPoint, Trade } from "../api/types";

export type LineSpec = { name: string; color: string; points: SeriesPoint[]; area?: boolean };

const toTime = (iso: string) => Math.floor(Date.parse(iso) / 1000) as UTCTimestamp;

/** Points in strictly increasing time with finite values (what the chart library requires). */
export function chartPoints(points: SeriesPoint[]): { time: UTCTimestamp; value: number }[] {
  const out: { time: UTCTimestamp; value: number }[] = [];
  for (const [ts, v] of points) {
    const time = toTime(ts);
    if (!Number.isFinite(time) || typeof v !== "number" || !Number.isFinite(v)) continue;
    if (out.length && time <= out[out.length - 1].time) continue;
    out.push({ time, value: v });
  }
  return out;
}

function baseChart(el: HTMLElement, height: number): IChartApi {
  return createChart(el, {
    autoSize: true,
    height,
    layout: { background: { color: "transparent" }, textColor: "#334155", attributionLogo: false },
    grid: { vertLines: { color: "#eef2f7" }, horzLines: { color: "#eef2f7" } },
    rightPriceScale: { borderVisible: false },
    timeScale: { borderVisible: false },
  });
}

export function LineChart(props: { lines: LineSpec[]; height?: number; testId: string; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const { lines, height = 280, testId, label } = props;
  useEffect(() => {
    if (!ref.current) return;
    const chart = baseChart(ref.current, height);
    for (const l of lines) {
      const s = l.area
        ? chart.addSeries(AreaSeries, { lineColor: l.color, topColor: `${l.color}10`, bottomColor: `${l.color}55`, lineWidth: 1, title: l.name, invertFilledArea: true })
        : chart.addSeries(LineSeries, { color: l.color, lineWidth: 2, title: l.name });
      s.setData(chartPoints(l.points));
    }
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [lines, height]);
  return (
    <figure className="chart">
      <figcaption>{label}</figcaption>
      <div ref={ref} style={{ height }} data-testid={testId} role="img" aria-label={label} />
      <div className="legend">
        {lines.map((l) => (
          <span key={l.name}>
            <i style={{ background: l.color }} /> {l.name}
          </span>
        ))}
      </div>
    </figure>
  );
}

/** Price candles of one symbol with an arrow at each entry and exit of its trades. */
export function PriceChart(props: { bars: Bar[]; trades: Trade[]; symbol: string; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const { bars, trades, symbol, height = 320 } = props;
  useEffect(() => {
    if (!ref.current) return;
    const chart = baseChart(ref.current, height);
    const s = chart.addSeries(CandlestickSeries, { upColor: "#16a34a", downColor: "#dc2626", borderVisible: false, wickUpColor: "#16a34a", wickDownColor: "#dc2626" });
    const seen = new Set<number>();
    const data = bars
      .map((b) => ({ time: toTime(b.timestamp), open: b.open, high: b.high, low: b.low, close: b.close }))
      .filter((b) => Number.isFinite(b.time) && !seen.has(b.time) && (seen.add(b.time), true))
      .sort((a, b) => a.time - b.time);
    s.setData(data);
    const markers: SeriesMarker<Time>[] = [];
    for (const t of trades.filter((x) => x.symbol === symbol)) {
      markers.push({ time: toTime(t.entry_time), position: "belowBar", shape: "arrowUp", color: "#2563eb", text: "Buy" });
      if (t.exit_time)
        markers.push({ time: toTime(t.exit_time), position: "aboveBar", shape: "arrowDown", color: t.pnl >= 0 ? "#16a34a" : "#dc2626", text: t.exit_reason ?? "Sell" });
    }
    markers.sort((a, b) => (a.time as number) - (b.time as number));
    createSeriesMarkers(s, markers);
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [bars, trades, symbol, height]);
  return (
    <figure className="chart">
      <figcaption>{symbol} price with trades</figcaption>
      <div ref={ref} style={{ height }} data-testid="price-chart" role="img" aria-label={`${symbol} price with trade markers`} />
    </figure>
  );
}
