"""The generated code's sizing and stop constants, ATR stops, backtest window and `from_signals` call.

Long and short (vectorbt 1.2 ``from_signals`` with ``short_entries``/``short_exits``), the rules chosen
where signals meet, each stated in the generated code and in `app.models.fills`:

* an entry and an exit of the same side on one bar cancel out (``upon_long_conflict`` /
  ``upon_short_conflict="ignore"``, vectorbt's default);
* a long and a short entry on one bar while flat cancel out (``upon_dir_conflict="ignore"``, the default);
* an entry of the other side while a position is open reverses it in one order at that bar's close
  (``upon_opposite_entry="reverse"``): the position closes and the new side opens with the cash after the
  close. vectorbt refuses a reversal sized as a percent of cash (``SizeType.Percent``), so all-cash sizing
  of a strategy with both sides is written as ``size=np.inf, size_type="value"``: the same order (all the
  cash, fees included) for an opening, and the close-then-open order for a reversal.

A stop in ATR multiples becomes a per-bar stop fraction ``k x ATR / close``. vectorbt reads ``sl_stop``
and ``tp_stop`` on the bar where the entry fills and measures the stop from that bar's close
(``stop_entry_price="close"``), so the level is exactly ``close - k x ATR`` for a long (``+`` for a
short); the ATR of that bar uses its high, low and close, all known at the close where the entry fills,
and stops are checked from the next bar on: no later price shapes the level.
"""

from __future__ import annotations

from app.services.language.spec import AtrDistance, StrategySpec


def cash_fraction(spec: StrategySpec) -> float | None:
    """The share of available cash each entry uses, for percent sizing (None: sized in cash)."""
    sizing = spec.sizing
    if sizing.method == "equal" and len(spec.symbols) == 1:
        return spec.exposure
    if sizing.method == "fixed_fraction":
        return (sizing.value or 0.0) * spec.exposure
    return None


def fractional_reversal(spec: StrategySpec) -> bool:
    """Both sides sized as a fraction of cash below 100%: a reversal vectorbt cannot size in one order."""
    fraction = cash_fraction(spec)
    return spec.has_long and spec.has_short and fraction is not None and fraction < 1.0


def needs_order_loop(spec: StrategySpec) -> bool:
    """Fills ``from_signals`` cannot make: the generated code runs `compiler_engine`'s loop instead."""
    return spec.reenter_on_exit_bar or fractional_reversal(spec) or spec.exit_after_bars is not None


def sizing_lines(spec: StrategySpec) -> list[str]:
    sizing = spec.sizing
    n = len(spec.symbols)
    fraction = cash_fraction(spec)
    if fraction == 1.0 and spec.has_long and spec.has_short:
        what = "all available cash" if sizing.method == "equal" else "a fixed fraction (1) of the cash"
        return [
            f"# Sizing: {what} per entry. Written as an unlimited value order (vectorbt",
            "# caps it at the cash, fees included) so that an opposite entry can reverse a position in",
            "# one order: vectorbt cannot size a reversal as a percent of cash",
            "SIZE = np.inf",
            'SIZE_TYPE = "value"',
        ]
    if sizing.method == "equal" and n == 1:
        return [
            "# Sizing: all available cash x EXPOSURE per entry",
            "SIZE = EXPOSURE",
            'SIZE_TYPE = "percent"',
        ]
    if sizing.method == "equal":
        return [
            "# Sizing, several symbols, shared cash: each entry buys a fixed, equal slice of the starting",
            "# capital (INIT_CASH x EXPOSURE / number of symbols). Profits are not re-invested and open",
            "# positions are never rebalanced; an entry is trimmed to the cash left if a slice is short.",
            "SIZE = INIT_CASH * EXPOSURE / len(SYMBOLS)",
            'SIZE_TYPE = "value"',
        ]
    if sizing.method == "fixed_fraction":
        return [
            "# Sizing: a fixed fraction of the available cash x EXPOSURE per entry",
            f"SIZE = {float(sizing.value or 0)!r} * EXPOSURE",
            'SIZE_TYPE = "percent"',
        ]
    return [
        "# Sizing: a fixed cash amount per entry",
        f"SIZE = {float(sizing.value or 0)!r}",
        'SIZE_TYPE = "value"',
    ]


def _stop_line(name: str, value: float | None, what: str) -> str:
    if value is None:
        return f"{name} = np.nan  # no {what}"
    return f"{name} = {value!r}  # {what}: {value * 100:g}% from the entry price"


def _atr_line(name: str, distance: AtrDistance, what: str) -> str:
    return f"{name} = {float(distance.multiple)!r}  # {what}: {distance.label()} from the entry bar's close"


