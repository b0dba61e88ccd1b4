"""Yahoo Finance answered from files: a `requests` transport adapter that yfinance's real code talks to.

yfinance accepts a `requests.Session`; mounting this adapter on one replaces only the HTTP layer, so the
cookie/crumb dance, the time-zone look-up, the chart request and its parsing all run as in production.

`fixtures/chart_GSPC_1d_2018H1.json` has the shape of Yahoo's `/v8/finance/chart/^GSPC?interval=1d` answer
(meta, `timestamp` at the 09:30 New York session open, `indicators.quote`, `indicators.adjclose`). Its prices
are the real S&P 500 bars of 2018-01-02..2018-06-29 from the bundled data set: this machine cannot reach
Yahoo to record one, so the answer was rebuilt from real data in Yahoo's format. The adapter serves the
slice a request's `period1`/`period2` ask for, like Yahoo does, and records every chart request.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

FIXTURES = Path(__file__).parent / "fixtures"
NOT_FOUND = {
    "chart": {
        "result": None,
        "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
    }
}


@dataclass
class ChartRequest:
    symbol: str
    params: dict[str, str]


@dataclass
class YahooReplay(BaseAdapter):
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: list[ChartRequest] = field(default_factory=list)
    fail_with: Exception | None = None  # raise this on chart requests (a timeout, a reset connection)

    def __post_init__(self) -> None:
        super().__init__()

    @classmethod
    def with_fixtures(cls) -> YahooReplay:
        chart = json.loads((FIXTURES / "chart_GSPC_1d_2018H1.json").read_text())
        return cls(charts={"^GSPC": chart})

    def session(self) -> requests.Session:
        s = requests.Session()
        s.mount("https://", self)
        s.mount("http://", self)
        return s

    def history_requests(self, symbol: str) -> list[ChartRequest]:
        """Chart requests for a date range (yfinance's time-zone probe asks for range=1d, not counted)."""
        return [r for r in self.seen if r.symbol == symbol and "period1" in r.params]

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = urlsplit(request.url or "")
        if url.hostname == "fc.yahoo.com":
            # Yahoo answers 404 here but sets the A3 cookie the crumb needs.
            return self._response(
                request,
                404,
                "",
                {"Set-Cookie": "A3=d=AQABBReplay; Domain=.yahoo.com; Path=/"},
            )
        if url.path.endswith("/v1/test/getcrumb"):
            return self._response(request, 200, "ReplayCrumb0", {"Content-Type": "text/plain"})
        if "/v8/finance/chart/" in url.path:
            symbol = unquote(url.path.rsplit("/", 1)[-1])
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            self.seen.append(ChartRequest(symbol, params))
            if self.fail_with is not None:
                raise self.fail_with
            if symbol not in self.charts:
                return self._json(request, 404, NOT_FOUND)
            return self._json(request, 200, self._slice(self.charts[symbol], params))
        return self._response(request, 404, "not recorded", {})

    @staticmethod
    def _slice(chart: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        doc = copy.deepcopy(chart)
        result = doc["chart"]["result"][0]
        stamps: list[int] = result["timestamp"]
        if "period1" in params:
            lo, hi = int(params["period1"]), int(params["period2"])
            keep = [i for i, t in enumerate(stamps) if lo <= t < hi]
        else:  # range=1d: the latest bar
            keep = [len(stamps) - 1]
        if not keep:
            # Yahoo's answer for a range without bars: no timestamps, an empty quote.
            del result["timestamp"]
            result["indicators"] = {"quote": [{}], "adjclose": [{}]}
            return doc
        result["timestamp"] = [stamps[i] for i in keep]
        quote = result["indicators"]["quote"][0]
        for key in list(quote):
            quote[key] = [quote[key][i] for i in keep]
        adj = result["indicators"]["adjclose"][0]
        adj["adjclose"] = [adj["adjclose"][i] for i in keep]
        return doc

    def _json(
        self, request: requests.PreparedRequest, status: int, body: dict[str, Any]
    ) -> requests.Response:
        return self._response(request, status, json.dumps(body), {"Content-Type": "application/json"})

    @staticmethod
    def _response(
        request: requests.PreparedRequest, status: int, text: str, headers: dict[str, str]
    ) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = text.encode()
        response.headers = CaseInsensitiveDict(headers)
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass
