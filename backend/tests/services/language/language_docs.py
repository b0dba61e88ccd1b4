"""The generated parts of docs/language.md: the indicator catalog and the candle patterns, written from the
code that computes them, so the page cannot drift (test_language_docs.py fails when it is stale).

Rewrite them with ``python -m tests.services.language.language_docs`` (from backend/).
"""

from __future__ import annotations

import re
from pathlib import Path

from app.services.language import catalog
from app.services.language.compiler_patterns import PATTERN_FORMULAS

DOC = Path(__file__).resolve().parents[4] / "docs" / "language.md"
SECTIONS = ("indicators", "patterns")


def indicators() -> str:
    rows = ["| Indicator | Parameters (defaults) | Formula | Differs from TA-Lib |", "|---|---|---|---|"]
    for family in catalog.families():
        params = ", ".join(f"{p.label} {p.default:g}" for p in family.params) or "none"
        rows.append(f"| {family.title} | {params} | {_cell(family.formula)} | {_cell(family.talib) or '-'} |")
    return "\n".join(rows)


def patterns() -> str:
    rows = ["| Pattern | Formula |", "|---|---|"]
    rows += [f"| {name} | {_cell(words)} |" for name, (words, _) in PATTERN_FORMULAS.items()]
    return "\n".join(rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _block(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated: {name} -->\n)((?:(?!<!--).)*?)(\n<!-- end generated -->)", re.S)


def rendered(text: str) -> str:
    """``text`` (the page) with each generated section replaced by its current content."""
    for name in SECTIONS:
        body = {"indicators": indicators, "patterns": patterns}[name]()
        text, count = _block(name).subn(lambda m, b=body: m.group(1) + b + m.group(3), text)
        assert count == 1, f"docs/language.md lacks its '{name}' section markers"
    return text


if __name__ == "__main__":
    DOC.write_text(rendered(DOC.read_text()))
    print(f"rewrote {DOC}")
