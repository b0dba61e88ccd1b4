"""What is wrong with a strategy before it runs, found when it is saved.

Two kinds of problem, treated differently on purpose:

- an impossible distance on a stop or target node (a -5 % or a 150 % stop-loss) is refused: saving
  answers 422 naming the node, because no later edit of another node makes it right;
- an unfinished draft is kept: a condition node without a rule yet, no entry node yet, a rule the grammar
  cannot read or one that can never be true, two nodes that cannot go together. A draft must be saveable
  at any moment. Each gap comes back
  as an issue on its node (``issues`` of the strategy), with the parser's position, expectation and
  suggestion for a rule, and the builder blocks Execute until it is fixed. With an LLM configured, an
  unreadable rule is not blocking: the analyzer agent may translate it.

>>> [i.node_id for i in strategy_issues({"nodes": [
...     {"id": "e", "type": "entry_condition", "meta": {"rules": ["close above the 20-day SMA", "moon"]}},
...     {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5}}]})]
['e']
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Sequence
from typing import Any, cast

from app.core.errors import DomainError
from app.models.params import ExecutionParams
from app.models.strategy import StrategyIssue
from app.services.language import (
    ExecutionParamsLike,
    GraphLimits,
    ImpossibleStrategy,
    InvalidStrategyGraph,
    ReadContext,
    RuleNotUnderstood,
    SavedIndicator,
    StrategyGraph,
    build_spec,
    context_for,
    parse_graph,
    read_rule,
)

# A rule every bar satisfies, put in place of a missing or unreadable one so the other checks still run.
_PLACEHOLDER = "close above 0"
_PROBE_ID = "__entry_probe__"
ENTRY_TYPES = ("entry_condition", "short_entry_condition")


def strategy_issues(
    graph: dict[str, Any],
    *,
    llm_available: bool = False,
    limits: GraphLimits | None = None,
    library: Sequence[SavedIndicator] = (),
) -> list[StrategyIssue]:
    """Issues of a graph that parses; raises `InvalidStrategyGraph` (malformed), `StrategyTooLarge` (over
    ``limits``) or `ImpossibleStrategy` (an impossible stop, target or sizing node). ``library``: the
    user's saved custom indicators, usable by name (a node of the same name wins)."""
    if limits is not None:
        # Only for its size checks (they come first): what a draft may still lack is handled below.
        with contextlib.suppress(InvalidStrategyGraph):
            parse_graph(graph, limits)
    issues: list[StrategyIssue] = []
    readable = _finished(graph, issues)
    context = _reading_context(readable, issues, library)
    parsed = parse_graph(readable)
    for raw in readable["nodes"]:
        rules = raw.get("meta", {}).get("rules") if isinstance(raw, dict) else None
        if not isinstance(rules, list):
            continue
        for index, rule in enumerate(rules):
            try:
                read_rule(str(rule), context=context)  # stops and time limits written as rules read too
            except RuleNotUnderstood as err:
                issues.append(_unreadable(str(raw["id"]), index, str(rule), err, blocking=not llm_available))
                rules[index] = _PLACEHOLDER
    _check_exit_distances(parsed)
    try:
        build_spec(parse_graph(readable), cast(ExecutionParamsLike, ExecutionParams()), library)
    except ImpossibleStrategy as err:  # e.g. a rule never true, or a stop-loss beside a trailing stop
        node_id = str(err.fields.get("node_id", ""))
        issues.append(
            StrategyIssue(node_id=node_id, detail=str(err.fields.get("reason", err.message)), blocking=True)
        )
    return issues


# (field, what it is, upper bound in percent): a long position's stop at 100 % or more sits at or below zero.
_EXIT_FIELDS = (
    ("stop_pct", "the stop-loss", 100.0),
    ("trail_pct", "the trailing stop", 100.0),
    ("target_pct", "the take-profit", None),
)


def _check_exit_distances(graph: StrategyGraph) -> None:
    """Refuse a stop, trailing stop or take-profit distance no edit of another node can make right."""
    for node in graph.nodes:
        for name, what, upper in _EXIT_FIELDS:
            value = getattr(node.meta, name, None)
            if not isinstance(value, int | float):
                continue
            if not value > 0:
                raise ImpossibleStrategy(f"{what} must be above 0% (got {value:g}%)", node_id=node.id)
            if upper is not None and value >= upper:
                raise ImpossibleStrategy(f"{what} must be below {upper:g}% (got {value:g}%)", node_id=node.id)


