"""How tools answer: structured content (the typed result) plus a short text summary, and tool errors whose
body is REST's error body (`error`, `detail` and the fields naming the node, rule, line or field)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mcp.types import CallToolResult, ContentBlock, TextContent
from pydantic import BaseModel


def answer(
    summary: str, result: BaseModel, *, text: str | None = None, extra: Sequence[ContentBlock] = ()
) -> CallToolResult:
    """`structuredContent` is the typed result. The text content starts with a short summary; then the same
    result as JSON (the MCP spec asks it of tools with structured output, for clients that read text only),
    or `text` when the result reads better as plain text (source code)."""
    structured = result.model_dump(mode="json", by_alias=True)  # as the output schema names the fields
    body = text if text is not None else json.dumps(structured, separators=(",", ":"), default=str)
    content: list[ContentBlock] = [_text(summary), _text(body), *extra]
    return CallToolResult(content=content, structuredContent=structured)


def tool_error(body: dict[str, Any]) -> CallToolResult:
    """A tool error (`isError`): a model reads its text, a program its `structuredContent`."""
    return CallToolResult(
        content=[
            _text(f"{body.get('error', 'Error')}: {body.get('detail', '')}"),
            _text(json.dumps(body, default=str)),
        ],
        structuredContent=body,
        isError=True,
    )


class ToolFailed(Exception):
    """Raised by a tool to answer a tool error with this body (an execution that ended failed, say): the
    SDK checks a returned result against the tool's output schema, errors included, so errors are raised."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("detail"))
        self.body = body


def _text(text: str) -> TextContent:
    return TextContent(type="text", text=text)
