"""The strategy language: node graph -> typed StrategySpec -> VectorBT source (pure, no I/O).

>>> graph = parse_graph({"nodes": [
...     {"id": "entry", "type": "entry_condition",
...      "meta": {"rules": ["Enter on a 5% price drop from the 20-day moving average"]}},
...     {"id": "tp", "type": "take_profit", "meta": {"target_pct": 7.0}}]})
>>> parse_rule("RSI(14) below 30").op
'<'
"""

from app.services.language.builder import ExecutionParamsLike, build_spec
from app.services.language.compiler import compile_spec
from app.services.language.errors import (
    ImpossibleStrategy,
    InvalidStrategyGraph,
    RuleNotUnderstood,
    StrategyTooLarge,
)
from app.services.language.nodes import GraphLimits, StrategyGraph, node_json_schema, parse_graph
from app.services.language.parser import parse_rule
from app.services.language.spec import StrategySpec
from app.services.language.warmup import warmup_scripts

__all__ = [
    "ExecutionParamsLike",
    "GraphLimits",
    "ImpossibleStrategy",
    "InvalidStrategyGraph",
    "RuleNotUnderstood",
    "StrategyGraph",
    "StrategySpec",
    "StrategyTooLarge",
    "build_spec",
    "compile_spec",
    "node_json_schema",
    "parse_graph",
    "parse_rule",
    "warmup_scripts",
]
