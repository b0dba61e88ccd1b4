"""The offline HTML report."""

from __future__ import annotations

import re
from pathlib import Path

from plotly.offline import get_plotlyjs

from app.services.results import BacktestResults, render_report
from tests.services.results.results_fixtures import Run


def test_report_opens_offline(built: BacktestResults, ma_run: Run, tmp_path: Path) -> None:
    page = render_report("MA 20/50 <SPX>", built, {"SPX": ma_run.bars})
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src\s*=", text, flags=re.I), "no external script"
    assert not re.search(r"""<link[^>]+href\s*=\s*["']https?:""", text, flags=re.I)
    assert get_plotlyjs()[:2000] in text, "plotly.js bundle inlined"
    assert text.count("Plotly.newPlot(") == 4  # equity, drawdown, monthly heatmap, price with trades
    assert "MA 20/50 &lt;SPX&gt;" in text
    assert "Monthly returns" in text and "Exit: stop loss" in text


def test_report_accepts_a_stored_row(built: BacktestResults) -> None:
    """The API renders from a BacktestRun row or its dict, without bars: three charts, no price chart."""
    page = render_report("stored", built.model_dump())
    assert page.count("Plotly.newPlot(") == 3
