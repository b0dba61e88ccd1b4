"""`POST /code/validate`: the AST policy every run goes through, as a route."""

from __future__ import annotations

import httpx

from tests.utils.factories import register


async def test_code_validate_route_lists_every_violation(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    code = "import os\nimport vectorbt as vbt\nx = open('/etc/passwd')\ny = ().__class__\n"
    body = (await client.post("/code/validate", json={"code": code}, headers=headers)).json()
    assert body["ok"] is False
    assert {v["line"] for v in body["violations"]} >= {1, 3, 4}
    clean = await client.post(
        "/code/validate", json={"code": "import numpy as np\nx = np.ones(3)\n"}, headers=headers
    )
    assert clean.json() == {"ok": True, "violations": []}
