"""The generated allowlist (policy_allowlist.json, written by `python -m scripts.policy_tables` from
policy_rules.py and the pinned libraries): each module path's allowed names, and the attributes allowed on
values. Loaded once; the policy only reads it."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

_PATH = Path(__file__).with_name("policy_allowlist.json")


class Allowlist(BaseModel):
    model_config = ConfigDict(frozen=True)

    modules: dict[str, frozenset[str]]
    values: frozenset[str]


@cache
def allowlist() -> Allowlist:
    return Allowlist.model_validate(json.loads(_PATH.read_text()))
