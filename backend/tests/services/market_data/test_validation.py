"""Validation repairs only what is safe, says so, and refuses the rest naming the rows."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

from app.services.market_data import BadMarketData
from app.services.market_data.resample import normalise_index
from app.services.market_data.validation import validate


def frame(days: list[str], **cols: list[float]) -> pd.DataFrame:
    n = len(days)
    base = {
        "open": [10.0] * n,
        "high": [11.0] * n,
        "low": [9.0] * n,
        "close": [10.5] * n,
        "volume": [100.0] * n,
    }
    base.update(cols)
    return pd.DataFrame(base, index=pd.DatetimeIndex(days, tz="UTC", name="timestamp"))


DAYS = ["2020-01-06", "2020-01-07", "2020-01-08", "2020-01-09", "2020-01-10"]


def test_clean_frame_passes_untouched() -> None:
    f = frame(DAYS)
    out, notes = validate(f, "1d")
    pd.testing.assert_frame_equal(out, f)
    assert notes == []


def test_unsorted_and_identical_duplicates_are_repaired_with_notes() -> None:
    f = frame(["2020-01-07", "2020-01-06", "2020-01-07", "2020-01-08"])
    out, notes = validate(f, "1d")
    assert list(out.index.strftime("%Y-%m-%d")) == ["2020-01-06", "2020-01-07", "2020-01-08"]
    assert any("sorted" in n for n in notes)
    assert any("1 duplicated bar" in n and "2020-01-07" in n for n in notes)


def test_conflicting_duplicates_are_refused_naming_the_timestamp() -> None:
    f = frame(["2020-01-06", "2020-01-07", "2020-01-07"], close=[10.5, 10.5, 10.2])
    with pytest.raises(BadMarketData) as err:
        validate(f, "1d")
    assert err.value.rows == ["2020-01-07"] and "different values" in err.value.message


@pytest.mark.parametrize(
    ("cols", "reason", "row"),
    [
        ({"low": [9.0, 0.0, 9.0, 9.0, 9.0]}, "non-positive", "2020-01-07"),
        ({"close": [10.5, 10.5, -1.0, 10.5, 10.5]}, "non-positive", "2020-01-08"),
        ({"high": [11.0, 11.0, 11.0, 8.0, 11.0]}, "high below low", "2020-01-09"),
        ({"close": [10.5, 10.5, 10.5, 10.5, 12.0]}, "outside [low, high]", "2020-01-10"),
        ({"open": [10.0, 8.5, 10.0, 10.0, 10.0]}, "outside [low, high]", "2020-01-07"),
        ({"volume": [100.0, -5.0, 100.0, 100.0, 100.0]}, "negative volume", "2020-01-07"),
        ({"high": [11.0, np.nan, 11.0, 11.0, 11.0]}, "some prices missing", "2020-01-07"),
    ],
)
def test_unsafe_rows_are_refused_by_name(cols: dict[str, list[float]], reason: str, row: str) -> None:
    with pytest.raises(BadMarketData) as err:
        validate(frame(DAYS, **cols), "1d", symbol="XYZ")
    assert reason in err.value.message and err.value.rows == [row]
    assert "XYZ" in err.value.message and row in err.value.message


def test_rounding_excursions_are_widened_with_a_note() -> None:
    f = frame(DAYS, close=[10.5, 11.0005, 10.5, 10.5, 8.9995])
    out, notes = validate(f, "1d")
    assert out["high"].iloc[1] == 11.0005 and out["low"].iloc[4] == 8.9995
    assert out["high"].iloc[0] == 11.0
    assert len(notes) == 1 and "2 bars" in notes[0] and "2020-01-07" in notes[0] and "2020-01-10" in notes[0]


def test_empty_bars_dropped_missing_volume_zeroed() -> None:
    nan = np.nan
    f = frame(
        DAYS,
        open=[10, nan, 10, 10, 10],
        high=[11, nan, 11, 11, 11],
        low=[9, nan, 9, 9, 9],
        close=[10.5, nan, 10.5, 10.5, 10.5],
        volume=[100, nan, nan, 100, 100],
    )
    out, notes = validate(f, "1d")
    assert len(out) == 4 and out["volume"].iloc[1] == 0.0
    assert any("without any price dropped" in n and "2020-01-07" in n for n in notes)
    assert any("without volume" in n for n in notes)


def test_missing_bars_and_zero_volume_stretches_are_reported() -> None:
    days = [d.strftime("%Y-%m-%d") for d in pd.bdate_range("2020-01-01", periods=30)]
    days = days[:10] + days[20:]  # two weeks missing
    volume = [100.0] * 20
    volume[12:18] = [0.0] * 6
    out, notes = validate(frame(days, volume=volume), "1d")
    assert len(out) == 20
    assert any("1 gap" in n and "2020-01-14 to 2020-01-29" in n for n in notes)
    assert any("zero volume" in n and "6 bars" in n for n in notes)
    _, index_notes = validate(frame(DAYS, volume=[0.0] * 5), "1d")
    assert any("volume is 0 on every bar" in n for n in index_notes)


def test_daily_timezones_keep_the_session_date() -> None:
    tokyo = pd.DatetimeIndex(["2020-01-06 00:00", "2020-01-07 00:00"]).tz_localize("Asia/Tokyo")
    ny = pd.DatetimeIndex(["2020-03-06 00:00", "2020-03-09 00:00"]).tz_localize("America/New_York")  # DST
    for index, days in ((tokyo, ["2020-01-06", "2020-01-07"]), (ny, ["2020-03-06", "2020-03-09"])):
        out = normalise_index(frame(["2000-01-01"] * 2).set_axis(index), "1d")
        assert list(out.index) == [pd.Timestamp(d, tz="UTC") for d in days]
    hourly = pd.DatetimeIndex(["2020-03-06 09:30", "2020-03-09 09:30"]).tz_localize("America/New_York")
    out = normalise_index(frame(["2000-01-01"] * 2).set_axis(hourly), "1h")
    assert list(out.index) == [
        pd.Timestamp("2020-03-06 14:30", tz="UTC"),
        pd.Timestamp("2020-03-09 13:30", tz="UTC"),
    ]


def test_hourly_to_daily_matches_an_independent_aggregation() -> None:
    from app.services.market_data.resample import resample

    rng = np.random.default_rng(7)
    index = pd.date_range("2021-03-01 14:00", periods=24 * 20, freq="1h", tz="UTC")
    index = index[index.hour.isin(range(14, 21)) & (index.day_of_week < 5)]
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(index))))
    open_ = np.concatenate(([100.0], close[:-1]))
    spread = rng.uniform(0, 0.5, len(index))
    hourly = pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "volume": rng.integers(1, 1000, len(index)).astype(float),
        },
        index=index.rename("timestamp"),
    )
    daily = resample(hourly, "1d", source_interval="1h")
    expected = {}
    for day, rows in hourly.groupby(hourly.index.date):
        expected[pd.Timestamp(day, tz="UTC")] = [
            rows["open"].iloc[0],
            rows["high"].max(),
            rows["low"].min(),
            rows["close"].iloc[-1],
            rows["volume"].sum(),
        ]
    assert list(daily.index) == list(expected)
    np.testing.assert_allclose(daily.to_numpy(), np.array(list(expected.values())))


@pytest.mark.parametrize("module", ["frames", "resample", "validation", "uploads", "cache", "errors"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(f"app.services.market_data.{module}"))
    assert result.failed == 0 and result.attempted > 0
