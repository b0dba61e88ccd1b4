"""The report's "How orders filled" block: the run's fill conventions (`app.models.fills`), the same words
the generated code's header states, so a reader of either sees what the numbers rest on."""

from __future__ import annotations

import html
from collections.abc import Sequence

from app.models.fills import FillConvention


def fill_conventions_html(conventions: Sequence[FillConvention]) -> str:
    if not conventions:
        return ""
    rows = "".join(
        f'<tr data-key="{html.escape(c.key)}"><th>{html.escape(c.title)}</th>'
        f"<td>{html.escape(c.text)}</td></tr>"
        for c in conventions
    )
    return f'<section class="fills"><h2>How orders filled</h2><table class="fills">{rows}</table></section>'
