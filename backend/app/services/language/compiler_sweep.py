"""StrategySpec + what a sweep varies -> the sweep's script: the normal script's parts, run for a grid.

Layout: the normal header, constants and prices (with the sweep's one warm-up, the longest any combination
needs); every indicator any combination uses, each computed once with the normal code; per moving
indicator or number, its table by parameter value; ``signals(p)``, which writes each rule exactly as the
normal script does, on frames with one column per combination of a block; the backtest window; and
``sweep = run_sweep(...)``, the sweep kernel (`stratcrew_research`, preloaded in the sandbox), which
simulates each combination as ``Portfolio.from_signals`` would and reduces the results in place.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from app.services.language.compiler import PRICES, _constants, _header, _lit, patterns_of, render_condition
from app.services.language.compiler_indicators import indicator_lines
from app.services.language.compiler_patterns import pattern_lines
from app.services.language.indicators import Indicator
from app.services.language.spec import Condition, StrategySpec, with_inputs

_CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)
_MARK = 900_001
_CONST_MARK = 9_000_000.000123
SIDES = (
    ("entries", "entry"),
    ("exits", "exit"),
    ("short_entries", "short_entry"),
    ("short_exits", "short_exit"),
)


@dataclass
class MovingLeaf:
    side: str
    rule_set: int
    rule: int
    path: tuple[str | int, ...]
    kind: str  # "indicator" | "const"
    params: list[str]
    table: dict[tuple[float, ...], Any]  # parameter values -> Indicator (indicator) or float (const)


@dataclass
class SweepSource:
    grid: dict[str, list[float]]
    signal_params: list[str]
    leaves: list[MovingLeaf]
    exec_fields: dict[str, tuple[str, dict[float, float]]]  # spec field -> (parameter, value -> value)
    constraints: list[tuple[str, str, str]]
    objective: str
    walk_forward: tuple[int, float] | None
    heatmap: tuple[str, str] | None
    warmup_bars: int  # the longest warm-up any combination needs: one history for all of them
    data_start: str
    cost_params: list[str] = field(default_factory=list)


def compile_sweep(spec: StrategySpec, source: SweepSource) -> str:
    """The sweep script for ``spec`` (its default values) and what ``source`` varies."""
    parts = [
        _header(spec).replace(
            "StratCrew strategy, generated from a StrategySpec",
            "StratCrew parameter sweep, generated from a StrategySpec: every combination of GRID runs the\n"
            "backtest below",
        ),
        "from stratcrew_research import Grid, Market, SweepPlan, WalkForward, run_sweep\n"
        "from stratcrew_research import block_size, by_value, per_column, periods_per_year, pick, rows\n"
        "from stratcrew_research import widen",
        _sweep_constants(spec, source),
        _grid(source),
        PRICES,
        _indicators(spec, source),
        _signals(spec, source),
        _run(spec, source),
    ]
    return "\n".join(part.rstrip("\n") + "\n" for part in parts if part)


def _sweep_constants(spec: StrategySpec, source: SweepSource) -> str:
    text = _constants(spec)
    text = re.sub(
        r"^WARMUP_BARS = .*$",
        f"WARMUP_BARS = {source.warmup_bars}  # bars before START: the longest warm-up of any combination",
        text,
        flags=re.M,
    )
    return re.sub(r"^DATA_START = .*$", f"DATA_START = {_lit(source.data_start)}", text, flags=re.M)


def _grid(source: SweepSource) -> str:
    lines = ["", "# The grid: every combination of these values is backtested (names as in the strategy)"]
    lines.append(f"GRID = {json.dumps(source.grid)}")
    lines.append(f"SIGNAL_PARAMS = {json.dumps(source.signal_params)}  # the ones that change the signals")
    return "\n".join(lines)


def _all_indicators(spec: StrategySpec, source: SweepSource) -> list[Indicator]:
    found: dict[str, Indicator] = {ind.var_name(): ind for ind in spec.indicators()}
    for leaf in source.leaves:
        if leaf.kind == "indicator":
            for ind in leaf.table.values():
                for inner in with_inputs(ind):  # an average of RSI needs the RSI first
                    found.setdefault(inner.var_name(), inner)
    return sorted(found.values(), key=lambda i: (i.family, i.params(), i.source, i.kind))


def _indicators(spec: StrategySpec, source: SweepSource) -> str:
    lines = ["", "# Indicators: every one any combination uses, each computed once with the normal code"]
    lines += indicator_lines([*_all_indicators(spec, source), *spec.custom_indicators])
    lines += pattern_lines(patterns_of(spec))
    lines += ["", "# What moves with the parameters: per value, the indicator's series or the rule's number"]
    for k, leaf in enumerate(source.leaves, start=1):
        entries = ", ".join(
            f"{_key(key)}: {value.var_name() if leaf.kind == 'indicator' else _lit(float(value))}"
            for key, value in leaf.table.items()
        )
        lines.append(f"LEAF_{k} = {{{entries}}}  # by {', '.join(leaf.params)}")
    return "\n".join(lines)


def _key(key: tuple[float, ...]) -> str:
    return "(" + "".join(f"{float(v)!r}, " for v in key).rstrip(" ") + ")"


def _template(spec: StrategySpec, source: SweepSource, side: str, s: int, r: int) -> str:
    """The rule's condition as the normal code writes it, each moving part named ``leaf_k``."""
    rule = getattr(spec, side)[s].rules[r]
    dump: dict[str, Any] = rule.condition.model_dump(mode="json")
    names: dict[str, str] = {}
    for k, leaf in enumerate(source.leaves, start=1):
        if (leaf.side, leaf.rule_set, leaf.rule) != (side, s, r):
            continue
        node = dump
        for step in leaf.path:
            node = node[step]  # type: ignore[index]
        if leaf.kind == "indicator":
            stand_in = {**node["indicator"], "period": _MARK + k}
            node["indicator"] = stand_in
            names[Indicator.model_validate(stand_in).var_name()] = f"leaf_{k}"
        else:
            node["value"] = _CONST_MARK + k
            names[repr(_CONST_MARK + k)] = f"leaf_{k}"
    text = render_condition(_CONDITION.validate_python(dump), top=True)
    for marker, name in names.items():
        text = re.sub(rf"(?<![\w.]){re.escape(marker)}(?![\w])", name, text)
    return text


