/**
 * Interactive time charts on lightweight-charts (zoom with the wheel, pan by dragging, crosshair values).
 * Loaded lazily with the results and the comparison.
 *
 * Every chart opens on the whole period, also on a phone: the library's default smallest bar spacing
 * (half a pixel) would show only the last ~2 years of a 9-year daily run in 330 px, so it is lowered.
 */
import { useEffect, useRef } from "react";
import {
  CandlestickSeries,
  LineSeries,
  AreaSeries,
  createChart,
  createSeriesMarkers,
  type IChartApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import type { Bar, SeriesPoint, Trade } from "../api/types";
import { thinMarkers, type Marker } from "./markers";

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
    timeScale: { borderVisible: false, minBarSpacing: 0.001 },
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
        ? chart.addSeries(AreaSeries, { lineColor: l.color, topColor: `${l.color}10`, bottomColor: `${l.color}55`, lineWidth: 1, invertFilledArea: true })
        : chart.addSeries(LineSeries, { color: l.color, lineWidth: 2 });
      s.setData(chartPoints(l.points));
    }
    // Say on the element which bars are in view (first:last of total), so a test can see the whole period is.
    const total = Math.max(0, ...lines.map((l) => chartPoints(l.points).length));
    const el = ref.current;
    const mark = () => {
      const r = chart.timeScale().getVisibleLogicalRange();
      if (r) el.dataset.visible = `${Math.round(r.from)}:${Math.round(r.to)}:${total}`;
    };
    chart.timeScale().subscribeVisibleLogicalRangeChange(mark);
    chart.timeScale().fitContent();
    mark();
    return () => {
      chart.timeScale().unsubscribeVisibleLogicalRangeChange(mark);
      chart.remove();
    };
  }, [lines, height]);
  return (
    <figure className="chart">
      <figcaption>{label}</figcaption>
      <div ref={ref} style={{ height }} data-testid={testId} role="img" aria-label={label} />
      <div className="legend" data-testid={`${testId}-legend`}>
        {lines.map((l) => (
          <span key={l.name}>
            <i style={{ background: l.color }} /> {l.name}
          </span>
        ))}
      </div>
    </figure>
  );
}

/** Entry and exit markers of one symbol's trades, by bar index of `times` (sorted bar times). */
export function tradeMarkers(trades: Trade[], symbol: string, times: number[]): Marker[] {
  const indexOf = (iso: string) => {
    const t = toTime(iso);
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const out: Marker[] = [];
  for (const t of trades.filter((x) => x.symbol === symbol)) {
    const short = t.direction === "short";
    out.push({ bar: indexOf(t.entry_time), position: short ? "aboveBar" : "belowBar", shape: short ? "arrowDown" : "arrowUp", color: "#2563eb", text: short ? "Short" : "Buy" });
    if (t.exit_time)
      out.push({
        bar: indexOf(t.exit_time),
        position: short ? "belowBar" : "aboveBar",
        shape: short ? "arrowUp" : "arrowDown",
        color: t.pnl >= 0 ? "#16a34a" : "#dc2626",
        text: t.exit_reason.replace(/_/g, " "),
      });
  }
  return out;
}

/** Price candles of one symbol with its trades; markers merge when they would overlap and split on zoom. */
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
    const times = data.map((d) => d.time as number);
    const all = tradeMarkers(trades, symbol, times);
    const layer = createSeriesMarkers(s, []);
    let lastSpan = -1;
    const draw = () => {
      const range = chart.timeScale().getVisibleLogicalRange();
      const width = chart.timeScale().width();
      const spacing = range && range.to > range.from && width > 0 ? width / (range.to - range.from) : 6;
      const span = Math.ceil(16 / Math.max(spacing, 1e-6));
      if (span === lastSpan) return; // same grouping as drawn
      lastSpan = span;
      const thin = thinMarkers(all, spacing);
      layer.setMarkers(
        thin.map((m): SeriesMarker<Time> => ({ time: times[Math.min(m.bar, times.length - 1)] as UTCTimestamp, position: m.position, shape: m.shape, color: m.color, text: m.text })),
      );
      ref.current?.setAttribute("data-markers", String(thin.length));
    };
    chart.timeScale().fitContent();
    draw();
    chart.timeScale().subscribeVisibleLogicalRangeChange(draw);
    return () => {
      chart.timeScale().unsubscribeVisibleLogicalRangeChange(draw);
      chart.remove();
    };
  }, [bars, trades, symbol, height]);
  return (
    <figure className="chart">
      <figcaption>{symbol} price with trades</figcaption>
      <div ref={ref} style={{ height }} data-testid="price-chart" role="img" aria-label={`${symbol} price with trade markers`} />
    </figure>
  );
}
