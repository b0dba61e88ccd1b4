"""What each flow step does, in plain async functions of the shared `RunState`.

Offline the steps only call the tools. With an LLM (``state.agents`` set) they also ask the agents where
the tools stop, validate each answer, and log every attempt, so the execution says what happened.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from app.agents import crew as crew_mod
from app.agents.tools import format_violations, search_strategy_memory, store_strategy_memory
from app.agents.translation import Key, apply_translations, with_placeholders
from app.core.errors import DomainError
from app.models.status import Milestone
from app.services.results.wording import headline
from app.services.sandbox import validate_code

if TYPE_CHECKING:
    from app.agents.flow import RunState

log = logging.getLogger(__name__)
MAX_TRANSLATED_RULES = 5
KEY_METRICS = ("total_return", "cagr", "sharpe_ratio", "max_drawdown", "win_rate", "trades", "vs_benchmark")


# -- analyzing -------------------------------------------------------------------------------------------


async def analyze(s: RunState) -> None:
    from app.services.language import build_spec, parse_graph

    job = s.job
    try:
        s.spec = await _build_spec(s, parse_graph, build_spec)
    except DomainError:
        if job.edited_code is None:
            raise
        # Edited code does not need the spec to run; say so rather than refuse to run it.
        await s.log("Analyzer: the rules do not parse; running your edited code without a spec")
        s.spec = None
    if s.spec is not None:
        labels = s.spec.indicator_labels()
        s.insights["indicators_used"] = labels
        await s.log(
            f"Analyzer: understood {_rule_count(s.spec)} rule(s); indicators: {', '.join(labels) or 'none'}"
        )
    similar = await search_strategy_memory(
        s.memory,
        job.user_id,
        pattern_text(job, s.spec),
        k=s.settings.memory.similar_k,
        exclude_execution=job.execution_id,
    )
    s.insights["similar_strategies"] = [h.model_dump() for h in similar]
    if similar:
        best = similar[0]
        await s.log(
            f"Analyzer: {len(similar)} similar past strategies (closest {best.execution_id}, "
            f"similarity {best.similarity:.2f})"
        )
    prefs = await s.memory.get_preferences(job.user_id)
    if prefs is not None:
        s.insights["preferences"] = prefs.model_dump()
    if not s.memory.available:
        s.insights.setdefault("memory_notes", []).append(f"memory unavailable: {s.memory.unavailable_reason}")
        await s.log(f"Analyzer: memory unavailable ({s.memory.unavailable_reason}); continuing without it")


async def _build_spec(s: RunState, parse_graph: Any, build_spec: Any) -> Any:
    from app.services.language import GraphLimits
    from app.services.language.errors import RuleNotUnderstood

    job = s.job
    translations: dict[Key, tuple[Any, str]] = {}
    for _ in range(MAX_TRANSLATED_RULES + 1):
        graph = with_placeholders(job.graph, set(translations)) if translations else job.graph
        try:
            spec = build_spec(parse_graph(graph, GraphLimits.of(s.settings)), job.params)
        except RuleNotUnderstood as err:
            if s.agents is None or len(translations) >= MAX_TRANSLATED_RULES:
                raise
            key = (str(err.fields.get("node_id", "")), str(err.fields.get("rule", "")))
            if key in translations:
                raise
            translations[key] = await _translate(s, key, err)
            continue
        if translations:
            spec = apply_translations(spec, job.graph, translations)
            s.insights["translated_rules"] = [
                {"node_id": n, "rule": r, "understood": w} for (n, r), (_, w) in translations.items()
            ]
        return spec
    raise AssertionError("unreachable")


async def _translate(s: RunState, key: Key, err: DomainError) -> tuple[Any, str]:
    from app.agents.tools import check_condition

    node_id, rule = key
    cached = await s.memory.find_translation(s.job.user_id, rule)
    if cached is not None:
        try:
            condition, words = check_condition(cached)
        except ValueError:
            cached = None
        else:
            await s.log(f"Analyzer: rule '{rule}' read from memory as: {words}")
            return condition, words
    assert s.agents is not None
    await s.log(f"Analyzer: the grammar cannot read '{rule}'; asking the analyzer agent")
    try:
        condition, words = await crew_mod.translate_rule(s.agents, rule, err.message, s.log)
    except (crew_mod.AnswerRejected, DomainError) as exc:
        reason = exc.message if isinstance(exc, DomainError) else str(exc)
        err.message = f"{err.message} The LLM could not translate it either: {reason}"
        err.args = (err.message,)
        err.fields["llm_error"] = reason
        raise err from exc
    await s.log(f"Analyzer: rule '{rule}' (node {node_id}) understood as: {words}")
    await s.memory.add_translation(s.job.user_id, rule, condition.model_dump(mode="json"), words)
    return condition, words


# -- generating_code -------------------------------------------------------------------------------------


async def generate(s: RunState) -> None:
    from app.services.language import compile_spec
    from app.services.sandbox.errors import CodePolicyViolation

    if s.job.edited_code is not None:
        s.code = s.job.edited_code
        # The generated code is still recorded, so the run keeps both apart (and "reset" has a target).
        s.compiled_code = compile_spec(s.spec) if s.spec is not None else None
        await s.log(f"Generator: using your edited code ({_lines(s.code)} lines)")
    else:
        s.compiled_code = s.code = compile_spec(s.spec)
        await s.log(f"Generator: compiled {_lines(s.code)} lines from the spec")
    violations = validate_code(s.code)
    while violations:
        problem = f"Sandbox policy violations: {format_violations(violations)}"
        await s.log(f"Generator: {problem}")
        if not await _repair(s, problem):
            raise CodePolicyViolation([v.model_dump() for v in violations])
        violations = validate_code(s.code)
    await s.log("Generator: code passed the sandbox policy")


async def _repair(s: RunState, problem: str) -> bool:
    """One LLM repair attempt if any are left; the new code replaces ``s.code`` only if it validates."""

    repairs = s.insights.setdefault("code_repairs", [])
    limit = s.settings.code_repair_attempts
    if s.agents is None or len(repairs) >= limit:
        return False
    attempt = len(repairs) + 1
    await s.log(f"Generator: repair attempt {attempt}/{limit}")
    try:
        code, violations = await crew_mod.repair_code(s.agents, s.code, problem, validate_code)
    except DomainError as exc:
        repairs.append({"attempt": attempt, "problem": problem, "accepted": False, "error": exc.message})
        await s.log(f"Generator: repair attempt {attempt} failed: {exc.message}")
        return False
    accepted = not violations
    repairs.append(
        {
            "attempt": attempt,
            "problem": problem[:500],
            "accepted": accepted,
            "violations": format_violations(violations),
        }
    )
    if accepted:
        s.code = code
        await s.log(f"Generator: repair attempt {attempt} passed the policy")
    else:
        await s.log(f"Generator: repair attempt {attempt} rejected: {format_violations(violations)}")
    return True


# -- executing -------------------------------------------------------------------------------------------


async def execute(s: RunState) -> None:
    from app.services.language.history import history_start, warmup_notes
    from app.services.results import build_results
    from app.services.sandbox.errors import CodeRaised

    job, params = s.job, s.job.params
    bench_symbol = params.benchmark_symbol
    # Bars before start_date feed the indicators' warm-up (the generated code keeps WARMUP_BARS of them).
    first_day = history_start(s.spec) if s.spec is not None else params.start_date
    bars: dict[str, Any] = {}
    for symbol in dict.fromkeys([*params.symbols, bench_symbol]):
        s.check_cancel()
        bars[symbol] = b = await s.market_data.load(
            symbol, params.timeframe, first_day, params.end_date, job.user_id
        )
        s.data_sources[symbol] = {"source": b.source, "content_hash": b.content_hash}
        in_window = _bars_in_window(b.frame, params.start_date, symbol)
        before = len(b.frame) - in_window
        warm = f" (+{before} before {params.start_date} for the indicators' warm-up)" if before else ""
        await s.log(f"Executor: {symbol}: {in_window} bars from {b.source}{warm}")
        for note in b.notes:
            await s.log(f"Executor: {symbol}: {note}")
    notes: list[str] = []
    if s.spec is not None:
        for symbol in params.symbols:
            bars[symbol].check_enough(s.spec.longest_window())
        notes = warmup_notes(s.spec, {sym: bars[sym].frame["close"] for sym in params.symbols})
        for note in notes:
            await s.log(f"Executor: {note}")
    data_files = {sym: bars[sym].parquet_path for sym in params.symbols}
    while True:
        s.check_cancel()
        try:
            # The look-ahead check: one cut for generated code, three for code the user edited
            cuts = (0.25, 0.5, 0.75) if job.edited_code else (0.5,)
            result = await s.sandbox_pool.run(s.code, data_files, cancel=s.cancel, bias_cuts=cuts)
            break
        except CodeRaised as exc:
            await s.log(f"Executor: the code raised: {exc.message}")
            if not await _repair(
                s, f"The script raised: {exc.message}\n{exc.fields.get('traceback_tail', '')}"
            ):
                raise
            if validate_code(s.code):
                raise
    await s.log(
        f"Executor: backtest ran in {result.duration_s:.2f} s "
        f"({result.signals.entries} entries, {result.signals.exits} exits)",
        Milestone.backtest_ran,
    )
    s.insights["library_versions"] = dict(result.library_versions)
    if result.bias_check is not None:
        s.insights["bias_check"] = result.bias_check
        if result.bias_check.get("passed") is False:
            notes.append(str(result.bias_check.get("message")))
            await s.log(f"Executor: {result.bias_check.get('message')}")
    # pandas work of ~50-250 ms: off the event loop, which also serves requests and other runs
    s.results = await asyncio.to_thread(
        build_results,
        equity=result.equity,
        trades=result.trades,
        benchmark_close=bars[bench_symbol].frame["close"],  # aligned to the equity: from start_date
        params=params,
        stops=s.spec.stops() if s.spec is not None else None,
        signals=result.signals,
        bars_by_symbol={sym: bars[sym].frame for sym in params.symbols},
        notes=notes,
    )
    all_metrics = s.results.metrics.model_dump()
    metrics = {k: all_metrics.get(k) for k in KEY_METRICS}
    await s.log(f"Executor: {headline(metrics)}", Milestone.results_ready)
    _preference_notes(s, metrics)
    await _remember(s, metrics)
    if s.agents is not None and s.settings.llm.summary:
        await _summarize(s, metrics)


def _bars_in_window(frame: Any, start: Any, symbol: str) -> int:
    """Bars on or after ``start`` (the rest only warm the indicators up); none is an error, not a run."""
    import pandas as pd

    from app.services.market_data.errors import DataUnavailable

    count = int((frame.index >= pd.Timestamp(start, tz="UTC")).sum())
    if count == 0:
        raise DataUnavailable("market data", f"no bars on or after {start}", symbol=symbol)
    return count


async def _remember(s: RunState, metrics: dict[str, Any]) -> None:
    job = s.job
    meta = {
        "execution_id": job.execution_id,
        "strategy_id": job.strategy_id,
        "symbols": ",".join(job.params.symbols),
        "timeframe": job.params.timeframe,
        "indicators": ",".join(s.insights.get("indicators_used", [])),
        **{k: v for k, v in metrics.items() if isinstance(v, int | float)},
    }
    # Only generated code is a template for others: a user's edited code is theirs.
    template = s.code if job.edited_code is None else None
    ids = await store_strategy_memory(s.memory, job.user_id, pattern_text(job, s.spec), meta, template)
    if ids.get("pattern"):
        await s.log("Executor: remembered this strategy and its results")


async def _summarize(s: RunState, metrics: dict[str, Any]) -> None:
    assert s.agents is not None
    facts = {
        "metrics": metrics,
        "warnings": s.results.metrics.warnings,
        "symbols": s.job.params.symbols,
        "benchmark": s.job.params.benchmark_symbol,
    }
    try:
        s.insights["summary"] = await crew_mod.write_summary(s.agents, facts, s.log)
        await s.log("Executor: summary written")
    except (crew_mod.AnswerRejected, DomainError) as exc:
        # The backtest stands on its own; a missing summary is reported, never invented.
        reason = exc.message if isinstance(exc, DomainError) else str(exc)
        s.insights["summary_error"] = reason
        await s.log(f"Executor: no summary: {reason}")


def _preference_notes(s: RunState, metrics: dict[str, Any]) -> None:
    prefs = s.insights.get("preferences") or {}
    limit, drawdown = prefs.get("max_drawdown"), metrics.get("max_drawdown")
    if limit is not None and isinstance(drawdown, int | float) and abs(drawdown) > limit:
        s.insights.setdefault("memory_notes", []).append(
            f"max drawdown {abs(drawdown):.1f}% exceeds your preference of {limit:g}%"
        )


# -- shared ----------------------------------------------------------------------------------------------


def pattern_text(job: Any, spec: Any) -> str:
    """What similarity is computed on: the rules as understood, stops, symbols and timeframe."""
    parts = [f"Strategy '{job.strategy_name}'"]
    if spec is not None:
        for label, sets in (
            ("entry", spec.entries),
            ("exit", spec.exits),
            ("short entry", spec.short_entries),
            ("short exit", spec.short_exits),
        ):
            for rule_set in sets:
                joiner = " and " if rule_set.combine == "all" else " or "
                parts.append(f"{label}: " + joiner.join(r.understood or r.text for r in rule_set.rules))
        stops = {
            "stop-loss": spec.stop_loss,
            "take-profit": spec.take_profit,
            "trailing stop": spec.trailing_stop,
        }
        parts += [f"{name} {value:.1%}" for name, value in stops.items() if value is not None]
        atr_stops = {
            "stop-loss": spec.stop_loss_atr,
            "take-profit": spec.take_profit_atr,
            "trailing stop": spec.trailing_stop_atr,
        }
        parts += [f"{name} {value.label()}" for name, value in atr_stops.items() if value is not None]
    params = job.params
    parts.append(f"on {', '.join(params.symbols)} {params.timeframe}")
    return "; ".join(parts)


def _rule_count(spec: Any) -> int:
    return sum(len(rs.rules) for rs in spec.rule_sets())


def _lines(code: str) -> int:
    return code.count("\n") + 1


__all__ = ["analyze", "execute", "generate", "pattern_text"]
