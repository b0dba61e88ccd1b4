"""The report's written sections: the strategy as understood, its parameters, the fill conventions it ran
under, and the trade list. Read from what the run stored (the spec, the params, the trades), never re-derived.

>>> ctx = report_context("Dip buyer", {"entries": [{"node_id": "e", "combine": "all", "rules": [
...     {"text": "close below SMA(20) x 0.95", "understood": "close < SMA(20) * 0.95"}]}],
...     "stop_loss": 0.05, "fees": 0.001, "slippage": 0.001}, {"symbols": ["SPX"]}, edited_code=False)
>>> ctx.rules[0].understood, ctx.exits
('close < SMA(20) * 0.95', ['Stop loss 5% from the entry bar close (below a long, above a short)'])
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.models.fills import FillParams
from app.models.fills import fill_conventions as shared_fill_conventions

MAX_TRADE_ROWS = 2_000  # a report stays a readable document; the CSV export has every trade

_EXITS = (
    ("stop_loss", "Stop loss {} from the entry bar close (below a long, above a short)"),
    (
        "trailing_stop",
        "Trailing stop {} from the best price since entry (the high of a long, the low of a short)",
    ),
    ("take_profit", "Take profit {} from the entry bar close (above a long, below a short)"),
)
_RULE_SETS = {
    "entries": "Entry",
    "exits": "Exit",
    "short_entries": "Short entry",
    "short_exits": "Short exit",
}
_PARAM_LABELS = {
    "symbols": "Symbols",
    "timeframe": "Bars",
    "start_date": "From",
    "end_date": "To",
    "initial_capital": "Initial capital",
    "benchmark": "Benchmark",
    "fees": "Fees (fraction of traded value)",
    "slippage": "Slippage (fraction of price)",
    "position_sizing": "Sizing",
    "position_size": "Position size",
    "exposure": "Largest exposure (fraction)",
    "risk_free_rate": "Risk-free rate (annual)",
    "stop_slippage": "Slippage on stop fills",
    "reenter_on_exit_bar": "Entry on a stop's bar",
}


@dataclass(frozen=True)
class RuleLine:
    section: str  # "Entry (node entry, all rules)"
    text: str
    understood: str


@dataclass(frozen=True)
class ReportContext:
    strategy_name: str
    rules: list[RuleLine] = field(default_factory=list)
    exits: list[str] = field(default_factory=list)
    params: Mapping[str, Any] = field(default_factory=dict)
    conventions: list[str] = field(default_factory=list)
    edited_code: bool = False


def report_context(
    strategy_name: str, spec: Mapping[str, Any] | None, params: Mapping[str, Any], *, edited_code: bool
) -> ReportContext:
    spec = spec or {}
    rules: list[RuleLine] = []
    for key, value in spec.items():
        if not (isinstance(value, list) and key.endswith(("entries", "exits"))):
            continue
        kind = _RULE_SETS.get(key, key.replace("_", " ").capitalize())
        for rule_set in value:
            how = "any rule" if rule_set.get("combine") == "any" else "all rules"
            section = f"{kind} (node {rule_set.get('node_id')}, {how})"
            for rule in rule_set.get("rules", []):
                rules.append(RuleLine(section, str(rule.get("text", "")), str(rule.get("understood", ""))))
    exits = [text.format(distance) for key, text in _EXITS if (distance := _distance(spec, key))]
    return ReportContext(
        strategy_name=strategy_name,
        rules=rules,
        exits=exits,
        params=params,
        conventions=fill_conventions(spec, params),
        edited_code=edited_code,
    )


def _distance(spec: Mapping[str, Any], key: str) -> str:
    """'5%' or '3 x ATR(14) of the entry bar' (an ATR distance is ``{key}_atr``); '' when unset."""
    value, atr = spec.get(key), spec.get(f"{key}_atr")
    if isinstance(value, int | float):
        return f"{round(value * 100, 10):g}%"
    if isinstance(atr, Mapping) and isinstance(atr.get("multiple"), int | float):
        return f"{atr['multiple']:g} x ATR({atr.get('period', 14)}) of the entry bar"
    return ""


def fill_conventions(spec: Mapping[str, Any], params: Mapping[str, Any]) -> list[str]:
    """The run's fill rules in the words of `app.models.fills` (the generated code's header says the same),
    then how to read sizing and percentages."""

    def setting(name: str, default: Any) -> Any:
        return spec.get(name, params.get(name, default))

    settings = FillParams(
        fees=float(setting("fees", 0.0) or 0.0),
        slippage=float(setting("slippage", 0.0) or 0.0),
        stop_slippage=bool(setting("stop_slippage", False)),
        reenter_on_exit_bar=bool(setting("reenter_on_exit_bar", False)),
    )
    sizing = (spec.get("sizing") or {}).get("method") or params.get("position_sizing") or "equal"
    sides = "long and short" if spec.get("short_entries") else "long only"
    return [
        *(f"{c.title}: {c.text}" for c in shared_fill_conventions(settings)),
        f"Sizing: {sizing.replace('_', ' ')}; positions: {sides}.",
        "Percent figures read as percent (25.5 means 25.5 %); 'vs benchmark' is the difference of the total "
        "returns in percentage points (pp).",
    ]


def strategy_html(ctx: ReportContext) -> str:
    parts = ["<h2>Strategy, as understood</h2>"]
    if ctx.edited_code:
        parts.append('<p class="note">This run executed code edited by hand, not the generated code.</p>')
    if ctx.rules:
        rows = "".join(
            f"<tr><td>{_e(r.section)}</td><td>{_e(r.text)}</td><td><code>{_e(r.understood)}</code></td></tr>"
            for r in ctx.rules
        )
        parts.append(
            '<table class="list"><thead><tr><th>Node</th><th>Rule as written</th><th>Understood as</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        parts.append("<p>No spec was recorded for this run.</p>")
    if ctx.exits:
        parts.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in ctx.exits) + "</ul>")
    return "\n".join(parts)


def params_html(params: Mapping[str, Any]) -> str:
    rows = []
    for key, label in _PARAM_LABELS.items():
        value = params.get(key)
        if value is None:
            continue
        if isinstance(value, list):
            text = ", ".join(map(str, value))
        else:
            text = f"{value:,}" if key == "initial_capital" else str(value)
        rows.append(f'<tr><td>{_e(label)}</td><td class="v">{_e(text)}</td></tr>')
    return f'<h2>Parameters</h2><table class="metrics">{"".join(rows)}</table>'


def conventions_html(conventions: Sequence[str]) -> str:
    items = "".join(f"<li>{_e(c)}</li>" for c in conventions)
    return f"<h2>Fill conventions</h2><ul>{items}</ul>"


def trades_html(trades: Sequence[Mapping[str, Any]]) -> str:
    head = (
        "<tr><th>#</th><th>Symbol</th><th>Entry</th><th>Exit</th><th>Entry price</th><th>Exit price</th>"
        "<th>Size</th><th>P&amp;L</th><th>Return</th><th>Exit reason</th></tr>"
    )
    rows = []
    for n, t in enumerate(trades[:MAX_TRADE_ROWS], start=1):
        rows.append(
            "<tr>"
            f"<td>{n}</td><td>{_e(t.get('symbol'))}</td><td>{_date(t.get('entry_time'))}</td>"
            f"<td>{_date(t.get('exit_time')) or 'open'}</td><td class='v'>{_num(t.get('entry_price'))}</td>"
            f"<td class='v'>{_num(t.get('exit_price'))}</td><td class='v'>{_num(t.get('size'), 4)}</td>"
            f"<td class='v'>{_num(t.get('pnl'))}</td><td class='v'>{_num(t.get('return_pct'))}%</td>"
            f"<td>{_e((t.get('exit_reason') or '').replace('_', ' '))}</td>"
            "</tr>"
        )
    more = len(trades) - MAX_TRADE_ROWS
    tail = f"<p>{more:,} more trades in the trades CSV.</p>" if more > 0 else ""
    if not trades:
        return "<h2>Trades</h2><p>No trades: the entry rules never fired in this period.</p>"
    return (
        f'<h2>Trades ({len(trades):,})</h2><table class="list trades"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{tail}"
    )


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _date(value: Any) -> str:
    text = "" if value is None else str(value)
    return _e(text[:10] if "T00:00:00" in text else text[:16].replace("T", " "))


def _num(value: Any, digits: int = 2) -> str:
    return f"{value:,.{digits}f}" if isinstance(value, int | float) else "—"
