"""`iso_times`: the harness's fast timestamp labels equal pandas' own `isoformat`."""

from __future__ import annotations

import pandas as pd
import pytest

from app.services.sandbox.harness.timestamps import iso_times
from tests.services.sandbox.harness.test_wire import INDEXES


@pytest.mark.parametrize(
    "index",
    [
        *INDEXES.values(),
        pd.DatetimeIndex(["2020-01-01 00:00:00.25", "2020-01-02"], tz="UTC"),
        pd.RangeIndex(3),
    ],
    ids=[*sorted(INDEXES), "fractional-seconds", "integers"],
)
def test_iso_times_match_timestamp_isoformat(index: pd.Index) -> None:
    assert iso_times(index) == [pd.Timestamp(t).isoformat() for t in index]
