/** The few calls of plotly.js's cartesian bundle the sweep charts make (the package ships no types). */
declare module "plotly.js-cartesian-dist-min" {
  export type PlotlyPoint = { x: unknown; y: unknown; z?: unknown; pointIndex?: number | number[]; curveNumber: number };
  export type PlotlyElement = HTMLElement & {
    on: (event: "plotly_click", handler: (e: { points: PlotlyPoint[] }) => void) => void;
    removeAllListeners?: (event: string) => void;
  };
  const Plotly: {
    react: (el: HTMLElement, data: object[], layout?: object, config?: object) => Promise<PlotlyElement>;
    purge: (el: HTMLElement) => void;
    Plots: { resize: (el: HTMLElement) => void };
  };
  export default Plotly;
}
