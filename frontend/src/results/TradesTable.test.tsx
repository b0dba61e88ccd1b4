import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Trade } from "../api/types";
import { TradesTable } from "./TradesTable";

const t = (entry: string, exit: string | null, pnl: number, reason: Trade["exit_reason"], symbol = "SPX"): Trade => ({
  symbol,
  direction: "long",
  status: exit ? "closed" : "open",
  fees: 0,
  exit_rule: "",
  entry_time: `${entry}T00:00:00Z`,
  exit_time: exit ? `${exit}T00:00:00Z` : null,
  entry_price: 100,
  exit_price: exit ? 100 + pnl : null,
  size: 1,
  pnl,
  return_pct: pnl,
  exit_reason: reason,
});

const TRADES = [
  t("2012-03-01", "2012-04-01", 5, "take_profit"),
  t("2010-01-05", "2010-02-01", -7, "stop_loss"),
  t("2015-06-01", null, 2, "end_of_data"),
  t("2011-08-09", "2011-09-01", 12.5, "signal", "IXIC"),
];

const pnlColumn = () => screen.getAllByTestId("trade-row").map((r) => within(r).getAllByRole("cell")[6].textContent);
const entryColumn = () => screen.getAllByTestId("trade-row").map((r) => within(r).getAllByRole("cell")[1].textContent);

describe("TradesTable", () => {
  it("starts sorted by entry time and sorts by any column both ways", async () => {
    const user = userEvent.setup();
    render(<TradesTable trades={TRADES} />);
    expect(entryColumn()).toEqual(["2010-01-05", "2011-08-09", "2012-03-01", "2015-06-01"]);

    await user.click(screen.getByTestId("sort-pnl"));
    expect(pnlColumn()).toEqual(["−7.00", "+2.00", "+5.00", "+12.50"]);
    expect(screen.getByTestId("sort-pnl").closest("th")).toHaveAttribute("aria-sort", "ascending");
    await user.click(screen.getByTestId("sort-pnl"));
    expect(pnlColumn()).toEqual(["+12.50", "+5.00", "+2.00", "−7.00"]);
    expect(screen.getByTestId("sort-pnl").closest("th")).toHaveAttribute("aria-sort", "descending");
  });

  it("shows exit reasons, keeps open trades last when sorting by exit, and works from the keyboard", async () => {
    const user = userEvent.setup();
    render(<TradesTable trades={TRADES} />);
    const reasons = screen.getAllByTestId("trade-row").map((r) => within(r).getAllByRole("cell")[8].textContent);
    expect(reasons).toEqual(["stop loss", "signal", "take profit", "still open"]);

    screen.getByTestId("sort-exit_time").focus();
    await user.keyboard("{Enter}");
    await user.keyboard("{Enter}"); // descending: the open trade still goes last
    const exits = screen.getAllByTestId("trade-row").map((r) => within(r).getAllByRole("cell")[2].textContent);
    expect(exits).toEqual(["2012-04-01", "2011-09-01", "2010-02-01", "open"]);
  });

  it("has an empty state", () => {
    render(<TradesTable trades={[]} />);
    expect(screen.getByTestId("trades-empty")).toBeInTheDocument();
  });
});
