import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { IndicatorLibrary } from "./IndicatorLibrary";
import { jsonResponse, stubFetch } from "../test/fetchStub";

afterEach(() => vi.unstubAllGlobals());

const SPREAD = {
  id: "ind_1",
  name: "spread",
  formula: "close - SMA(50)",
  understood: "close - SMA(50)",
  created_at: "2026-12-04T00:00:00Z",
  updated_at: "2026-12-04T00:00:00Z",
};

describe("IndicatorLibrary", () => {
  it("lists, saves and deletes the user's indicators through /indicators", async () => {
    let saved: (typeof SPREAD)[] = [];
    const calls = stubFetch((_url, init) => {
      const method = init?.method ?? "GET";
      if (method === "POST") {
        saved = [SPREAD];
        return jsonResponse(201, SPREAD);
      }
      if (method === "DELETE") {
        saved = [];
        return new Response(null, { status: 204 });
      }
      return jsonResponse(200, saved);
    });
    const user = userEvent.setup();
    render(<IndicatorLibrary />);
    expect(await screen.findByText("None saved yet.")).toBeInTheDocument();

    await user.type(screen.getByLabelText("Indicator name"), "spread");
    await user.type(screen.getByLabelText("Indicator formula"), "close - SMA(50)");
    await user.click(screen.getByRole("button", { name: "Save indicator" }));
    expect(await screen.findByTestId("indicator-spread")).toHaveTextContent("spread = close - SMA(50)");
    const post = calls.find((c) => c.init?.method === "POST")!;
    expect(post.url).toContain("/indicators");
    expect(JSON.parse(post.init!.body as string)).toEqual({ name: "spread", formula: "close - SMA(50)" });
    expect(screen.getByLabelText("Indicator name")).toHaveValue("");

    await user.click(screen.getByRole("button", { name: "Delete spread" }));
    await waitFor(() => expect(screen.queryByTestId("indicator-spread")).toBeNull());
    expect(calls.find((c) => c.init?.method === "DELETE")!.url).toContain("/indicators/spread");
  });

  it("shows the server's refusal in its words and keeps what was typed", async () => {
    stubFetch((_url, init) =>
      init?.method === "POST"
        ? jsonResponse(422, {
            error: "RuleNotUnderstood",
            detail: "'wobble' is neither an indicator the language knows nor a custom indicator",
          })
        : jsonResponse(200, []),
    );
    const user = userEvent.setup();
    render(<IndicatorLibrary />);
    await user.type(screen.getByLabelText("Indicator name"), "gapx");
    await user.type(screen.getByLabelText("Indicator formula"), "close - wobble");
    await user.click(screen.getByRole("button", { name: "Save indicator" }));
    expect(await screen.findByTestId("indicator-error")).toHaveTextContent("'wobble' is neither an indicator");
    expect(screen.getByLabelText("Indicator formula")).toHaveValue("close - wobble");
  });
});