def stop_constant_lines(spec: StrategySpec) -> list[str]:
    trailing = spec.trailing_stop is not None or spec.trailing_stop_atr is not None
    lines = []
    sl_atr = spec.trailing_stop_atr or spec.stop_loss_atr
    if sl_atr is not None:
        lines.append(_atr_line("SL_ATR", sl_atr, "trailing stop" if trailing else "stop-loss"))
        lines.append("SL_STOP = np.nan  # set from SL_ATR and the ATR at each bar, below")
    else:
        pct = spec.trailing_stop if spec.trailing_stop is not None else spec.stop_loss
        lines.append(_stop_line("SL_STOP", pct, "trailing stop" if trailing else "stop-loss"))
    side = (
        "highest price since entry (lowest, for a short)" if spec.has_short else "highest price since entry"
    )
    lines.append(f"SL_TRAIL = {trailing}  # True: the stop trails the {side}")
    if spec.take_profit_atr is not None:
        lines.append(_atr_line("TP_ATR", spec.take_profit_atr, "take-profit"))
        lines.append("TP_STOP = np.nan  # set from TP_ATR and the ATR at each bar, below")
    else:
        lines.append(_stop_line("TP_STOP", spec.take_profit, "take-profit"))
    if spec.stop_slippage:
        lines.append('STOP_EXIT_PRICE = "stopmarket"  # stops fill at their level, then SLIPPAGE against us')
    else:
        lines.append('STOP_EXIT_PRICE = "stoplimit"  # stops fill exactly at their level: no slippage')
    return lines


def atr_stop_lines(spec: StrategySpec) -> str:
    sl_atr = spec.trailing_stop_atr or spec.stop_loss_atr
    tp_atr = spec.take_profit_atr
    if sl_atr is None and tp_atr is None:
        return ""
    lines = [
        "",
        "# Stops in ATR multiples. vectorbt reads a stop's size on the bar where the entry fills, as a",
        "# fraction of that bar's close, so k x ATR / close puts the level exactly k ATRs from the entry",
        "# close. That ATR uses the entry bar's high, low and close, all known at the close where the entry",
        "# fills, and the stop is checked from the next bar on.",
    ]
    if spec.trailing_stop_atr is not None:
        lines.append("# The trailing stop keeps that fraction of the best price since entry.")
    atrs: list[str] = []
    for name, distance in (("SL", sl_atr), ("TP", tp_atr)):
        if distance is not None:
            atr = distance.indicator().var_name()
            lines.append(f"{name}_STOP = {name}_ATR * {atr} / close")
            atrs.append(atr)
    ready = " & ".join(f"{atr}.notna()" for atr in dict.fromkeys(atrs))
    lines.append("# No entry before the stop's ATR has a value: a position never opens without its stop")
    if spec.has_long:
        lines.append(f"entries = entries & {ready}")
    if spec.has_short:
        lines.append(f"short_entries = short_entries & {ready}")
    return "\n".join(lines)


def uses_both_signal_pairs(spec: StrategySpec) -> bool:
    """Shorts, ATR stops or the order loop: all four signal frames and both stops as frames, so that every
    such strategy runs on the one simulator build the sandbox compiles at start-up (numba compiles one per
    argument type; a scalar and a frame are two)."""
    return spec.has_short or bool(spec.atr_distances()) or needs_order_loop(spec)


def window_lines(spec: StrategySpec) -> str:
    lines = [
        "",
        "# The backtest window: from START on (the bars before it only warmed the indicators up)",
        'in_window = close.index >= pd.Timestamp(START, tz="UTC")',
        "open_price, high, low, close = (f.loc[in_window] for f in (open_price, high, low, close))",
        "entries, exits = entries.loc[in_window], exits.loc[in_window]",
    ]
    if not uses_both_signal_pairs(spec):
        return "\n".join(lines)
    if spec.has_short:
        lines.append("short_entries, short_exits = short_entries.loc[in_window], short_exits.loc[in_window]")
    else:
        lines += [
            "# Long only: no short signals (the call below takes both pairs)",
            "short_entries = pd.DataFrame(False, index=close.index, columns=close.columns)",
            "short_exits = short_entries",
        ]
    lines.append("# Both stops as one value per bar and symbol (vectorbt reads it on the entry bar)")
    for name, has_atr in (
        ("SL_STOP", spec.trailing_stop_atr or spec.stop_loss_atr),
        ("TP_STOP", spec.take_profit_atr),
    ):
        if has_atr:
            lines.append(f"{name} = {name}.loc[in_window]")
        else:
            lines.append(
                f"{name} = pd.DataFrame({name}, index=close.index, columns=close.columns, dtype=float)"
            )
    return "\n".join(lines)


def portfolio_call(spec: StrategySpec) -> str:
    grouping = "    group_by=True,\n    cash_sharing=True,\n" if len(spec.symbols) > 1 else ""
    if uses_both_signal_pairs(spec):
        signals = """    short_entries=short_entries,
    short_exits=short_exits,
    upon_long_conflict="ignore",  # a long entry and exit on one bar cancel out
    upon_short_conflict="ignore",  # a short entry and exit on one bar cancel out
    upon_dir_conflict="ignore",  # a long and a short entry on one bar while flat cancel out
    upon_opposite_entry="reverse",  # an entry of the other side reverses an open position
"""
        side = "long and short" if spec.has_short else "long only"
        title = f"{side}; a stop fill takes its bar (that bar's signals are ignored)"
    else:
        signals = ""
        title = "long only; an entry and an exit on the same bar cancel out (vectorbt's default)"
    return f"""
# Backtest: {title}
portfolio = vbt.Portfolio.from_signals(
    close,
    entries,
    exits,
{signals}    open=open_price,
    high=high,
    low=low,
    sl_stop=SL_STOP,
    sl_trail=SL_TRAIL,
    tp_stop=TP_STOP,
    stop_exit_price=STOP_EXIT_PRICE,
    size=SIZE,
    size_type=SIZE_TYPE,
    fees=FEES,
    slippage=SLIPPAGE,
    init_cash=INIT_CASH,
    freq=FREQ,
{grouping})
"""
