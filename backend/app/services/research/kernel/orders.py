"""Filling one order the way vectorbt's ``Portfolio.from_signals`` does (vectorbt 1.2, numba engine).

Written for the sweep kernel, which must reproduce a normal run's numbers to 1e-9: every rounding step,
tolerance and branch below follows vectorbt's ``portfolio.nb.buy_nb`` / ``sell_nb`` / ``execute_order_nb``
for the options the generated code uses (no fixed fees, no size granularity, no cash locking, partial fills
allowed, ``min_size`` 1e-8). tests/services/research/test_kernel_equivalence.py compares whole runs
against vectorbt itself.

Tolerances (vectorbt's ``utils.math_``): two floats are "close" within 1e-9 relative or 1e-12 absolute;
an addition whose result is close to zero is exactly zero (so a closed position is 0.0, not 1e-17).

Conventions: ``size`` is positive to buy and negative to sell; ``direction`` 0 long only, 1 short only,
2 both; ``size_type`` 0 amount (units), 1 value (cash), 2 percent (of the cash available, or of the
free cash for a short). A result's ``status`` is FILLED, IGNORED or REJECTED; an impossible request
(vectorbt would raise) is ERROR with a code in ``info``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

REL_TOL = 1e-9
ABS_TOL = 1e-12
MIN_SIZE = 1e-8

LONG_ONLY, SHORT_ONLY, BOTH = 0, 1, 2
AMOUNT, VALUE, PERCENT = 0, 1, 2
BUY, SELL = 0, 1
FILLED, IGNORED, REJECTED, ERROR = 0, 1, 2, 3

# ERROR codes (what vectorbt raises for the same request)
ERR_NEGATIVE_CASH = 1
ERR_INFINITE_LONG = 2
ERR_INFINITE_SHORT = 3
ERR_BAD_VALUATION = 4
ERR_PERCENT_REVERSAL = 5
ERR_NEGATIVE_STOP = 6
ERR_BAD_PRICE = 7


@njit(cache=True, nogil=True)
def is_close(a: float, b: float) -> bool:
    if np.isnan(a) or np.isnan(b) or np.isinf(a) or np.isinf(b):
        return False
    if a == b:
        return True
    return abs(a - b) <= max(REL_TOL * max(abs(a), abs(b)), ABS_TOL)


@njit(cache=True, nogil=True)
def is_close_or_less(a: float, b: float) -> bool:
    return True if is_close(a, b) else a < b


@njit(cache=True, nogil=True)
def is_less(a: float, b: float) -> bool:
    return False if is_close(a, b) else a < b


@njit(cache=True, nogil=True)
def add(a: float, b: float) -> float:
    """``a + b``, exactly 0.0 when the sum is within tolerance of zero."""
    if b == 0.0:  # the common case (a bar without a fill), same result as the general rule below
        return 0.0 if abs(a) <= ABS_TOL else a
    zero = is_close(abs(a), abs(b)) if np.sign(a) != np.sign(b) else is_close(a + b, 0.0)
    return 0.0 if zero else a + b


@njit(cache=True, nogil=True)
def snap(x: float) -> float:
    return 0.0 if is_close(x, 0.0) else x


# An account is (cash, position, debt, free_cash); a fill is (status, info, size, price, fees, side).


@njit(cache=True, nogil=True)
def buy(
    cash: float,
    position: float,
    debt: float,
    free_cash: float,
    size: float,
    price: float,
    direction: int,
    fees: float,
    slippage: float,
    percent: float,
) -> tuple[float, float, float, float, int, int, float, float, float]:
    """Buy (or cover): the new account, then (status, info, filled size, fill price, fees paid)."""
    adj_price = price * (1.0 + slippage)
    cash_limit = cash
    if not np.isnan(percent):
        cash_limit = min(cash_limit, percent * cash_limit)
    if direction in (LONG_ONLY, BOTH):
        if cash_limit == 0:
            return cash, position, debt, free_cash, REJECTED, 0, np.nan, np.nan, np.nan
        if np.isinf(size) and np.isinf(cash_limit):
            return cash, position, debt, free_cash, ERROR, ERR_INFINITE_LONG, np.nan, np.nan, np.nan
    elif position == 0:
        return cash, position, debt, free_cash, REJECTED, 0, np.nan, np.nan, np.nan
    adj_size = min(-position, size) if direction == SHORT_ONLY else size
    if adj_size == 0:
        return cash, position, debt, free_cash, IGNORED, 0, np.nan, np.nan, np.nan

    req_cash = adj_size * adj_price
    req_fees = req_cash * fees
    total_req_cash = req_cash + req_fees
    if is_close_or_less(total_req_cash, cash_limit):
        final_size = adj_size
        fees_paid = req_fees
        final_req_cash = total_req_cash
    else:
        # Not enough cash: buy what the cash covers once fees are paid (vectorbt subtracts fixed fees,
        # zero here, through its tolerant addition)
        max_req_cash = add(cash_limit, -0.0) / (1.0 + fees)
        if max_req_cash <= 0:
            return cash, position, debt, free_cash, REJECTED, 0, np.nan, np.nan, np.nan
        final_size = max_req_cash / adj_price
        fees_paid = cash_limit - max_req_cash
        final_req_cash = cash_limit
    if is_close(adj_size, 0.0):
        return cash, position, debt, free_cash, IGNORED, 0, np.nan, np.nan, np.nan
    if is_less(final_size, MIN_SIZE):
        return cash, position, debt, free_cash, REJECTED, 0, np.nan, np.nan, np.nan

    new_cash = add(cash, -final_req_cash)
    new_position = add(position, final_size)
    if position < 0:
        short_size = final_size if new_position < 0 else abs(position)
        avg_entry_price = debt / abs(position)
        debt_diff = short_size * avg_entry_price
        new_debt = add(debt, -debt_diff)
        new_free_cash = add(free_cash + 2 * debt_diff, -final_req_cash)
    else:
        new_debt = debt
        new_free_cash = add(free_cash, -final_req_cash)
    return new_cash, new_position, new_debt, new_free_cash, FILLED, 0, final_size, adj_price, fees_paid


@njit(cache=True, nogil=True)
def sell(
    cash: float,
    position: float,
    debt: float,
    free_cash: float,
    size: float,
    price: float,
    direction: int,
    fees: float,
    slippage: float,
    percent: float,
) -> tuple[float, float, float, float, int, int, float, float, float]:
    """Sell (or short): the new account, then (status, info, filled size, fill price, fees paid)."""
    adj_price = price * (1.0 - slippage)
    if direction == LONG_ONLY:
        size_limit = min(position, size)
    elif np.isinf(size) and not np.isnan(percent):
        # Short "all": the most the free cash (plus what closing a long frees) can back
        long_size = max(position, 0.0)
        long_cash = long_size * adj_price * (1.0 - fees)
        total_free_cash = add(free_cash, long_cash)
        if total_free_cash <= 0:
            if position <= 0:
                return cash, position, debt, free_cash, REJECTED, 0, np.nan, np.nan, np.nan
            size_limit = long_size
        else:
            max_short_size = add(total_free_cash, -0.0) / (adj_price * (1.0 + fees))
            size_limit = add(long_size, max_short_size)
            if size_limit <= 0:
                return cash, position, debt, free_cash, REJECTED, 0, np.nan, np.nan, np.nan
    else:
        size_limit = size
    if not np.isnan(percent):
        size_limit = percent * size_limit
    if direction in (SHORT_ONLY, BOTH):
        if np.isinf(size_limit):
            return cash, position, debt, free_cash, ERROR, ERR_INFINITE_SHORT, np.nan, np.nan, np.nan
    elif position == 0:
        return cash, position, debt, free_cash, REJECTED, 0, np.nan, np.nan, np.nan
    if is_close(size_limit, 0.0):
        return cash, position, debt, free_cash, IGNORED, 0, np.nan, np.nan, np.nan
    if is_less(size_limit, MIN_SIZE):
        return cash, position, debt, free_cash, REJECTED, 0, np.nan, np.nan, np.nan

    acq_cash = size_limit * adj_price
    fees_paid = acq_cash * fees
    final_acq_cash = add(acq_cash, -fees_paid)
    if final_acq_cash < 0:
        return cash, position, debt, free_cash, REJECTED, 0, np.nan, np.nan, np.nan
    new_cash = cash + final_acq_cash
    new_position = add(position, -size_limit)
    if new_position < 0:
        short_size = size_limit if position < 0 else abs(new_position)
        short_value = short_size * adj_price
        new_debt = debt + short_value
        new_free_cash = add(free_cash, add(final_acq_cash, -2 * short_value))
    else:
        new_debt = debt
        new_free_cash = free_cash + final_acq_cash
    return new_cash, new_position, new_debt, new_free_cash, FILLED, 0, size_limit, adj_price, fees_paid


@njit(cache=True, nogil=True)
def execute(
    cash: float,
    position: float,
    debt: float,
    free_cash: float,
    val_price: float,
    size: float,
    size_type: int,
    price: float,
    direction: int,
    fees: float,
    slippage: float,
) -> tuple[float, float, float, float, int, int, float, float, float]:
    """One order against an account, with vectorbt's snapping of near-zero balances first (an order that
    is not filled still returns the snapped account, as vectorbt's does)."""
    cash, position, debt, free_cash = snap(cash), snap(position), snap(debt), snap(free_cash)
    val_price = snap(val_price)
    if np.isnan(size) or np.isnan(price):
        return cash, position, debt, free_cash, IGNORED, 0, np.nan, np.nan, np.nan
    if np.isnan(cash) or cash < 0:
        return cash, position, debt, free_cash, ERROR, ERR_NEGATIVE_CASH, np.nan, np.nan, np.nan
    if not np.isfinite(price) or price <= 0:
        return cash, position, debt, free_cash, ERROR, ERR_BAD_PRICE, np.nan, np.nan, np.nan

    order_size = size
    if size_type == VALUE:
        if np.isinf(val_price) or val_price <= 0:
            return cash, position, debt, free_cash, ERROR, ERR_BAD_VALUATION, np.nan, np.nan, np.nan
        if np.isnan(val_price):
            return cash, position, debt, free_cash, IGNORED, 0, np.nan, np.nan, np.nan
        order_size /= val_price
        size_type = AMOUNT
    if size_type == AMOUNT and direction != LONG_ONLY and order_size < 0 and np.isinf(order_size):
        order_size = -1.0  # an infinite short means 100 % of what can be shorted
        size_type = PERCENT
    percent = np.nan
    if size_type == PERCENT:
        percent = abs(order_size)
        order_size = np.sign(order_size) * np.inf
    if order_size > 0:
        return buy(cash, position, debt, free_cash, order_size, price, direction, fees, slippage, percent)
    return sell(cash, position, debt, free_cash, -order_size, price, direction, fees, slippage, percent)
