/**
 * One Plotly chart. plotly.js (its cartesian bundle: heatmap, bar, scatter) is imported dynamically here and
 * nowhere else, so it is a chunk of its own that only a sweep's result fetches; the first load stays small.
 */
import { useEffect, useRef, useState } from "react";
import type { PlotlyPoint } from "plotly.js-cartesian-dist-min";

type PlotlyModule = (typeof import("plotly.js-cartesian-dist-min"))["default"];
let loading: Promise<PlotlyModule> | null = null;

export function loadPlotly(): Promise<PlotlyModule> {
  loading ??= import("plotly.js-cartesian-dist-min").then((m) => m.default);
  return loading;
}

export function Plot(props: {
  data: object[];
  layout: object;
  onClick?: (point: PlotlyPoint) => void;
  testId: string;
  label: string;
  height?: number;
}) {
  const { data, layout, onClick, testId, label, height = 360 } = props;
  const ref = useRef<HTMLDivElement>(null);
  const click = useRef(onClick);
  click.current = onClick;
  const [state, setState] = useState<"loading" | "ready" | "error">("loading");

  useEffect(() => {
    let live = true;
    const el = ref.current;
    loadPlotly().then(
      async (Plotly) => {
        if (!live || !el) return;
        const fullLayout = {
          height,
          margin: { l: 60, r: 20, t: 30, b: 50 },
          font: { family: "inherit", size: 12 },
          paper_bgcolor: "rgba(0,0,0,0)",
          plot_bgcolor: "rgba(0,0,0,0)",
          ...layout,
        };
        const plotted = await Plotly.react(el, data, fullLayout, { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] });
        plotted.removeAllListeners?.("plotly_click");
        plotted.on("plotly_click", (e) => {
          const p = e.points[0];
          if (p) click.current?.(p);
        });
        if (live) setState("ready");
      },
      () => live && setState("error"),
    );
    return () => {
      live = false;
    };
  }, [data, layout, height]);

  // Free Plotly's listeners and its DOM when the chart leaves the page.
  useEffect(() => {
    const el = ref.current;
    return () => {
      if (el && loading) void loading.then((Plotly) => Plotly.purge(el)).catch(() => undefined);
    };
  }, []);

  return (
    <div className="plot" role="img" aria-label={label} data-testid={testId} data-state={state}>
      {state === "loading" && <p className="muted small">Loading the chart…</p>}
      {state === "error" && <p className="error small">The chart could not be loaded.</p>}
      <div ref={ref} />
    </div>
  );
}
