"""The report of a run: titled with the strategy's name, saying what ran (rules as understood, parameters,
fill conventions, every trade), and reachable at a signed URL for a limited time."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from app.services.report_links import sign_report_link
from tests.utils.factories import create_strategy, execute, register, wait_final

PARAMS = {"symbols": ["SPX"], "start_date": "2012-01-01", "end_date": "2016-12-31", "initial_capital": 25000}
GRAPH = {
    "nodes": [
        {"id": "entry", "type": "entry_condition", "meta": {"rules": ["10-day MA crosses above 30-day MA"]}},
        {"id": "exit", "type": "exit_condition", "meta": {"rules": ["10-day MA crosses below 30-day MA"]}},
        {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 8}},
    ]
}


class TableRows(HTMLParser):
    """Counts the body rows of the table with class `trades`."""

    def __init__(self) -> None:
        super().__init__()
        self.rows = 0
        self._in_trades = self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and "trades" in (dict(attrs).get("class") or ""):
            self._in_trades = True
        elif tag == "tbody" and self._in_trades:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_trades = self._in_body = False


@pytest.fixture(scope="module")
async def run(app):  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:
        headers = await register(client)
        strategy = await create_strategy(client, headers, GRAPH, name="Golden cross <SPX>")
        done = await wait_final(
            client, headers, (await execute(client, headers, strategy["id"], params=PARAMS))["id"]
        )
    assert done["status"] == "completed", done["error_message"]
    return {"headers": headers, "execution": done}


async def test_the_report_says_what_ran(client: httpx.AsyncClient, run: dict[str, Any]) -> None:
    headers, execution = run["headers"], run["execution"]
    page = await client.get(f"/executions/{execution['id']}/report", headers=headers)
    assert page.status_code == 200
    html = page.text
    assert "<title>Golden cross &lt;SPX&gt; - backtest report</title>" in html  # the name, escaped
    assert "<h1>Golden cross &lt;SPX&gt;</h1>" in html
    # the rules as written and as understood (the analyzer's own words, from the stored spec)
    spec = execution["agent_insights"]["spec"]
    for rule_set in spec["entries"] + spec["exits"]:
        for rule in rule_set["rules"]:
            assert rule["text"] in html
            assert rule["understood"].replace(">", "&gt;").replace("<", "&lt;") in html
    assert "Stop loss 8% from the entry bar close (below a long, above a short)" in html
    # the parameters and the fill conventions
    assert re.search(r"Initial capital</td><td class=\"v\">25,000", html)
    assert "2012-01-01" in html and "2016-12-31" in html
    assert "Fill conventions" in html and "fees (0.1%) are charged on the traded value" in html
    assert "percentage points" in html
    # every trade
    results = (await client.get(f"/executions/{execution['id']}/results", headers=headers)).json()
    rows = TableRows()
    rows.feed(html)
    assert rows.rows == len(results["trades"]) > 0


async def test_a_signed_link_opens_the_report_without_signing_in(
    client: httpx.AsyncClient, run: dict[str, Any], app
) -> None:  # type: ignore[no-untyped-def]
    headers, execution = run["headers"], run["execution"]
    made = await client.post(f"/executions/{execution['id']}/report-link", headers=headers)
    assert made.status_code == 200, made.text
    link = made.json()
    assert link["path"].startswith("/reports/") and link["url"] == "http://test" + link["path"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as stranger:  # no token at all
        page = await stranger.get(link["path"])
        assert page.status_code == 200 and "<h1>Golden cross &lt;SPX&gt;</h1>" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        token = link["path"].removeprefix("/reports/")
        tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        assert (await stranger.get(f"/reports/{tampered}")).status_code == 404
        # the link is not a bearer token, and a bearer token is not a link
        as_bearer = await stranger.get("/strategies", headers={"Authorization": f"Bearer {token}"})
        assert as_bearer.status_code == 401
        bearer = headers["Authorization"].split()[1]
        assert (await stranger.get(f"/reports/{bearer}")).status_code == 404


async def test_an_expired_link_says_so(client: httpx.AsyncClient, run: dict[str, Any], settings, app) -> None:  # type: ignore[no-untyped-def]
    execution = run["execution"]
    token, _ = sign_report_link(
        execution["id"], execution["user_id"], settings.resolved_secret_key(), minutes=-1
    )
    response = await client.get(f"/reports/{token}")
    assert response.status_code == 410 and "expired" in response.json()["detail"]


async def test_no_link_for_someone_elses_or_an_unfinished_run(
    client: httpx.AsyncClient, run: dict[str, Any]
) -> None:
    stranger = await register(client)
    response = await client.post(f"/executions/{run['execution']['id']}/report-link", headers=stranger)
    assert response.status_code == 404


async def test_a_deleted_run_takes_its_links_with_it(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    strategy = await create_strategy(client, headers, GRAPH, name="Short-lived")
    done = await wait_final(
        client, headers, (await execute(client, headers, strategy["id"], params=PARAMS))["id"]
    )
    link = (await client.post(f"/executions/{done['id']}/report-link", headers=headers)).json()
    assert (await client.get(link["path"])).status_code == 200
    assert (await client.delete(f"/executions/{done['id']}", headers=headers)).status_code == 204
    assert (await client.get(link["path"])).status_code == 404
