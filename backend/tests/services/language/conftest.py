"""Fixtures for the language tests: real S&P 500 bars (shipped by the `arch` package) and a runner
that executes compiled strategies in-process (trusted test context, no sandbox)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[4] / ".cache" / "numba"))

from tests.services.language.helpers import load_sp500, run_code


@pytest.fixture(scope="session")
def sp500() -> pd.DataFrame:
    return load_sp500()


@pytest.fixture(scope="session")
def warm_vbt() -> None:
    """Pay numba's first-call compile once per session (20-40 s cold, a few seconds warm)."""
    import numpy as np
    import vectorbt as vbt

    close = pd.Series(np.linspace(10, 20, 50))
    vbt.Portfolio.from_signals(
        close, close > 15, close > 18, open=close, high=close, low=close, sl_stop=0.1, sl_trail=True,
        tp_stop=0.2, size=1.0, size_type="percent", fees=0.001, slippage=0.001, init_cash=100.0, freq="1D",
    ).total_return()  # fmt: skip


@pytest.fixture(scope="session")
def runner(warm_vbt: None, sp500: pd.DataFrame) -> Callable[[str], dict[str, Any]]:
    return lambda code: run_code(code, {"SPX": sp500})
