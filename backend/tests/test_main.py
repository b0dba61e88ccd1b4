"""The application as published: its OpenAPI document types what clients read (the front end's types are
generated from it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

from app.core.config import Settings
from app.main import create_app
from app.models.backtest import ExitReason


def _openapi(tmp_path: Path) -> dict[str, Any]:
    schema: dict[str, Any] = create_app(Settings(environment="test", data_dir=tmp_path)).openapi()
    return schema


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    found: dict[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found


def _closed(schema: dict[str, Any], node: dict[str, Any], required: set[str]) -> dict[str, Any]:
    """An object schema with named properties (no free-form map), of which `required` are always sent."""
    obj = _resolve(schema, node)
    assert obj.get("type") == "object" and obj.get("properties"), obj
    assert obj.get("additionalProperties") in (None, False), obj
    assert required <= set(obj.get("required", [])), (required, obj.get("required"))
    return obj


def test_results_and_insights_are_typed_field_by_field(tmp_path: Path) -> None:
    schema = _openapi(tmp_path)
    components = schema["components"]["schemas"]
    run = components["BacktestRunPublic"]["properties"]
    metrics = _closed(schema, run["metrics"], {"total_return", "sharpe_ratio", "max_drawdown", "warnings"})
    assert metrics["properties"]["trades"]["type"] == "integer"
    trade = _closed(schema, run["trades"]["items"], {"symbol", "entry_time", "pnl", "exit_reason"})
    assert set(trade["properties"]["exit_reason"]["enum"]) == set(get_args(ExitReason))
    assert run["equity_series"]["items"]["prefixItems"][0]["type"] == "string"
    assert "created_at" in components["BacktestRunPublic"]["required"]

    execution_schema = next(v for k, v in components.items() if k.startswith("ExecutionPublic"))
    assert {"generated_code", "error_message", "completed_at"} <= set(execution_schema["required"])
    execution = execution_schema["properties"]
    insights = _closed(schema, execution["agent_insights"], {"indicators_used", "similar_strategies"})
    similar = _closed(schema, insights["properties"]["similar_strategies"]["items"], {"similarity"})
    assert similar["properties"]["similarity"]["type"] == "number"
    assert {"symbols", "start_date", "fees"} <= set(_closed(schema, execution["params"], set())["properties"])
