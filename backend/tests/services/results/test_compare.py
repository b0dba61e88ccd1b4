"""The side-by-side comparison table."""

from __future__ import annotations

from app.services.results import compare_runs


def test_compare_runs_side_by_side() -> None:
    a = {
        "total_return": 25.5,
        "max_drawdown": -8.5,
        "volatility": 12.0,
        "beta": 0.8,
        "sharpe_ratio": None,
        "warnings": ["Only 3 trades"],
    }
    b = {"total_return": 25.5, "max_drawdown": -20.0, "volatility": 9.0, "beta": 1.1, "sharpe_ratio": 0.7}
    c = {"total_return": 3.0, "max_drawdown": -5.0, "volatility": 15.0, "beta": 0.2, "sharpe_ratio": 0.2}
    table = compare_runs([("a", a), ("b", b), ("c", c)])
    rows = {r["metric"]: r for r in table["rows"]}
    assert table["executions"] == ["a", "b", "c"]
    assert rows["total_return"]["best"] == ["a", "b"]  # a tie shares the title
    assert rows["max_drawdown"]["best"] == ["c"]  # the shallowest drawdown
    assert rows["volatility"]["best"] == ["b"]
    assert rows["beta"]["best"] == [] and rows["beta"]["better"] is None
    assert rows["sharpe_ratio"]["best"] == ["b"]  # None is skipped
    assert rows["sharpe_ratio"]["values"] == {"a": None, "b": 0.7, "c": 0.2}
    assert "cagr" not in rows
    assert table["warnings"] == {"a": ["Only 3 trades"], "b": [], "c": []}
