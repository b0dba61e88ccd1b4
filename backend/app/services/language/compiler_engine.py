"""The generated code's bar-by-bar order loop, for the fills vectorbt's ``from_signals`` cannot make.

``from_signals`` makes at most one order per bar and symbol, and refuses to size a reversal as a percent of
cash. So a strategy with ``reenter_on_exit_bar`` (a stop fill and a new entry on one bar: two orders) or with
both sides sized as a fraction of the cash below 100% (a reversal closes, then opens with that fraction of
the cash after the close), or with a time limit (``exit_after_bars``: from_signals has no time stop and
the generated code may not bring its own numba kernel) gets this loop instead: plain Python over the bars,
the same rules as
``from_signals`` (stop checks, fill prices, fees, slippage, the conflicts of `compiler_portfolio`), writing
vectorbt order records from which ``vbt.Portfolio`` builds the equity and the trades. Where both can run
(no re-entry, no fractional reversal) the two give the same orders; the tests hold them to that.
"""

from __future__ import annotations

from app.services.language.compiler_portfolio import fractional_reversal
from app.services.language.spec import StrategySpec

ORDER_LOOP = '''
# Backtest, bar by bar. vectorbt's from_signals makes one order per bar and symbol and cannot size a
# reversal as a fraction of cash; this strategy needs {why}, so this loop writes the orders by the same
# rules and vectorbt builds the portfolio from them.
REENTER_ON_EXIT_BAR = {reenter}  # an entry signal on a bar where a stop filled is taken at its close
MAX_BARS = {max_bars}  # the time limit: a position is closed at the close of its Nth bar (None: none)


def by_symbol(values):
    """One flat list per symbol (column): plain floats the loop reads fast, and few objects to track."""
    array = np.broadcast_to(np.asarray(values, dtype=float), close.shape)
    return [array[:, col].tolist() for col in range(len(SYMBOLS))]


open_cols, high_cols, low_cols, close_cols = (by_symbol(f) for f in (open_price, high, low, close))
signal_cols = [by_symbol(f) for f in (entries, exits, short_entries, short_exits)]
sl_cols, tp_cols = by_symbol(SL_STOP), by_symbol(TP_STOP)
account = {{"cash": INIT_CASH, "free_cash": INIT_CASH}}  # free cash: what is not locked by shorts
position = [0.0] * len(SYMBOLS)  # units; negative: short
debt = [0.0] * len(SYMBOLS)  # value the open short was sold at
stop_ref = [math.nan] * len(SYMBOLS)  # the stops' reference: entry close, or the best price since
stop_sl = [math.nan] * len(SYMBOLS)
stop_tp = [math.nan] * len(SYMBOLS)
entry_close = [math.nan] * len(SYMBOLS)
bars_held = [0] * len(SYMBOLS)  # bars (with a price) since the position opened
orders = []


def book(bar, col, units, price, slip):
    """An order of `units` (+ buy, - sell) at `price`, moved against us by `slip`; fees on its value."""
    buy = units > 0
    fill_price = price * (1 + slip) if buy else price * (1 - slip)
    traded = abs(units) * fill_price
    fee = traded * FEES
    before = position[col]
    after = before + units
    if buy:
        account["cash"] -= traded + fee
        released = debt[col] * min(abs(units), -before) / -before if before < 0 else 0.0
        debt[col] -= released
        account["free_cash"] += 2 * released - traded - fee  # covering a short frees its margin
    else:
        account["cash"] += traded - fee
        shorted = max(0.0, -after) if before >= 0 else abs(units)
        debt[col] += shorted * fill_price
        account["free_cash"] += traded - fee - 2 * shorted * fill_price  # a short locks its value
    position[col] = 0.0 if abs(after) <= 1e-9 * abs(units) else after
    if position[col] == 0.0:
        debt[col] = 0.0
    orders.append((len(orders), col, bar, abs(units), fill_price, fee, 0 if buy else 1))


def entry_units(bar, col, side, closing):
    """Units of an entry on `side` (1 long, -1 short) on top of the `closing` units of the other side."""
    price = close_cols[col][bar]
    fill_price = price * (1 + SLIPPAGE) if side > 0 else price * (1 - SLIPPAGE)
    if SIZE_TYPE == "value" and SIZE != np.inf:
        units = closing + SIZE / price
        if side > 0 and units * fill_price * (1 + FEES) > account["cash"]:
            units = account["cash"] / (1 + FEES) / fill_price  # a buy is capped by the cash
        return side * units
    share = SIZE if SIZE_TYPE == "percent" else 1.0
    if side > 0:  # cover the short first, then `share` of the cash left goes long
        left = account["cash"] - closing * fill_price * (1 + FEES)
        return closing + share * max(0.0, left) / (1 + FEES) / fill_price
    freed = account["free_cash"] + closing * fill_price * (1 - FEES)  # free cash after closing the long
    return -(closing + share * max(0.0, freed) / (1 + FEES) / fill_price)


def stop_fill(bar, col):
    """The stop-loss (or trailing stop), then the take-profit, of an open position; NaN if neither."""
    long = position[col] > 0
    bar_open, bar_high, bar_low = open_cols[col][bar], high_cols[col][bar], low_cols[col][bar]
    bar_close = close_cols[col][bar]
    bar_open = bar_close if math.isnan(bar_open) else bar_open
    bar_low = min(bar_open, bar_close) if math.isnan(bar_low) else bar_low
    bar_high = max(bar_open, bar_close) if math.isnan(bar_high) else bar_high
    for level, from_above in (
        (stop_ref[col] * (1 - stop_sl[col] if long else 1 + stop_sl[col]), long),
        (entry_close[col] * (1 + stop_tp[col] if long else 1 - stop_tp[col]), not long),
    ):
        if math.isnan(level):
            continue
        if (bar_open <= level) if from_above else (bar_open >= level):
            return bar_open  # the bar opened beyond the level: filled at the open
        if bar_low <= level <= bar_high:
            return level
    return math.nan


for bar in range(len(close)):
    for col in range(len(SYMBOLS)):
        held = position[col]
        if math.isnan(close_cols[col][bar]):
            continue
        if held != 0:
            bars_held[col] += 1
        if held != 0 and not (math.isnan(stop_sl[col]) and math.isnan(stop_tp[col])):
            filled_at = stop_fill(bar, col)
            if SL_TRAIL and held > 0:
                stop_ref[col] = max(stop_ref[col], high_cols[col][bar])
            if SL_TRAIL and held < 0:
                stop_ref[col] = min(stop_ref[col], low_cols[col][bar])
            if not math.isnan(filled_at):
                book(bar, col, -held, filled_at, SLIPPAGE if STOP_EXIT_PRICE == "stopmarket" else 0.0)
                if not REENTER_ON_EXIT_BAR:
                    continue
                held = 0.0
        if held != 0 and MAX_BARS is not None and bars_held[col] >= MAX_BARS:
            # The time limit closes the position at this close, like an exit signal that takes the bar.
            book(bar, col, -held, close_cols[col][bar], SLIPPAGE)
            entry_close[col] = stop_ref[col] = stop_sl[col] = stop_tp[col] = math.nan
            if not REENTER_ON_EXIT_BAR:
                continue
            held = 0.0
        long_entry, long_exit, short_entry, short_exit = (cols[col][bar] > 0 for cols in signal_cols)
        if long_entry and long_exit:  # an entry and an exit of one side on one bar cancel out
            long_entry = long_exit = False
        if short_entry and short_exit:
            short_entry = short_exit = False
        if long_entry and short_entry:  # a long and a short entry on one bar cancel out
            long_entry = short_entry = False
        units = 0.0
        if held > 0:
            units = entry_units(bar, col, -1, held) if short_entry else (-held if long_exit else 0.0)
        elif held < 0:
            units = entry_units(bar, col, 1, -held) if long_entry else (-held if short_exit else 0.0)
        elif long_entry or short_entry:
            units = entry_units(bar, col, 1 if long_entry else -1, 0.0)
        if units == 0.0:
            continue
        book(bar, col, units, close_cols[col][bar], SLIPPAGE)
        if position[col] != 0 and (held == 0 or (position[col] > 0) != (held > 0)):  # opened or reversed
            entry_close[col] = stop_ref[col] = close_cols[col][bar]
            stop_sl[col], stop_tp[col] = sl_cols[col][bar], tp_cols[col][bar]
            bars_held[col] = 0
        elif position[col] == 0:
            entry_close[col] = stop_ref[col] = stop_sl[col] = stop_tp[col] = math.nan

portfolio = vbt.Portfolio(
    vbt.ArrayWrapper.from_obj(close, freq=FREQ{group_by}),
    close,
    np.array(orders, dtype=vbt.portfolio.enums.order_dt),
    np.array([], dtype=vbt.portfolio.enums.log_dt),
    np.array([INIT_CASH]),
    {cash_sharing},
)
'''


def order_loop(spec: StrategySpec) -> str:
    reasons = []
    if spec.reenter_on_exit_bar:
        reasons.append("a stop fill and a new entry on one bar (REENTER_ON_EXIT_BAR)")
    if fractional_reversal(spec):
        reasons.append("reversals sized as a fraction of the cash")
    if spec.exit_after_bars is not None:
        reasons.append(f"a time limit (positions close after {spec.exit_after_bars} bars)")
    several = len(spec.symbols) > 1
    return ORDER_LOOP.format(
        why=" and ".join(reasons),
        reenter=spec.reenter_on_exit_bar,
        max_bars=spec.exit_after_bars,
        group_by=", group_by=True" if several else "",
        cash_sharing=several,
    )
