"""What a sweep varies, learnt from the language itself.

A sweep's parameters are named three ways: a rule's ``{name=default}`` (``fast``), a node's field
(``sl.stop_pct``: node ``sl``, field ``stop_pct``) and an execution parameter (``params.fees``). For each
parameter and each of its values, the strategy is built with that one value by the real builder
(`build_spec`), and the spec is compared with the default one: what changed is what that parameter moves.
So every value a sweep uses is the value a normal run with that setting would use, rounding included, and
a value the language refuses is refused here, naming the parameter.

What a parameter may move: an indicator of a rule (its period or other settings: one series per value), a
number of a rule (one constant per value), the stop-loss, take-profit or trailing-stop distance in percent,
the fees and the slippage. Anything else (a lag, the sizing, the dates) is refused with the part of the
strategy it would change.

The sweep kernel simulates ``Portfolio.from_signals``' fills with fixed-percent stops. A strategy whose
normal run needs more (stops in ATR multiples, an entry on a stop's exit bar, a time limit, a reversal
sized below all the cash: `refuse_unsupported`) is refused by the node or parameter that asks for it, so a
sweep never reports results a normal run of the same values would not reproduce.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from app.core.errors import DomainError
from app.models.params import ExecutionParams
from app.services.language import ExecutionParamsLike, SavedIndicator, build_spec, parse_graph
from app.services.language.compiler_portfolio import fractional_reversal
from app.services.language.indicators import Indicator
from app.services.language.parameters import PATTERN, conflicting_defaults, number_text, rule_parameters
from app.services.language.spec import StrategySpec
from app.services.research.errors import InvalidSweep

EXEC_FIELDS = ("stop_loss", "take_profit", "trailing_stop", "fees", "slippage")
PARAMS_PREFIX = "params."
SWEEPABLE_PARAMS = ("fees", "slippage")
IGNORED = {"text", "understood"}


@dataclass
class Leaf:
    """A place in a rule's condition that moves with the sweep: an indicator (``kind="indicator"``,
    values are `Indicator`s) or a number (``kind="const"``, values are floats)."""

    side: str  # "entries", "exits", "short_entries", "short_exits"
    rule_set: int
    rule: int
    path: tuple[str | int, ...]  # within the rule's condition, to the IndicatorRef or Const
    kind: str
    params: list[str] = field(default_factory=list)
    # per parameter, per value: the changed fields (indicator) or the value (const)
    changes: dict[str, dict[float, Any]] = field(default_factory=dict)


@dataclass
class Design:
    default: StrategySpec
    grid: dict[str, list[float]]
    leaves: list[Leaf]
    exec_fields: dict[str, tuple[str, dict[float, Any]]]  # spec field -> (parameter, value -> field value)
    signal_params: list[str]
    defaults: dict[str, float]

    def indicator_of(self, leaf: Leaf, values: Mapping[str, float]) -> Indicator:
        """The concrete indicator of ``leaf`` when its parameters take ``values``."""
        base = _get(self.default_condition(leaf), leaf.path)["indicator"]
        update: dict[str, Any] = {}
        for name in leaf.params:
            update.update(leaf.changes[name].get(values[name], {}))  # the default value changes nothing
        return Indicator.model_validate({**base, **update})

    def const_of(self, leaf: Leaf, value: float) -> float:
        default = _get(self.default_condition(leaf), leaf.path)["value"]
        return float(leaf.changes[leaf.params[0]].get(value, default))

    def default_condition(self, leaf: Leaf) -> dict[str, Any]:
        rule_set = getattr(self.default, leaf.side)[leaf.rule_set]
        dump: dict[str, Any] = rule_set.rules[leaf.rule].condition.model_dump(mode="json")
        return dump


def known_parameters(graph: dict[str, Any]) -> dict[str, float | None]:
    """Every name a sweep of this strategy may use, with its current value (None: not set)."""
    out: dict[str, float | None] = {}
    for node in graph.get("nodes", []):
        meta = node.get("meta") or {}
        for text in meta.get("rules") or []:
            for p in rule_parameters(str(text)):
                out.setdefault(p.name, p.default)
        for key, value in meta.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[f"{node.get('id')}.{key}"] = float(value)
    for name in SWEEPABLE_PARAMS:
        out[PARAMS_PREFIX + name] = None
    return out


def graph_with(graph: dict[str, Any], name: str, value: float) -> dict[str, Any]:
    """The raw graph with one rule parameter or node field set to ``value``."""
    out = copy.deepcopy(graph)
    node_id, _, key = name.partition(".")
    for node in out.get("nodes", []):
        meta = node.setdefault("meta", {})
        if key and node.get("id") == node_id:
            meta[key] = value
        if not key:
            meta["rules"] = [_rule_with(str(t), name, value) for t in meta.get("rules") or []]
    return out


def _rule_with(text: str, name: str, value: float) -> str:
    return PATTERN.sub(
        lambda m: "{" + f"{name}={number_text(value)}" + "}" if m.group(1) == name else m.group(0), text
    )


def build(
    graph: dict[str, Any], params: ExecutionParams, library: Sequence[SavedIndicator] = ()
) -> StrategySpec:
    return build_spec(parse_graph(graph), cast(ExecutionParamsLike, params), library)


def design(
    graph: dict[str, Any],
    params: ExecutionParams,
    grid: dict[str, list[float]],
    library: Sequence[SavedIndicator] = (),
) -> Design:
    """Learn what each grid parameter moves (see the module docstring)."""
    texts = [str(t) for n in graph.get("nodes", []) for t in (n.get("meta") or {}).get("rules") or []]
    clash = conflicting_defaults(texts)
    if clash is not None:
        raise InvalidSweep(
            f"parameter {clash[0]!r} is written with two defaults ({number_text(clash[1])} and "
            f"{number_text(clash[2])}); give it one",
            param=clash[0],
        )
    known = known_parameters(graph)
    for name in grid:
        if name not in known:
            raise InvalidSweep(
                f"unknown parameter {name!r}; this strategy has: {', '.join(sorted(known)) or 'none'}",
                param=name,
            )
    default = build(graph, params, library)
    refuse_unsupported(graph, default)
    base = default.model_dump(mode="json")
    leaves: dict[tuple[Any, ...], Leaf] = {}
    exec_fields: dict[str, tuple[str, dict[float, Any]]] = {}
    for name, values in grid.items():
        for value in values:
            spec = _variant(graph, params, name, value, library)
            for path, new in _diff(base, spec.model_dump(mode="json")):
                _record(name, value, path, new, base, leaves, exec_fields)
    signal_params = sorted({p for leaf in leaves.values() for p in leaf.params}, key=list(grid).index)
    for leaf in leaves.values():
        if leaf.kind == "const" and len(leaf.params) > 1:
            raise InvalidSweep(
                f"one number of a rule moves with {' and '.join(leaf.params)}: a sweep varies each number "
                "with one parameter",
                param=leaf.params[0],
            )
    defaults = {n: v for n, v in known.items() if v is not None}
    return Design(default, grid, list(leaves.values()), exec_fields, signal_params, defaults)


ATR_STOPS = {
    "stop_loss": ("stop_loss_atr", "stop_atr", "stop-loss"),
    "take_profit": ("take_profit_atr", "target_atr", "take-profit"),
    "trailing_stop": ("trailing_stop_atr", "trail_atr", "trailing stop"),
}


def refuse_unsupported(graph: dict[str, Any], spec: StrategySpec) -> None:
    """`InvalidSweep` naming what the sweep kernel does not simulate (see the module docstring)."""
    nodes = graph.get("nodes", [])
    for node in nodes:
        atr = ATR_STOPS.get(str(node.get("type")))
        if atr is not None and getattr(spec, atr[0]) is not None:
            node_id = str(node.get("id"))
            raise InvalidSweep(
                f"node {node_id!r}: a {atr[2]} in ATR multiples cannot be swept (the sweep runs stops as "
                f"fixed percentages); give it in percent to sweep this strategy",
                param=f"{node_id}.{atr[1]}",
                node_id=node_id,
            )
    stated = spec.stated_exits[0].node_id if spec.stated_exits else None
    for name, (_, _, words) in ATR_STOPS.items():
        if getattr(spec, f"{name}_atr") is not None:  # stated in a rule ("stop at 2 ATR")
            raise InvalidSweep(
                f"node {stated!r}: a {words} in ATR multiples cannot be swept (the sweep runs stops as fixed "
                "percentages); give it in percent to sweep this strategy",
                param=None,
                node_id=stated,
            )
    if spec.exit_after_bars is not None:
        raise InvalidSweep(
            f"a time limit (positions close after {spec.exit_after_bars} bars) cannot be swept: the sweep "
            "runs from_signals' fills, which have no time stop",
            param=None,
            node_id=stated,
        )
    if spec.reenter_on_exit_bar:
        raise InvalidSweep(
            "params.reenter_on_exit_bar cannot be swept: the sweep runs from_signals' fills, one order per "
            "bar; run it with reenter_on_exit_bar false",
            param="params.reenter_on_exit_bar",
        )
    if fractional_reversal(spec):
        sizing = next((n for n in nodes if n.get("type") == "position_sizing"), None)
        raise InvalidSweep(
            "long and short entries sized below all the cash cannot be swept: the sweep cannot size a "
            "reversal in one order; size entries with all the cash, or keep one side",
            param=None,
            node_id=sizing.get("id") if sizing else None,
        )


def _variant(
    graph: dict[str, Any],
    params: ExecutionParams,
    name: str,
    value: float,
    library: Sequence[SavedIndicator] = (),
) -> StrategySpec:
    try:
        if name.startswith(PARAMS_PREFIX):
            changed = ExecutionParams.model_validate(
                {**params.model_dump(), name[len(PARAMS_PREFIX) :]: value}
            )
            return build(graph, changed, library)
        return build(graph_with(graph, name, value), params, library)
    except (DomainError, ValueError) as exc:
        detail = getattr(exc, "message", None) or str(exc).splitlines()[0]
        raise InvalidSweep(
            f"{name} = {number_text(value)} is not valid: {detail}", param=name, value=value
        ) from None


def _diff(a: Any, b: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    """Paths where ``b`` differs from ``a`` (leaves), with ``b``'s value there."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return [d for k in a if k not in IGNORED for d in _diff(a[k], b[k], (*path, k))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _diff(x, y, (*path, i))]
    return [] if a == b else [(path, b)]


