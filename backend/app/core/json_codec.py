"""How JSON columns are written and read: orjson, with the standard library for what orjson refuses.

A run's final write stores its equity curve, benchmark, drawdown and trades as JSON: `json.dumps` took ~8 ms
of the event loop per run for them, orjson ~0.3 ms. Values orjson does not take (a float subclass, an
integer wider than 64 bits) and text it cannot read (the `NaN` the standard library writes) go through
`json` as before, so nothing stored earlier becomes unreadable. orjson writes NaN and infinities as
`null` (the standard library wrote `NaN`, which is not JSON); what is stored is finite or None already
(metrics and series are made finite before storage), so this changes no stored value.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except TypeError:
        return json.dumps(value)


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
