"""docs/language.md shows the indicator formulas and candle patterns the code computes (regenerate with
``python -m tests.services.language.language_docs``), and names every family the parser tests cover."""

from __future__ import annotations

from tests.services.language.language_docs import DOC, rendered
from tests.services.language.test_parser_families import FAMILIES


def test_the_generated_sections_are_current() -> None:
    text = DOC.read_text()
    assert rendered(text) == text, (
        "docs/language.md is stale: python -m tests.services.language.language_docs"
    )


def test_every_family_has_its_line_of_docs() -> None:
    text = DOC.read_text().lower()
    missing = [family for family in FAMILIES if f"**{family.lower()}**" not in text]
    assert not missing, f"families without a line in docs/language.md: {missing}"
