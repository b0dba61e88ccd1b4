"""JSON Schema plumbing for tool input schemas."""

from __future__ import annotations

from typing import Any


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with each `$ref` replaced by its definition (the node schema is not recursive), so it can
    sit inside a tool's input schema, which has `$defs` of its own."""
    defs = schema.get("$defs", {})

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(
                    {**defs[ref.removeprefix("#/$defs/")], **{k: v for k, v in value.items() if k != "$ref"}}
                )
            return {key: walk(item) for key, item in value.items() if key != "$defs"}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    inlined: dict[str, Any] = walk(schema)
    return inlined
