"""`execute(script, job, ctx) -> Backtest`: the executor's step. Market data for every symbol and the
benchmark (from the cache; from `history_start(spec)`, so the indicators are warm on the start date), a
check that there are enough bars for the slowest indicator, the script in the sandbox (in LLM mode a script
that raises may be repaired, within the same attempts as `generate`), and the results computed from what
the sandbox returned.

A kind of execution decides how the sandbox's output becomes results (`REDUCERS`): a backtest reduces one
portfolio to metrics, series and trades; a parameter sweep would reduce its grid inside the sandbox and
return a table here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from app.models.execution import ExecutionKind
from app.models.insights import BiasCheck
from app.models.params import ExecutionParams
from app.models.run_list import HEADLINE_METRICS
from app.models.status import ExecutionStatus, Milestone
from app.models.stops import Stops
from app.services.language import StrategySpec
from app.services.language.history import history_start, warmup_notes
from app.services.market_data import Bars, DataUnavailable
from app.services.pipeline.generate import repair
from app.services.pipeline.types import Backtest, DataSource, Job, RunContext, Script
from app.services.results import BacktestResults, build_results
from app.services.results.wording import headline
from app.services.sandbox import SandboxResult, validate_code
from app.services.sandbox.errors import CodeRaised

Reducer = Callable[[SandboxResult, "ReduceInputs"], BacktestResults]


@dataclass(frozen=True)
class ReduceInputs:
    """What the host adds to the sandbox's output to compute results: the bars (with their warm-up), the
    parameters, the stops and what the warm-up fell short of."""

    bars: Mapping[str, Bars]
    params: ExecutionParams
    stops: Stops | None
    notes: tuple[str, ...] = ()

    def frames(self) -> dict[str, pd.DataFrame]:
        return {symbol: self.bars[symbol].frame for symbol in self.params.symbols}


def bounded_notes(result: SandboxResult) -> list[str]:
    """Warnings for what the sandbox left out of a large run's result (`harness/extract.py`)."""
    notes = []
    kept, total = len(result.equity), result.points_total or 0
    if total > kept:
        notes.append(
            f"The equity curve has {total:,} bars; the sandbox handed back {kept:,} of them (every "
            f"{-(-total // kept):,}th bar, the first, the last and the deepest drawdown's peak and trough; "
            "SANDBOX_MAX_RESULT_POINTS): total return and max drawdown are exact, ratios from bar returns "
            "(Sharpe, Sortino, volatility, beta) are computed on the thinned curve, and the CSV holds "
            f"those {kept:,} points."
        )
    kept, total = len(result.trades), result.trades_total or 0
    if total > kept:
        notes.append(
            f"The run made {total:,} trades; only the first {kept:,} were kept ({total - kept:,} left out, "
            "SANDBOX_MAX_RESULT_TRADES): the trade list and the trade statistics (win rate, profit factor, "
            "averages, exposure) cover those only."
        )
    return notes


def reduce_backtest(result: SandboxResult, inputs: ReduceInputs) -> BacktestResults:
    params = inputs.params
    return build_results(
        equity=result.equity,
        trades=result.trades,
        benchmark_close=inputs.bars[params.benchmark_symbol].frame["close"],  # aligned: from start_date
        params=params,
        stops=inputs.stops,
        signals=result.signals,
        bars_by_symbol=inputs.frames(),
        notes=[*inputs.notes, *bounded_notes(result)],
    )


REDUCERS: dict[ExecutionKind, Reducer] = {ExecutionKind.backtest: reduce_backtest}