def stored_issues(
    graph: dict[str, Any], *, llm_available: bool = False, library: Sequence[SavedIndicator] = ()
) -> list[StrategyIssue]:
    """Issues of a stored graph, never raising: a graph saved before a check existed reports what the check
    now refuses as a blocking issue instead of making the strategy unreadable."""
    try:
        return strategy_issues(graph, llm_available=llm_available, library=library)
    except DomainError as err:
        return [StrategyIssue(node_id=str(err.fields.get("node_id", "")), detail=err.message, blocking=True)]


def rule_readings(
    graph: dict[str, Any], library: Sequence[SavedIndicator] = ()
) -> list[tuple[str, str, str]]:
    """``(node_id, rule, understood)`` for each rule the grammar reads, with the graph's own custom
    indicators (the rules it cannot read are among `strategy_issues`)."""
    readable = copy.deepcopy(graph)
    if not isinstance(readable.get("nodes"), list):
        return []
    context = _reading_context(readable, [], library)
    readings = []
    for raw in readable["nodes"]:
        rules = raw.get("meta", {}).get("rules") if isinstance(raw, dict) else None
        for rule in rules if isinstance(rules, list) else []:
            with contextlib.suppress(RuleNotUnderstood):
                readings.append(
                    (str(raw.get("id")), str(rule), read_rule(str(rule), context=context).understood)
                )
    return readings


def _reading_context(
    graph: dict[str, Any], issues: list[StrategyIssue], library: Sequence[SavedIndicator] = ()
) -> ReadContext:
    """The custom indicators the rules may name (the graph's nodes, then the user's saved ones they do not
    redefine); a broken node is an issue on its node (then the nodes are left out)."""
    if not isinstance(graph.get("nodes"), list):
        return ReadContext()  # parse_graph names the problem
    customs = [
        SavedIndicator(str(meta.get("name", "")), str(meta.get("formula", "")), str(raw.get("id", "")))
        for raw in graph["nodes"]
        if isinstance(raw, dict) and raw.get("type") == "custom_indicator"
        for meta in [raw.get("meta") or {}]
    ]
    drawn = {c.name.lower() for c in customs}
    saved = [s for s in library if s.name.lower() not in drawn]
    try:
        return context_for("1d", [*customs, *saved])
    except DomainError as err:
        node_id = str(err.fields.get("node_id", ""))
        issues.append(StrategyIssue(node_id=node_id, detail=err.message, blocking=True))
        # Checked without them: the rules that name them become issues of their own.
        graph["nodes"] = [
            n for n in graph["nodes"] if not (isinstance(n, dict) and n.get("type") == "custom_indicator")
        ]
        with contextlib.suppress(DomainError):
            return context_for("1d", library)
        return ReadContext()


def _finished(graph: dict[str, Any], issues: list[StrategyIssue]) -> dict[str, Any]:
    """A copy with what a draft may still lack filled in (so the rest can be checked), each gap an issue."""
    readable = copy.deepcopy(graph)
    nodes = readable.get("nodes")
    if not isinstance(nodes, list):
        return readable  # parse_graph names the problem
    for raw in nodes:
        if not (isinstance(raw, dict) and str(raw.get("type", "")).endswith("_condition")):
            continue
        meta = raw.setdefault("meta", {})
        if not isinstance(meta, dict):
            continue
        rules = [r for r in meta.get("rules") or [] if isinstance(r, str) and r.strip()]
        if not rules and not meta.get("conditions"):
            issues.append(
                StrategyIssue(
                    node_id=str(raw.get("id", "")),
                    field="meta.rules",
                    detail="needs at least one rule or condition",
                    blocking=True,
                )
            )
            meta["rules"] = [_PLACEHOLDER]
    if not any(isinstance(n, dict) and n.get("type") in ENTRY_TYPES for n in nodes):
        gap = "add an entry condition: without one nothing is ever bought"
        issues.append(StrategyIssue(node_id="", detail=gap, blocking=True))
        nodes.append({"id": _PROBE_ID, "type": "entry_condition", "meta": {"rules": [_PLACEHOLDER]}})
    return readable


def _unreadable(
    node_id: str, index: int, rule: str, err: RuleNotUnderstood, *, blocking: bool
) -> StrategyIssue:
    fields = err.fields
    return StrategyIssue(
        node_id=node_id,
        field=f"meta.rules[{index}]",
        rule=rule,
        detail=f"Node '{node_id}': {err.message}"
        + ("" if blocking else " The analyzer agent will try to translate it."),
        position=fields.get("position"),
        expected=list(fields.get("expected") or []),
        suggestion=fields.get("suggestion"),
        blocking=blocking,
    )
