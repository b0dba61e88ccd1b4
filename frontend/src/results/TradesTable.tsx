/** Every trade, sortable by any column (click or Enter on the header), with its exit reason. */
import { useMemo, useState } from "react";
import type { Trade } from "../api/types";
import { formatDate, formatMoney, formatNumber, formatPct, formatPrice, signClass } from "../format";

type Col = { key: keyof Trade; label: string; numeric?: boolean; render?: (t: Trade) => string };

const COLS: Col[] = [
  { key: "symbol", label: "Symbol" },
  { key: "entry_time", label: "Entry", render: (t) => formatDate(t.entry_time) },
  { key: "exit_time", label: "Exit", render: (t) => (t.exit_time ? formatDate(t.exit_time) : "open") },
  { key: "entry_price", label: "Entry price", numeric: true, render: (t) => formatPrice(t.entry_price) },
  { key: "exit_price", label: "Exit price", numeric: true, render: (t) => formatPrice(t.exit_price) },
  { key: "size", label: "Size", numeric: true, render: (t) => formatNumber(t.size, 4) },
  { key: "pnl", label: "P&L", numeric: true, render: (t) => formatMoney(t.pnl, true) },
  { key: "return_pct", label: "Return", numeric: true, render: (t) => formatPct(t.return_pct, { signed: true }) },
  {
    key: "exit_reason",
    label: "Exit reason",
    render: (t) => (t.exit_time ? t.exit_reason.replace(/_/g, " ") : "still open"),
  },
];

/** Sorts a copy; missing values always go last whatever the direction. */
export function sortTrades(trades: Trade[], key: keyof Trade, dir: "asc" | "desc"): Trade[] {
  const sign = dir === "asc" ? 1 : -1;
  return [...trades].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    const xm = x === null || x === undefined;
    const ym = y === null || y === undefined;
    if (xm || ym) return xm === ym ? 0 : xm ? 1 : -1;
    if (typeof x === "number" && typeof y === "number") return (x - y) * sign;
    return String(x).localeCompare(String(y)) * sign;
  });
}

const PAGE = 100;

export function TradesTable({ trades }: { trades: Trade[] }) {
  const [sort, setSort] = useState<{ key: keyof Trade; dir: "asc" | "desc" }>({ key: "entry_time", dir: "asc" });
  const [shown, setShown] = useState(PAGE);
  const rows = useMemo(() => sortTrades(trades, sort.key, sort.dir), [trades, sort]);

  if (!trades.length) return <p className="muted" data-testid="trades-empty">No trades: the entry rules never fired in this period.</p>;
  return (
    <div className="table-wrap">
      <table className="trades" data-testid="trades-table">
        <caption className="sr-only">Trades, sorted by {sort.key} {sort.dir === "asc" ? "ascending" : "descending"}</caption>
        <thead>
          <tr>
            {COLS.map((c) => {
              const active = sort.key === c.key;
              return (
                <th key={c.key} aria-sort={active ? (sort.dir === "asc" ? "ascending" : "descending") : "none"} className={c.numeric ? "num" : ""}>
                  <button
                    type="button"
                    className="th-button"
                    onClick={() => setSort({ key: c.key, dir: active && sort.dir === "asc" ? "desc" : "asc" })}
                    data-testid={`sort-${c.key}`}
                  >
                    {c.label}
                    <span aria-hidden="true">{active ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}</span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, shown).map((t, i) => (
            <tr key={`${t.symbol}-${t.entry_time}-${i}`} data-testid="trade-row">
              {COLS.map((c) => (
                <td key={c.key} className={`${c.numeric ? "num" : ""} ${c.key === "pnl" || c.key === "return_pct" ? signClass(t[c.key]) : ""}`}>
                  {c.render ? c.render(t) : String(t[c.key] ?? "—")}
                  {c.key === "exit_reason" && t.exit_rule ? <span className="muted small"> ({t.exit_rule})</span> : null}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > shown && (
        <button type="button" onClick={() => setShown(shown + PAGE)}>
          Show more ({rows.length - shown} left)
        </button>
      )}
    </div>
  );
}
