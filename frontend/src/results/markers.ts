/**
 * Trade markers that stay readable at any zoom: when several would fall within a few pixels of each other
 * they are drawn as one marker saying how many there are, and they come apart again as the user zooms in.
 *
 * Example: 40 entries within 30 bars on a chart whose bars are 0.3 px wide (a 9-year run on a phone) become
 * a few "N buys" markers; zoomed in to 5 px per bar, every buy shows on its own.
 */

export type Marker = {
  /** Index of the bar the marker sits on. */
  bar: number;
  position: "aboveBar" | "belowBar";
  color: string;
  text: string;
  shape: "arrowUp" | "arrowDown" | "circle";
};

/** The gap, in pixels, below which two markers on the same side are merged. */
export const MIN_GAP_PX = 16;

export function thinMarkers(markers: Marker[], barSpacingPx: number, minGapPx = MIN_GAP_PX): Marker[] {
  if (!markers.length) return [];
  const span = barSpacingPx > 0 ? Math.max(1, Math.ceil(minGapPx / barSpacingPx)) : Number.MAX_SAFE_INTEGER;
  if (span <= 1) return [...markers].sort((a, b) => a.bar - b.bar);
  const out: Marker[] = [];
  for (const side of ["belowBar", "aboveBar"] as const) {
    const mine = markers.filter((m) => m.position === side).sort((a, b) => a.bar - b.bar);
    let group: Marker[] = [];
    const flush = () => {
      if (!group.length) return;
      if (group.length === 1) out.push(group[0]);
      else {
        const word = side === "belowBar" ? "buys" : "exits";
        out.push({ ...group[0], bar: group[Math.floor(group.length / 2)].bar, color: "#475569", shape: "circle", text: `${group.length} ${word}` });
      }
      group = [];
    };
    for (const m of mine) {
      if (group.length && m.bar - group[0].bar >= span) flush();
      group.push(m);
    }
    flush();
  }
  return out.sort((a, b) => a.bar - b.bar);
}
