"""The sweep's signal helpers give the booleans a normal run's pandas expressions give."""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.services.research.kernel.grid import Grid
from app.services.research.kernel.signals import IndicatorTable, crossed_above, crossed_below, shift


def test_crosses_equal_the_generated_code_expression() -> None:
    rng = np.random.default_rng(5)
    close = pd.Series(100 + rng.normal(0, 1, 400).cumsum())
    table = IndicatorTable([5, 20, 50], lambda n: close.rolling(n).mean())
    fast, slow = table.pick(np.array([5.0, 20.0])), table.pick(np.array([20.0, 50.0]))
    for j, (f, s) in enumerate([(5, 20), (20, 50)]):
        a, b = close.rolling(f).mean(), close.rolling(s).mean()
        above = (a > b) & (a.shift(1) <= b.shift(1))
        below = (a < b) & (a.shift(1) >= b.shift(1))
        assert above.sum() > 3
        np.testing.assert_array_equal(crossed_above(fast, slow)[j], above.to_numpy())
        np.testing.assert_array_equal(crossed_below(fast, slow)[j], below.to_numpy())


def test_a_price_row_and_a_constant_broadcast() -> None:
    close = np.array([1.0, 3.0, 2.0, 4.0])
    levels = np.array([[2.0, 2.0, 2.0, 2.0], [3.5, 3.5, 3.5, 3.5]])
    assert crossed_above(close, levels).tolist() == [[False, True, False, True], [False, False, False, True]]
    assert crossed_below(close, 2.5).tolist() == [[False, False, True, False]]


def test_table_rows_are_the_normal_expression_per_value() -> None:
    close = pd.Series(np.arange(30.0))
    table = IndicatorTable([3.0, 10.0], lambda n: close.rolling(n).mean())
    np.testing.assert_array_equal(table.pick(np.array([10.0]))[0], close.rolling(10).mean().to_numpy())
    assert np.isnan(shift(np.array([[1.0, 2.0, 3.0]]), 1)[0, 0])
    assert shift(np.array([[1.0, 2.0, 3.0]]), 1)[0, 1:].tolist() == [1.0, 2.0]


def test_grid_constraints_and_order() -> None:
    grid = Grid({"fast": [5, 10, 20], "slow": [10, 20]})
    mask = grid.valid_mask([("fast", "<", "slow")])
    rows = [grid.row(c) for c in range(grid.size)]
    assert [(r["fast"], r["slow"]) for r in rows][:2] == [(5.0, 10.0), (5.0, 20.0)]  # last parameter fastest
    assert [(r["fast"], r["slow"]) for r, ok in zip(rows, mask, strict=True) if ok] == [
        (5.0, 10.0), (5.0, 20.0), (10.0, 20.0),
    ]  # fmt: skip
