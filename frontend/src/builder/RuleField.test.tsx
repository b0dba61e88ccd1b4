import { afterEach, describe, expect, it, vi } from "vitest";
import { useState } from "react";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { RuleField } from "./RuleField";
import { jsonResponse, stubFetch } from "../test/fetchStub";

afterEach(() => vi.unstubAllGlobals());

function Harness({ initial }: { initial: string }) {
  const [v, setV] = useState(initial);
  return <RuleField label="Rule 1" value={v} onChange={setV} />;
}

describe("RuleField", () => {
  it("shows the server's parse error with a caret at the position", async () => {
    const rule = "RSI(14) belw 30";
    const calls = stubFetch(() =>
      jsonResponse(422, {
        error: "RuleNotUnderstood",
        detail: "I could not read the rule after 'RSI(14)'",
        rule,
        position: 8,
        expected: ["above", "below", "crosses"],
        suggestion: "RSI(14) below 30",
      }),
    );
    render(<Harness initial={rule} />);
    const err = await screen.findByTestId("rule-error", {}, { timeout: 2000 });
    expect(err).toHaveTextContent("I could not read the rule after 'RSI(14)'");
    expect(err).toHaveTextContent("Expected: above, below, crosses");
    const caret = screen.getByTestId("rule-caret").textContent!;
    const [text, marker] = caret.split("\n");
    expect(text).toBe(rule);
    expect(marker.indexOf("^")).toBe(8);
    expect(rule[marker.indexOf("^")]).toBe("b"); // the caret sits under the misspelt word
    expect(screen.getByRole("textbox")).toHaveAttribute("aria-invalid", "true");
    expect(JSON.parse(calls[0].init!.body as string)).toEqual({ rule });
  });

  it("debounces: one request for a burst of typing, and applies a suggestion", async () => {
    const calls = stubFetch((_u, init) => {
      const { rule } = JSON.parse(init!.body as string) as { rule: string };
      return rule === "close above the 20-day high"
        ? jsonResponse(200, { ok: true, parsed: { description: "close > highest(20)" } })
        : jsonResponse(422, { error: "RuleNotUnderstood", detail: "Unknown word", rule, position: 0, expected: [], suggestion: "close above the 20-day high" });
    });
    const user = userEvent.setup();
    render(<Harness initial="" />);
    await user.type(screen.getByRole("textbox"), "clse above");
    await screen.findByTestId("rule-error", {}, { timeout: 2000 });
    expect(calls).toHaveLength(1);
    await user.click(screen.getByRole("button", { name: /close above the 20-day high/ }));
    await waitFor(() => expect(screen.getByTestId("rule-ok")).toHaveTextContent("close > highest(20)"), { timeout: 2000 });
    expect(screen.getByRole("textbox")).toHaveValue("close above the 20-day high");
  });

  it("shows the server's canonical line, for a compound rule too", async () => {
    const understood = "RSI(14) < 30 and close > SMA(200)";
    stubFetch(() => jsonResponse(200, { ok: true, parsed: { type: "all", items: [] }, understood }));
    render(<Harness initial="RSI below 30 and close above the 200-day SMA" />);
    const ok = await screen.findByTestId("rule-ok", {}, { timeout: 2000 });
    expect(ok).toHaveTextContent(`Understood: ${understood}`);
    expect(ok).not.toHaveTextContent("all");
  });

  it("shows a non-parse server error as worded", async () => {
    stubFetch(() => jsonResponse(503, { error: "Unavailable", detail: "The rule checker is restarting" }));
    render(<Harness initial="RSI(14) below 30" />);
    expect(await screen.findByText("The rule checker is restarting", {}, { timeout: 2000 })).toBeInTheDocument();
  });
});

describe("CaretLine", () => {
  it("cuts a long rule before the error so the caret stays under the right character", async () => {
    const { CaretLine } = await import("./RuleField");
    const rule = "Enter on a 5% price drop from the 20-day movng average";
    const pos = rule.indexOf("movng");
    render(<CaretLine rule={rule} position={pos} />);
    const [text, marker] = screen.getByTestId("rule-caret").textContent!.split("\n");
    expect(text.startsWith("…")).toBe(true);
    expect(text.slice(marker.indexOf("^"), marker.indexOf("^") + 5)).toBe("movng");
  });
});
