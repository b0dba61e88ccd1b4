"""Scale-out tests on real processes: 2 API processes (uvicorn) + 2 workers, real PostgreSQL and Redis.

They run in the PostgreSQL pass only (TEST_DATABASE=postgres). Where PostgreSQL or redis-server is missing
they are skipped with a visible notice, except under CI (CI set), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.scale.topology import Topology

IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI: {reason}")
    print(f"\nNOTICE: skipping scale-out test: {reason}")
    pytest.skip(reason)


def postgres_pass_only() -> None:
    if os.environ.get("TEST_DATABASE") != "postgres":
        pytest.skip("scale-out tests run in the PostgreSQL pass (TEST_DATABASE=postgres)")


def _answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def require_services() -> None:
    postgres_pass_only()
    require(_answers(5432), "PostgreSQL does not answer on 127.0.0.1:5432")
    require(shutil.which("redis-server") is not None, "redis-server is not installed")


@pytest.fixture(scope="session")
def topology_sync() -> Iterator[Topology]:
    require_services()
    topo = Topology.create()
    try:
        yield topo
    finally:
        topo.close()


@pytest.fixture(scope="session")
async def topology(topology_sync: Topology) -> AsyncIterator[Topology]:
    """2 API processes and 2 workers, warm. Fault tests leave it usable for the tests after them."""
    topo = topology_sync
    procs = [topo.add_api(), topo.add_api(), topo.add_worker(), topo.add_worker()]
    await topo.wait_ready(procs)
    yield topo
    await asyncio.sleep(0)
