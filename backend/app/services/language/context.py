"""What reading a rule depends on besides its words: the bar interval and the custom indicators' names.

Time units are converted to bars by the interval, and every conversion is shown in the reading:
on daily bars a week is 5 bars, a month 21 and a year 252 (US trading days; 52 weeks are read as the
year they mean, 252 bars, as in "52-week high"); on weekly bars a month is
52/12 weeks and a year 52; on monthly bars a year is 12. A unit shorter than a bar must come out whole
("20 days" on weekly bars is 4 bars; "7 days" is refused), a longer one is rounded and says so
("10 months" on weekly bars is about 43 bars). Intraday bars have no fixed number of bars per day,
so days, weeks and months are refused there: write the length in bars.
"""

from __future__ import annotations

from dataclasses import dataclass

UNITS = ("bar", "day", "week", "month", "year", "hour")

BARS_PER_UNIT: dict[str, dict[str, float]] = {
    "1d": {"bar": 1, "day": 1, "week": 5, "month": 21, "year": 252},
    "1wk": {"bar": 1, "day": 1 / 5, "week": 1, "month": 52 / 12, "year": 52},
    "1mo": {"bar": 1, "day": 1 / 21, "week": 12 / 52, "month": 1, "year": 12},
    "1h": {"bar": 1, "hour": 1},
}
BAR_NAME = {"1d": "daily", "1wk": "weekly", "1mo": "monthly", "1h": "hourly"}


@dataclass(frozen=True)
class ReadContext:
    timeframe: str = "1d"
    custom_names: frozenset[str] = frozenset()

    def bars(self, count: float, unit: str) -> tuple[int | None, str | None, str | None]:
        """``(bars, note, error)`` for ``count`` units: the note says a conversion the reading shows,
        the error why there is no whole number of bars."""
        table = BARS_PER_UNIT.get(self.timeframe, BARS_PER_UNIT["1d"])
        plural = f"{_num(count)} {unit}{'' if count == 1 else 's'}"
        if unit == "week" and count % 52 == 0 and self.timeframe != "1wk":
            years = count / 52
            bars, note, error = self.bars(years, "year")
            return bars, note and f"{plural} = {note}", error
        factor = table.get(unit)
        bar_name = BAR_NAME.get(self.timeframe, self.timeframe)
        if factor is None:
            return None, None, f"{plural} has no fixed number of {bar_name} bars; write the length in bars"
        exact = count * factor
        whole = round(exact)
        if factor == 1:
            return int(whole), None, None
        if factor < 1 and abs(exact - whole) > 1e-9:
            return None, None, f"{plural} is not a whole number of {bar_name} bars ({exact:g})"
        if whole < 1:
            return None, None, f"{plural} is less than one {bar_name} bar"
        sign = "=" if abs(exact - whole) < 1e-9 else "≈"
        return int(whole), f"{plural} {sign} {whole} {bar_name} bars", None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
