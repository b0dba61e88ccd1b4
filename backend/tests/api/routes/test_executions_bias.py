"""The bias check on every completed execution: honest signals pass; a script that peeks at the next bar
is caught, with the first bar that changed named in agent_insights and in the result's warnings."""

from __future__ import annotations

import httpx

from tests.utils.factories import create_strategy, execute, register, wait_final

PARAMS = {"symbols": ["SPX"], "start_date": "2012-01-01", "end_date": "2016-12-31"}
PEEKING = """
import numpy as np
import pandas as pd
import vectorbt as vbt

close = load_data("SPX")["Close"].loc["2012-01-01":"2016-12-31"]
slow = close.rolling(50).mean()
# Look-ahead on purpose: enter when TOMORROW's close is higher (shift(-1) reads the next bar)
entries = (close.shift(-1) > close) & (close > slow)
exits = close < slow
portfolio = vbt.Portfolio.from_signals(close, entries, exits, init_cash=10_000, fees=0.001, freq="1D")
"""


async def test_generated_code_passes_the_bias_check(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    final = await wait_final(
        client, headers, (await execute(client, headers, strategy["id"], params=PARAMS))["id"]
    )
    assert final["status"] == "completed", final["error_message"]
    check = final["agent_insights"]["bias_check"]
    assert check["checked"] is True and check["passed"] is True and len(check["cuts"]) == 1


async def test_look_ahead_in_edited_code_is_a_warning_naming_the_bar(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    created = await execute(client, headers, strategy["id"], params=PARAMS, code=PEEKING)
    final = await wait_final(client, headers, created["id"])
    assert final["status"] == "completed", final["error_message"]
    check = final["agent_insights"]["bias_check"]
    assert check["checked"] is True and check["passed"] is False
    assert check["cut"] == check["cuts"][-1]  # edited code: up to 3 cuts; the check stops at the first miss
    assert check["signal"] == "entries"
    assert check["first_changed_bar"] == check["cut"]  # the cut's last bar: it needed the bar after it
    results = (await client.get(f"/executions/{created['id']}/results", headers=headers)).json()
    warnings = " ".join(results["metrics"]["warnings"])
    assert "look-ahead" in warnings and check["first_changed_bar"][:10] in warnings
