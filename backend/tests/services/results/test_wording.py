"""Metrics in words for the run log: each in its unit and precision, "pp" for vs_benchmark."""

from app.services.results.wording import headline


def test_units_precision_and_order() -> None:
    metrics = {
        "vs_benchmark": -124.4731,
        "trades": 15,
        "sharpe_ratio": 0.0123,
        "total_return": -3.2149,
        "max_drawdown": -18.5,
        "win_rate": 40.0,
        "cagr": 2.0,
    }
    assert headline(metrics) == (
        "total return -3.21%, CAGR +2.00%, Sharpe 0.01, max drawdown -18.50%, win rate 40.0%, 15 trades, "
        "vs benchmark -124.47 pp"
    )


def test_missing_and_undefined_values_are_left_out() -> None:
    assert (
        headline({"total_return": 1.0, "sharpe_ratio": None, "trades": 1}) == "total return +1.00%, 1 trade"
    )
    assert headline({"sharpe_ratio": float("nan")}) == ""
    assert headline({"total_return": 5, "cagr": 1}, keys=("cagr",)) == "CAGR +1.00%"
