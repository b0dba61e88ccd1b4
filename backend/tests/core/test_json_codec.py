"""JSON columns on the database under test: written by orjson, read back exactly, old text still readable."""

from __future__ import annotations

import json
import math
import secrets

import numpy as np
import pytest
import sqlalchemy as sa

from app.core import json_codec
from app.core.config import Settings
from app.core.db import create_engine
from app.models._types import JSONType
from tests.utils.databases import TestDatabase


class Price(float):
    """A float subclass, which orjson refuses: the standard library writes it."""


@pytest.fixture
async def engine_and_table(test_database: TestDatabase, tmp_path):  # type: ignore[no-untyped-def]
    engine = create_engine(Settings(data_dir=tmp_path, database_url=test_database.url))
    table = sa.Table(
        f"json_probe_{secrets.token_hex(3)}",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("body", JSONType),
    )
    async with engine.begin() as conn:
        await conn.run_sync(table.create)
    yield engine, table
    async with engine.begin() as conn:
        await conn.run_sync(table.drop)
    await engine.dispose()


async def test_values_round_trip_through_a_json_column(engine_and_table) -> None:  # type: ignore[no-untyped-def]
    engine, table = engine_and_table
    curve = [["2020-01-02T00:00:00+00:00", 10_000.0], ["2020-01-03T00:00:00+00:00", 10_012.345678901234]]
    bodies = {
        1: {"equity": curve, "trades": [{"pnl": -1.5e-7, "open": None, "symbol": "SPX"}], "n": 2**53},
        2: {"numpy": [np.float64(0.1) + np.float64(0.2), np.int64(7)], "by_year": {2019: 1.5, 2020: -2.0}},
        3: {"subclass": Price(101.25), "text": "naïve € ünïcode"},
    }
    async with engine.begin() as conn:
        await conn.execute(table.insert(), [{"id": k, "body": v} for k, v in bodies.items()])
    async with engine.connect() as conn:
        read = dict((await conn.execute(sa.select(table.c.id, table.c.body))).all())
    assert read[1] == bodies[1]
    assert read[2] == {"numpy": [0.30000000000000004, 7], "by_year": {"2019": 1.5, "2020": -2.0}}
    assert read[3] == {"subclass": 101.25, "text": "naïve € ünïcode"}
    assert engine.dialect._json_serializer is json_codec.dumps  # type: ignore[attr-defined]


def test_text_the_standard_library_wrote_stays_readable() -> None:
    old = json.dumps({"sharpe": float("nan"), "cagr": 1.5})  # 'NaN' is not JSON; orjson refuses it
    assert "NaN" in old
    read = json_codec.loads(old)
    assert math.isnan(read["sharpe"]) and read["cagr"] == 1.5


def test_writes_are_orjson_output() -> None:
    body = {"a": [1.0, 2.5], "b": None}
    assert json_codec.dumps(body) == '{"a":[1.0,2.5],"b":null}'  # json.dumps would write ', ' and ': '
    assert json.loads(json_codec.dumps(body)) == body


def test_non_finite_floats_are_written_as_json_null() -> None:
    written = json_codec.dumps({"sharpe": float("nan"), "sortino": float("inf")})
    assert json.loads(written) == {"sharpe": None, "sortino": None}  # valid JSON, unlike json.dumps
