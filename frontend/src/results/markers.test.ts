import { describe, expect, it } from "vitest";
import { thinMarkers, type Marker } from "./markers";

const buy = (bar: number): Marker => ({ bar, position: "belowBar", color: "#2563eb", text: "Buy", shape: "arrowUp" });
const exit = (bar: number): Marker => ({ bar, position: "aboveBar", color: "#16a34a", text: "take profit", shape: "arrowDown" });

describe("thinMarkers", () => {
  const busy = [buy(0), buy(2), buy(4), exit(3), exit(5), buy(100), exit(103)];

  it("merges markers closer than the gap into one that counts them", () => {
    // 1 px per bar: markers within 16 bars of the group's first merge
    const thin = thinMarkers(busy, 1);
    expect(thin.map((m) => m.text)).toEqual(["3 buys", "2 exits", "Buy", "take profit"]);
    expect(thin.filter((m) => m.position === "belowBar").map((m) => m.bar)).toEqual([2, 100]);
  });

  it("shows every marker once zoomed in far enough", () => {
    const all = thinMarkers(busy, 20);
    expect(all).toHaveLength(busy.length);
    expect(all.map((m) => m.bar)).toEqual([0, 2, 3, 4, 5, 100, 103]);
  });

  it("never loses a trade from the count", () => {
    const many = Array.from({ length: 500 }, (_, i) => buy(i * 3));
    const thin = thinMarkers(many, 0.3);
    const counted = thin.reduce((n, m) => n + (m.text === "Buy" ? 1 : Number(m.text.split(" ")[0])), 0);
    expect(counted).toBe(500);
    // 0.3 px per bar: a group spans ceil(16 / 0.3) = 54 bars, 18 buys every 3 bars -> 28 markers
    expect(thin.length).toBe(28);
  });
});