def _get(node: Any, path: Sequence[str | int]) -> Any:
    for key in path:
        node = node[key]
    return node


def _record(
    name: str,
    value: float,
    path: tuple[str | int, ...],
    new: Any,
    base: dict[str, Any],
    leaves: dict[tuple[Any, ...], Leaf],
    exec_fields: dict[str, tuple[str, dict[float, Any]]],
) -> None:
    if len(path) == 1 and path[0] in EXEC_FIELDS:
        exec_fields.setdefault(str(path[0]), (name, {}))[1][value] = new
        return
    sides = ("entries", "exits", "short_entries", "short_exits")
    leaf_path: tuple[str | int, ...] | None = None
    kind = field_name = None
    if len(path) >= 6 and path[0] in sides and path[2] == "rules" and path[4] == "condition":
        inner = path[5:]
        if "indicator" in inner and len(inner) > inner.index("indicator") + 1:
            cut = inner.index("indicator")
            leaf_path, kind, field_name = inner[:cut], "indicator", str(inner[cut + 1])
        elif inner and inner[-1] == "value" and _get(base, path[:-1]).get("type") == "const":
            leaf_path, kind = inner[:-1], "const"
    if leaf_path is not None and kind is not None:
        key = (path[0], path[1], path[3], leaf_path)
        leaf = leaves.setdefault(key, Leaf(str(path[0]), int(path[1]), int(path[3]), leaf_path, kind))
        if name not in leaf.params:
            leaf.params.append(name)
        per_value = leaf.changes.setdefault(name, {})
        if kind == "indicator":
            per_value.setdefault(value, {})[str(field_name)] = new
        else:
            per_value[value] = new
        return
    where = ".".join(str(p) for p in path)
    raise InvalidSweep(f"{name} changes {where}, which a sweep cannot vary", param=name, value=value)
