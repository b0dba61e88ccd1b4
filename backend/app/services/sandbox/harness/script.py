"""Running one strategy script: its `load_data` stub removed, the provided bars behind `load_data`, any
exception described with the script's own line number."""

from __future__ import annotations

import ast
import traceback
from typing import Any

from . import lookahead
from .extract import extract


def strip_stub(tree: ast.Module) -> ast.Module:
    """Remove the script's own `def load_data` and `import yfinance` lines (the sandbox provides the data).

    >>> source = "import yfinance as yf\\ndef load_data(s):\\n    return yf.download(s)\\nx = 1"
    >>> tree = strip_stub(ast.parse(source))
    >>> [type(node).__name__ for node in tree.body]
    ['Assign']
    """

    def is_stub(node: ast.stmt) -> bool:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "load_data":
            return True
        if isinstance(node, ast.Import):
            return all(alias.name.split(".")[0] == "yfinance" for alias in node.names)
        return isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "yfinance"

    tree.body = [node for node in tree.body if not is_stub(node)]
    return tree


def _namespace(frames: dict[str, Any]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "strategy", "__builtins__": __builtins__}

    def load_data(symbol: str) -> Any:
        if symbol not in frames:
            raise KeyError(f"no data for symbol {symbol!r}; available: {sorted(frames)}")
        return frames[symbol].copy()

    namespace["load_data"] = load_data
    return namespace


def _run_on(code: Any, frames: dict[str, Any]) -> dict[str, Any]:
    namespace = _namespace(frames)
    exec(code, namespace)
    return namespace


def run_script(
    source: str,
    frames: dict[str, Any],
    symbols: list[str],
    *,
    bias_cuts: Any = (),
    bounds: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Run the script on ``frames``; with ``bias_cuts`` (shares of the bars), then recompute its signals on
    the bars cut there (`lookahead.check`) and add the verdict to the result. ``bounds``: `extract`'s
    `max_points` and `max_trades`."""
    namespace = _namespace(frames)
    try:
        tree = strip_stub(ast.parse(source, "<strategy>"))
        exec(compile(tree, "<strategy>", "exec"), namespace)
        payload = extract(namespace, symbols, **(bounds or {}))
    except BaseException as exc:
        return {"error": _describe(exc)}
    if bias_cuts and "sweep" not in payload:
        payload["bias_check"] = lookahead.check(
            tree, frames, namespace, _run_on, [float(c) for c in bias_cuts]
        )
    return {"ok": payload}


def _describe(exc: BaseException) -> dict[str, Any]:
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == "<strategy>":
            line = lineno
    if isinstance(exc, SyntaxError) and exc.filename == "<strategy>":
        line = exc.lineno
    text = "".join(traceback.format_exception(exc))
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:4000],
        "line": line,
        "traceback_tail": text[-8000:],
        "errno": getattr(exc, "errno", None) if isinstance(exc, OSError) else None,
    }
