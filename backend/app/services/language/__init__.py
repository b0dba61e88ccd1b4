"""The strategy language: node graph -> typed StrategySpec -> VectorBT source (pure, no I/O).

>>> graph = parse_graph({"nodes": [
...     {"id": "entry", "type": "entry_condition",
...      "meta": {"rules": ["Enter on a 5% price drop from the 20-day moving average"]}},
...     {"id": "tp", "type": "take_profit", "meta": {"target_pct": 7.0}}]})
>>> parse_rule("RSI(14) below 30").op
'<'
>>> read_rule("RSI(14) crosses above 30").understood
'RSI(14) crosses above 30'

Custom indicators: ``validate_custom_indicator(name, formula, library)`` checks one before it is saved;
``build_spec(graph, params, library=[SavedIndicator(name, formula), ...])`` makes saved ones usable.
"""

from app.services.language.builder import ExecutionParamsLike, build_spec
from app.services.language.compiler import compile_spec
from app.services.language.context import ReadContext
from app.services.language.custom import SavedIndicator, context_for, parse_formula, validate_custom_indicator
from app.services.language.errors import (
    ImpossibleStrategy,
    InvalidStrategyGraph,
    RuleNotUnderstood,
    StrategyTooLarge,
)
from app.services.language.nodes import GraphLimits, StrategyGraph, node_json_schema, parse_graph
from app.services.language.reading import Reading, parse_rule, read_rule
from app.services.language.spec import CustomIndicator, StrategySpec
from app.services.language.warmup import warmup_scripts

__all__ = [
    "CustomIndicator",
    "ExecutionParamsLike",
    "GraphLimits",
    "ImpossibleStrategy",
    "InvalidStrategyGraph",
    "ReadContext",
    "Reading",
    "RuleNotUnderstood",
    "SavedIndicator",
    "StrategyGraph",
    "StrategySpec",
    "StrategyTooLarge",
    "build_spec",
    "compile_spec",
    "context_for",
    "node_json_schema",
    "parse_formula",
    "parse_graph",
    "parse_rule",
    "read_rule",
    "validate_custom_indicator",
    "warmup_scripts",
]