def _signals(spec: StrategySpec, source: SweepSource) -> str:
    fixed = sorted({ind.var_name() for ind in spec.indicators()})
    lines = [
        "",
        "# The backtest window: from START on (the bars before it only warmed the indicators up)",
        'in_window = (close.index >= pd.Timestamp(START, tz="UTC"))',
        "PRICE_FRAMES = (open_price, high, low, close, volume)",
        f"FIXED = {{{', '.join(f'{_lit(n)}: {n}' for n in fixed)}}}",
        "",
        "",
        "def signals(p):",
        '    """The signals of a block of combinations (p: each parameter\'s value per combination), one',
        '    column per combination and symbol; each rule is written as in a normal run."""',
        "    count = block_size(p)",
        "    open_price, high, low, close, volume = (widen(f, count) for f in PRICE_FRAMES)",
    ]
    for name in fixed:
        lines.append(f"    {name} = widen(FIXED[{_lit(name)}], count)")
    for k, leaf in enumerate(source.leaves, start=1):
        if leaf.kind == "indicator":
            lines.append(f"    leaf_{k} = pick(LEAF_{k}, p, {json.dumps(leaf.params)})")
        else:
            lines.append(f"    leaf_{k} = per_column(LEAF_{k}, p, {json.dumps(leaf.params)}, len(SYMBOLS))")
    out = []
    for side, prefix in SIDES:
        rule_sets = getattr(spec, side)
        if not rule_sets:
            continue
        set_names = []
        for s, rule_set in enumerate(rule_sets):
            names = []
            for r, rule in enumerate(rule_set.rules):
                name = f"{prefix}_{s + 1}_{r + 1}"
                lines.append(f"    # Node {rule_set.node_id!r}, rule {r + 1}: {' '.join(rule.text.split())}")
                lines.append(f"    {name} = {_template(spec, source, side, s, r)}")
                names.append(name)
            joiner = " & " if rule_set.combine == "all" else " | "
            set_names.append(f"({joiner.join(names)})")
        lines.append(f"    {side} = {' | '.join(set_names)}")
        out.append(f'"{side}": rows({side}, in_window)')
    lines.append(f"    return {{{', '.join(out)}}}")
    return "\n".join(lines)


_FIELD_CONSTANT = {"fees": "FEES", "slippage": "SLIPPAGE"}


def _run(spec: StrategySpec, source: SweepSource) -> str:
    fields = {
        "size": "SIZE",
        "size_type": "SIZE_TYPE",
        "fees": "FEES",
        "slippage": "SLIPPAGE",
        "sl_stop": "SL_STOP",
        "sl_trail": "SL_TRAIL",
        "tp_stop": "TP_STOP",
        "stop_exit_price": "STOP_EXIT_PRICE",
    }
    lines = [
        "",
        "# Fields that move with the parameters: per value, as a normal run with that value sets them",
    ]
    targets = {"stop_loss": "sl_stop", "trailing_stop": "sl_stop", "take_profit": "tp_stop"}
    for spec_field, (param, table) in source.exec_fields.items():
        default = getattr(spec, spec_field)
        full = {float(v): float(table.get(v, default)) for v in source.grid[param]}
        constant = f"{spec_field.upper()}_BY_VALUE"
        lines.append(f"{constant} = {{{', '.join(f'{k!r}: {v!r}' for k, v in full.items())}}}  # by {param}")
        fields[targets.get(spec_field, spec_field)] = f"lambda p: by_value({constant}, p[{_lit(param)}])"
    walk = (
        f"WalkForward(folds={source.walk_forward[0]}, in_sample={source.walk_forward[1]!r})"
        if source.walk_forward
        else "None"
    )
    field_text = "".join(f"        {_lit(k)}: {v},\n" for k, v in fields.items())
    return (
        "\n".join(lines)
        + f"""


# The sweep: every combination simulated as from_signals would, reduced in place
window = (open_price.loc[in_window], high.loc[in_window], low.loc[in_window], close.loc[in_window])
market = Market.from_frames(*window)
sweep = run_sweep(
    market,
    SweepPlan(
        grid=Grid(GRID),
        signals=signals,
        signal_params=SIGNAL_PARAMS,
        init_cash=INIT_CASH,
        periods=periods_per_year(market.index, INTERVAL),
        risk_free_rate={float(spec.risk_free_rate)!r},
        fields={{
{field_text}        }},
        objective={_lit(source.objective)},
        constraints={json.dumps([list(c) for c in source.constraints])},
        walk_forward={walk},
        heatmap={json.dumps(list(source.heatmap)) if source.heatmap else "None"},
        cost_params={json.dumps(source.cost_params)},
    ),
)
"""
    )
