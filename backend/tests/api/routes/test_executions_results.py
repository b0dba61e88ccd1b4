"""Results through the API: exports, report, bundle, compare, memory of similar runs, code policy."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import httpx
import pytest

from tests.utils.factories import create_strategy, execute, register, wait_final

PARAMS = {"symbols": ["SPX"], "start_date": "2011-01-01", "end_date": "2017-12-31"}


@pytest.fixture(scope="module")
async def two_runs(app):  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:
        headers = await register(client)
        strategy = await create_strategy(client, headers)
        first = await wait_final(
            client, headers, (await execute(client, headers, strategy["id"], params=PARAMS))["id"]
        )
        await app.state.runtime.tasks.idle()  # memory keeps a run after it is completed
        second = await wait_final(
            client, headers, (await execute(client, headers, strategy["id"], params=PARAMS))["id"]
        )
    assert first["status"] == second["status"] == "completed", (
        first["error_message"],
        second["error_message"],
    )
    return headers, strategy, first, second


async def test_same_strategy_twice_gives_identical_numbers_and_hashes(
    client: httpx.AsyncClient, two_runs
) -> None:  # type: ignore[no-untyped-def]
    headers, _strategy, first, second = two_runs
    a = (await client.get(f"/executions/{first['id']}/results", headers=headers)).json()
    b = (await client.get(f"/executions/{second['id']}/results", headers=headers)).json()
    assert a["metrics"] == b["metrics"]
    assert a["trades"] == b["trades"]
    bundle_a = (await client.get(f"/executions/{first['id']}/bundle", headers=headers)).json()
    bundle_b = (await client.get(f"/executions/{second['id']}/bundle", headers=headers)).json()
    for key in ("spec_hash", "code_hash", "data", "library_versions", "params", "random_seed"):
        assert bundle_a[key] == bundle_b[key], key
    assert bundle_a["code"] and "from_signals" in bundle_a["code"]
    assert set(bundle_a["library_versions"]) >= {"vectorbt", "pandas", "numpy", "numba"}
    data = bundle_a["data"]
    assert any("bundled" in str(entry) for entry in data.values())
    assert all(len(str(entry.get("content_hash", ""))) >= 32 for entry in data.values())


async def test_second_run_remembers_the_first(client: httpx.AsyncClient, two_runs) -> None:  # type: ignore[no-untyped-def]
    _headers, _strategy, first, second = two_runs
    similar = second["agent_insights"].get("similar_strategies", [])
    assert first["id"] in [s["execution_id"] for s in similar]


async def test_csv_exports_match_the_results(client: httpx.AsyncClient, two_runs) -> None:  # type: ignore[no-untyped-def]
    headers, _strategy, first, _second = two_runs
    results = (await client.get(f"/executions/{first['id']}/results", headers=headers)).json()
    trades = await client.get(f"/executions/{first['id']}/results/trades.csv", headers=headers)
    assert trades.status_code == 200 and trades.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(trades.text)))
    assert len(rows) == len(results["trades"])
    assert {r["exit_reason"] for r in rows} <= {
        "signal",
        "stop_loss",
        "take_profit",
        "trailing_stop",
        "end_of_data",
    }
    equity = await client.get(f"/executions/{first['id']}/results/equity.csv", headers=headers)
    lines = list(csv.DictReader(io.StringIO(equity.text)))
    assert float(lines[-1]["equity"]) == pytest.approx(results["equity_series"][-1][1], rel=1e-9)
    assert len(lines) >= len(results["equity_series"])


async def test_report_is_self_contained_html(client: httpx.AsyncClient, two_runs) -> None:  # type: ignore[no-untyped-def]
    headers, strategy, first, _second = two_runs
    report = await client.get(f"/executions/{first['id']}/report", headers=headers)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    # Titled with the strategy's name as it was when it ran (stored with the run), not its id.
    assert f"<title>{strategy['name']} - backtest report</title>" in report.text
    assert first["agent_insights"]["strategy_name"] == strategy["name"]
    sources: list[str] = []

    class ExternalReferences(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ("script", "link"):
                sources.extend(value or "" for name, value in attrs if name in ("src", "href"))

    ExternalReferences().feed(report.text)
    assert sources == []  # plotly.js is inline: the report opens offline
    assert "Plotly" in report.text


async def test_compare_lines_metrics_up(client: httpx.AsyncClient, two_runs) -> None:  # type: ignore[no-untyped-def]
    headers, _strategy, first, second = two_runs
    response = await client.get(f"/executions/compare?ids={first['id']},{second['id']}", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["ids"] == [first["id"], second["id"]]
    assert set(body["metrics"]["total_return"]) == {first["id"], second["id"]}
    intruder = await register(client)
    other = await client.get(f"/executions/compare?ids={first['id']}", headers=intruder)
    assert other.status_code == 404


async def test_hostile_edited_code_fails_the_execution_with_its_violations(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    code = "import os\nimport vectorbt as vbt\nos.system('touch /tmp/pwned')\n"
    final = await wait_final(
        client, headers, (await execute(client, headers, strategy["id"], code=code))["id"]
    )
    assert final["status"] == "failed"
    violations = final["agent_insights"]["error"]["violations"]
    assert any(v["line"] == 1 for v in violations)
    assert "os" in final["error_message"]
