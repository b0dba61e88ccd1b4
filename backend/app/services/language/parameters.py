"""Named parameters in a rule: any number can be written ``{name=default}``.

``"SMA({fast=10}) crosses above SMA({slow=50})"`` reads as ``SMA(10) crosses above SMA(50)`` in a normal
run; a sweep runs it for other values of ``fast`` and ``slow``. A name is letters, digits and ``_`` (not
starting with a digit); the default is a plain number. One name used in several places is one parameter
(its defaults must agree).

>>> [(p.name, p.default) for p in rule_parameters("RSI({n=14}) below {low=30.5}")]
[('n', 14.0), ('low', 30.5)]
>>> substitute("SMA({fast=10}) crosses above SMA({slow=50})", {"fast": 5})
'SMA(5) crosses above SMA(50)'
>>> understood_with("SMA(10) crosses above SMA(50)", "SMA({fast=10}) crosses above SMA({slow=50})")
'SMA(10) crosses above SMA(50), with fast = 10, slow = 50'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

PATTERN = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([-+]?\d+(?:\.\d+)?)\s*\}")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class RuleParameter:
    name: str
    default: float
    start: int  # position of the ``{`` in the rule text
    end: int


def rule_parameters(text: str) -> list[RuleParameter]:
    return [RuleParameter(m.group(1), float(m.group(2)), m.start(), m.end()) for m in PATTERN.finditer(text)]


def number_text(value: float) -> str:
    """How a value is written back into a rule: ``20`` for 20.0, ``0.5`` for 0.5."""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def substitute(text: str, values: Mapping[str, float] | None = None) -> str:
    """The rule with each parameter replaced by its value in ``values`` (its default if absent)."""
    chosen = values or {}
    return PATTERN.sub(lambda m: number_text(chosen.get(m.group(1), float(m.group(2)))), text)


def position_in_original(text: str, position: int) -> int:
    """Where a position in the substituted (default) text falls in the original text (inside a
    parameter's number: at its ``{``)."""
    shift = 0  # original minus substituted length, so far
    for p in rule_parameters(text):
        sub_start = p.start - shift
        written = len(number_text(p.default))
        if position < sub_start:
            break
        if position < sub_start + written:
            return p.start
        shift += (p.end - p.start) - written
    return position + shift


def understood_with(understood: str, text: str) -> str:
    """The reading of a rule, followed by its parameters and their defaults."""
    seen: dict[str, float] = {}
    for p in rule_parameters(text):
        seen.setdefault(p.name, p.default)
    if not seen:
        return understood
    return f"{understood}, with " + ", ".join(f"{n} = {number_text(v)}" for n, v in seen.items())


def conflicting_defaults(texts: list[str]) -> tuple[str, float, float] | None:
    """A parameter written with two different defaults (name, first, second), or None."""
    seen: dict[str, float] = {}
    for text in texts:
        for p in rule_parameters(text):
            if p.name in seen and seen[p.name] != p.default:
                return p.name, seen[p.name], p.default
            seen.setdefault(p.name, p.default)
    return None
