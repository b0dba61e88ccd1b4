"""The zygote's warm-up: import the stack, compile the kernels a generated strategy uses, and the two
patches of vectorbt that make a run cheap (a disk-cached signal simulator, shape checks without
Timestamps)."""

from __future__ import annotations

import contextlib
from typing import Any

from .script import run_script

PRETOUCH_ROWS = 2600


def warm_scripts(scripts: list[str], rows: int | None = None) -> None:
    """Run the host's representative scripts on synthetic bars (all of 2000-2030, or its first `rows`) so
    their exact kernels are compiled here."""
    import numpy as np
    import pandas as pd

    index = pd.date_range("2000-01-01", "2030-12-31", freq="D", tz="UTC")
    if rows is not None:
        index = index[:rows]
    rng = np.random.default_rng(1)
    close = 100 * np.cumprod(1 + rng.normal(0.0003, 0.012, len(index)))
    bars = pd.DataFrame(
        {"Open": close * 0.999, "High": close * 1.01, "Low": close * 0.99, "Close": close, "Volume": 1e6},
        index=index,
    )
    for number, script in enumerate(scripts, start=1):
        report = run_script(script, {"WARM_A": bars, "WARM_B": bars * 1.1}, ["WARM_A", "WARM_B"])
        if "error" in report:
            raise RuntimeError(f"warm-up script {number} failed: {report['error']['message']}")


def warm_stack() -> dict[str, str]:
    """Import the stack and run a tiny backtest touching the kernels a generated strategy uses."""
    import warnings

    warnings.filterwarnings("ignore")
    import numba
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    speed_up_shape_checks()
    cache_signal_simulator()

    index = pd.date_range("2020-01-01", periods=400, freq="D", tz="UTC")
    rng = np.random.default_rng(0)
    close = pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.01, len(index))), index=index)
    frame = pd.DataFrame({"a": close, "b": close * 1.1})
    for data in (close, frame):
        fast, slow = vbt.MA.run(data, 10), vbt.MA.run(data, 30, ewm=True)
        rsi = vbt.RSI.run(data, 14)
        bb = vbt.BBANDS.run(data, 20)
        vbt.MACD.run(data)
        vbt.ATR.run(data * 1.01, data * 0.99, data, 14)
        if isinstance(data, pd.Series):
            entries = fast.ma_crossed_above(slow) | (rsi.rsi < 30) | bb.close_below(bb.lower)
            exits = fast.ma_crossed_below(slow) | (rsi.rsi > 70)
        else:  # indicator outputs carry parameter levels in their columns; signals must match `data`
            entries = data.vbt.crossed_above(data.rolling(20).mean())
            exits = data.vbt.crossed_below(data.rolling(20).mean())
        # The host's warm-up scripts (the compiler's own output) cover from_signals with its real
        # signatures; this plain call covers hand-edited code that passes no open/high/low.
        kwargs: dict[str, Any] = {"fees": 0.001, "slippage": 0.001, "init_cash": 10_000, "freq": "1D"}
        if isinstance(data, pd.DataFrame):
            kwargs.update(cash_sharing=True, group_by=True, size=0.5, size_type="percent")
        pf = vbt.Portfolio.from_signals(data, entries, exits, sl_stop=0.05, tp_stop=0.1, **kwargs)
        pf.value()
        pf.trades.records_readable  # noqa: B018
    return {
        "vectorbt": vbt.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "numba": numba.__version__,
    }


def cache_signal_simulator() -> None:
    """vectorbt jits `simulate_from_signals_nb` without numba's on-disk cache (the function takes the
    stop-adjusting callbacks as arguments), so every zygote compiled it again: ~4 s per argument signature,
    five signatures, about 20 of a zygote's 25 s start on a 2-core machine. Its only caller,
    `portfolio.dispatch.simulate_from_signals`, passes none of the callbacks (the callback path is another
    function), so the argument types are the same in every process and the cached build is the same code."""
    import numba
    from vectorbt.portfolio import nb

    if getattr(nb.simulate_from_signals_nb, "disk_cached", False):
        return
    cached = numba.njit(cache=True)(nb.simulate_from_signals_nb.py_func)
    cached.disk_cached = True  # type: ignore[attr-defined]
    nb.simulate_from_signals_nb = cached


def speed_up_shape_checks() -> None:
    """vectorbt checks an output's length against its index with `np.asarray(index)`: for a tz-aware
    DatetimeIndex that builds an object array of Timestamps, ~4 ms per 2,500 bars and several times per
    `portfolio.value()` (half its time). The same check on a zero-copy stand-in of the index's shape."""
    import numpy as np
    import pandas as pd
    from vectorbt.utils import checks

    original = checks.assert_shape_equal
    if getattr(original, "shape_only", False):
        return

    def stand_in(arg: Any) -> Any:
        return np.broadcast_to(np.False_, arg.shape) if isinstance(arg, pd.Index) else arg

    def assert_shape_equal(arg1: Any, arg2: Any, axis: Any = None) -> None:
        original(stand_in(arg1), stand_in(arg2), axis)

    assert_shape_equal.shape_only = True  # type: ignore[attr-defined]
    checks.assert_shape_equal = assert_shape_equal


def pretouch(config: dict[str, Any]) -> None:
    """Run the first warm-up script (trusted: the host's compiler output) on ~10 years of daily bars.

    A fresh fork shares every page with the zygote, so a run's first writes to the warm heap (reference
    counts, allocator arenas, numba's dispatch caches) each copy a page: ~15 ms of a 35 ms backtest. A spare
    pays them while it waits; what it keeps is the zygote's state after one more of its own warm-up runs.
    """
    scripts = config.get("warmup_scripts") or []
    if config.get("pretouch", True) and scripts:
        with contextlib.suppress(Exception):  # a spare that could not pre-touch still serves its run
            warm_scripts(scripts[:1], rows=PRETOUCH_ROWS)


def load_packages(packages: dict[str, str]) -> None:
    """Import each trusted package (name -> directory, bound read-only) under its name, by its location
    (nothing goes on sys.path), and run its ``warm()``: runs then import it already warm. The sweep kernel
    (`stratcrew_research`) is one: its numba kernels compile here, once per zygote, like vectorbt's."""
    import importlib.util
    import sys

    from numba.core import config as numba_config

    for name, directory in packages.items():
        spec = importlib.util.spec_from_file_location(
            name, f"{directory}/__init__.py", submodule_search_locations=[directory]
        )
        if spec is None or spec.loader is None:
            raise RuntimeError(f"package {name!r} not found at {directory}")
        module = sys.modules[name] = importlib.util.module_from_spec(spec)
        # numba names a cache entry after the source file, not the module: loaded here under another name
        # than the host's (the unsandboxed fallback reads the same files), its entries get their own folder
        # so neither side loads the other's.
        cache_dir = numba_config.CACHE_DIR  # type: ignore[attr-defined]
        if cache_dir:
            numba_config.CACHE_DIR = f"{cache_dir}/packages/{name}"  # type: ignore[attr-defined]
        try:
            spec.loader.exec_module(module)
            warm = getattr(module, "warm", None)
            if callable(warm):
                warm()
        finally:
            numba_config.CACHE_DIR = cache_dir  # type: ignore[attr-defined]


def prepare_packages(packages: dict[str, str]) -> None:
    """In a run's child, before its script: each package's ``child_setup()`` (the sweep kernel installs its
    progress reporter on stdout)."""
    import sys

    for name in packages:
        setup = getattr(sys.modules.get(name), "child_setup", None)
        if callable(setup):
            setup()