async def execute(script: Script, job: Job, ctx: RunContext) -> Backtest:
    events = ctx.events
    await events.stage(ExecutionStatus.executing, "Executor: loading data and running the backtest")
    params = job.params
    spec = script.spec
    bars = await _load_bars(job, spec, ctx)
    notes: list[str] = []
    if spec is not None:
        for symbol in params.symbols:
            bars[symbol].check_enough(spec.longest_window())
        notes = warmup_notes(spec, {symbol: bars[symbol].frame["close"] for symbol in params.symbols})
        for note in notes:
            await events.log(f"Executor: {note}")
    data_files = {symbol: bars[symbol].parquet_path for symbol in params.symbols}
    while True:
        ctx.check_cancel()
        try:
            # The look-ahead check: one cut for generated code, three for code the user edited
            cuts = (0.25, 0.5, 0.75) if script.edited else (0.5,)
            result = await ctx.sandbox.run(script.code, data_files, cancel=ctx.cancel, bias_cuts=cuts)
            break
        except CodeRaised as exc:
            await events.log(f"Executor: the code raised: {exc.message}")
            problem = f"The script raised: {exc.message}\n{exc.fields.get('traceback_tail', '')}"
            repaired = await repair(script, problem, ctx)
            if repaired is None or validate_code(repaired.code):
                raise
            script = repaired
    await events.log(
        f"Executor: backtest ran in {result.duration_s:.2f} s "
        f"({result.signals.entries} entries, {result.signals.exits} exits)",
        Milestone.backtest_ran,
    )
    bias = BiasCheck.model_validate(result.bias_check) if result.bias_check is not None else None
    if bias is not None and bias.passed is False and bias.message:
        notes.append(bias.message)  # a warning on the result, naming the first bar that changed
        await events.log(f"Executor: {bias.message}")
    inputs = ReduceInputs(bars, params, spec.stops() if spec is not None else None, tuple(notes))
    # pandas work of ~50-250 ms: off the event loop, which also serves requests and other runs
    results = await asyncio.to_thread(REDUCERS[job.kind], result, inputs)
    headline_figures = results.metrics.model_dump(include=set(HEADLINE_METRICS))
    await events.log(f"Executor: {headline(headline_figures)}", Milestone.results_ready)
    return Backtest(
        results=results,
        script=script,
        data={symbol: DataSource(b.source, b.content_hash) for symbol, b in bars.items()},
        library_versions=dict(result.library_versions),
        bias_check=bias,
    )


async def _load_bars(job: Job, spec: StrategySpec | None, ctx: RunContext) -> dict[str, Bars]:
    """Each symbol's bars and the benchmark's; bars before the start date feed the indicators' warm-up (the
    generated code keeps `history_bars(spec)` of them)."""
    params = job.params
    first_day = history_start(spec) if spec is not None else params.start_date
    bars: dict[str, Bars] = {}
    for symbol in dict.fromkeys([*params.symbols, params.benchmark_symbol]):
        ctx.check_cancel()
        loaded = await _load_with_history(job, symbol, first_day, ctx)
        bars[symbol] = loaded
        in_window = _bars_in_window(loaded.frame, params.start_date, symbol)
        before = len(loaded.frame) - in_window
        warm = f" (+{before} before {params.start_date} for the indicators' warm-up)" if before else ""
        await ctx.events.log(f"Executor: {symbol}: {in_window} bars from {loaded.source}{warm}")
        for note in loaded.notes:
            await ctx.events.log(f"Executor: {symbol}: {note}")
    return bars


async def _load_with_history(job: Job, symbol: str, first_day: date, ctx: RunContext) -> Bars:
    """Bars from ``first_day``; if the provider has none that early (Yahoo keeps ~2 years of hourly bars),
    bars from the start date, and the warm-up happens inside the window (the warnings then say so)."""
    params, user = job.params, job.user_id
    try:
        return await ctx.market_data.load(symbol, params.timeframe, first_day, params.end_date, user)
    except DataUnavailable as exc:
        if first_day >= params.start_date:
            raise
        await ctx.events.log(
            f"Executor: {symbol}: no bars before {params.start_date} for the warm-up ({exc.message})"
        )
    return await ctx.market_data.load(
        symbol, params.timeframe, params.start_date, params.end_date, job.user_id
    )


def _bars_in_window(frame: pd.DataFrame, start: date, symbol: str) -> int:
    """Bars on or after ``start`` (the rest only warm the indicators up); none is an error, not a run."""
    count = int((frame.index >= pd.Timestamp(start, tz="UTC")).sum())
    if count == 0:
        raise DataUnavailable("market data", f"no bars on or after {start}", symbol=symbol)
    return count
