"""The in-sandbox side: a warm zygote that forks one single-use child per run.

This file runs INSIDE the sandbox under `python -I -S`, so it imports only the standard library at module
level (numpy, pandas and vectorbt are imported by the warm-up). The host starts it as

    python -I -S harness.py '<json config>'

with a SOCK_SEQPACKET control socket on `config["control_fd"]`. Protocol (one JSON object per message):

    host -> zygote  {"op": "run", "id": "r1", "symbols": ["SPY"]}   fds: [code, stdout, stderr, result, *data]
                    {"op": "kill", "id": "r1"}                     {"op": "exit"}
    zygote -> host  {"ev": "ready", "versions": {...}, "warm_s": 9.1}
                    {"ev": "done", "id": "r1", "status": 0, "signal": null, "cpu_s": 0.2, "killed": false}

The zygote runs as uid 0 of the sandbox with only CAP_SETUID/CAP_SETGID; it never runs untrusted code. Each
child reads its bars (as root, from the sealed memfds the host sent), closes every inherited fd, sets its
rlimits, drops to the slot uid and only then compiles the script. After a run, a reaper process that switches
to the slot uid sends SIGKILL to every process that uid owns (`kill(-1)` is scoped to the sandbox's PID
namespace, so it also catches `setsid()` double-forks), removes its files and SysV IPC objects.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import json
import os
import resource
import select
import shutil
import signal
import socket
import sys
import time
import traceback
from typing import Any

MAX_FDS_PER_MESSAGE = 250
PRETOUCH_ROWS = 2600


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


# ----------------------------------------------------------------------------------------------- zygote


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.send(json.dumps(message).encode())


def _warm_scripts(scripts: list[str], rows: int | None = None) -> None:
    """Run the host's representative scripts on synthetic bars (all of 2000-2030, or its first `rows`) so
    their exact kernels are compiled here."""
    import numpy as np
    import pandas as pd

    index = pd.date_range("2000-01-01", "2030-12-31", freq="D", tz="UTC")
    if rows is not None:
        index = index[:rows]
    rng = np.random.default_rng(1)
    close = 100 * np.cumprod(1 + rng.normal(0.0003, 0.012, len(index)))
    bars = pd.DataFrame(
        {"Open": close * 0.999, "High": close * 1.01, "Low": close * 0.99, "Close": close, "Volume": 1e6},
        index=index,
    )
    for number, script in enumerate(scripts, start=1):
        report = _run_script(script, {"WARM_A": bars, "WARM_B": bars * 1.1}, ["WARM_A", "WARM_B"])
        if "error" in report:
            raise RuntimeError(f"warm-up script {number} failed: {report['error']['message']}")


def _warm() -> dict[str, str]:
    """Import the stack and run a tiny backtest touching the kernels a generated strategy uses."""
    import warnings

    warnings.filterwarnings("ignore")
    import numba
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    speed_up_shape_checks()
    cache_signal_simulator()

    index = pd.date_range("2020-01-01", periods=400, freq="D", tz="UTC")
    rng = np.random.default_rng(0)
    close = pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.01, len(index))), index=index)
    frame = pd.DataFrame({"a": close, "b": close * 1.1})
    for data in (close, frame):
        fast, slow = vbt.MA.run(data, 10), vbt.MA.run(data, 30, ewm=True)
        rsi = vbt.RSI.run(data, 14)
        bb = vbt.BBANDS.run(data, 20)
        vbt.MACD.run(data)
        vbt.ATR.run(data * 1.01, data * 0.99, data, 14)
        if isinstance(data, pd.Series):
            entries = fast.ma_crossed_above(slow) | (rsi.rsi < 30) | bb.close_below(bb.lower)
            exits = fast.ma_crossed_below(slow) | (rsi.rsi > 70)
        else:  # indicator outputs carry parameter levels in their columns; signals must match `data`
            entries = data.vbt.crossed_above(data.rolling(20).mean())
            exits = data.vbt.crossed_below(data.rolling(20).mean())
        # The host's warm-up scripts (the compiler's own output) cover from_signals with its real
        # signatures; this plain call covers hand-edited code that passes no open/high/low.
        kwargs: dict[str, Any] = {"fees": 0.001, "slippage": 0.001, "init_cash": 10_000, "freq": "1D"}
        if isinstance(data, pd.DataFrame):
            kwargs.update(cash_sharing=True, group_by=True, size=0.5, size_type="percent")
        pf = vbt.Portfolio.from_signals(data, entries, exits, sl_stop=0.05, tp_stop=0.1, **kwargs)
        pf.value()
        pf.trades.records_readable  # noqa: B018
    return {
        "vectorbt": vbt.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "numba": numba.__version__,
    }


def cache_signal_simulator() -> None:
    """vectorbt jits `simulate_from_signals_nb` without numba's on-disk cache (the function takes the
    stop-adjusting callbacks as arguments), so every zygote compiled it again: ~4 s per argument signature,
    five signatures, about 20 of a zygote's 25 s start on a 2-core machine. Its only caller,
    `portfolio.dispatch.simulate_from_signals`, passes none of the callbacks (the callback path is another
    function), so the argument types are the same in every process and the cached build is the same code."""
    import numba
    from vectorbt.portfolio import nb

    if getattr(nb.simulate_from_signals_nb, "disk_cached", False):
        return
    cached = numba.njit(cache=True)(nb.simulate_from_signals_nb.py_func)
    cached.disk_cached = True  # type: ignore[attr-defined]
    nb.simulate_from_signals_nb = cached


def speed_up_shape_checks() -> None:
    """vectorbt checks an output's length against its index with `np.asarray(index)`: for a tz-aware
    DatetimeIndex that builds an object array of Timestamps, ~4 ms per 2,500 bars and several times per
    `portfolio.value()` (half its time). The same check on a zero-copy stand-in of the index's shape."""
    import numpy as np
    import pandas as pd
    from vectorbt.utils import checks

    original = checks.assert_shape_equal
    if getattr(original, "shape_only", False):
        return

    def stand_in(arg: Any) -> Any:
        return np.broadcast_to(np.False_, arg.shape) if isinstance(arg, pd.Index) else arg

    def assert_shape_equal(arg1: Any, arg2: Any, axis: Any = None) -> None:
        original(stand_in(arg1), stand_in(arg2), axis)

    assert_shape_equal.shape_only = True  # type: ignore[attr-defined]
    checks.assert_shape_equal = assert_shape_equal


def _drop_to(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def _uid_processes(uid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
            if int(fields["Uid"].split()[0]) == uid and not fields["State"].strip().startswith("Z"):
                found.append(int(entry))
    return found


def _remove_ipc(uid: int) -> None:
    """Remove SysV IPC objects the slot uid created (they would outlive the run inside this IPC namespace)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    ipc_rmid = 0
    for kind, fn in (("shm", libc.shmctl), ("msg", libc.msgctl), ("sem", libc.semctl)):
        with contextlib.suppress(OSError), open(f"/proc/sysvipc/{kind}") as fh:
            header = fh.readline().split()
            for line in fh:
                row = dict(zip(header, line.split(), strict=False))
                if int(row.get("uid", -1)) == uid:
                    if kind == "sem":
                        fn(int(row["semid"]), 0, ipc_rmid)
                    else:
                        fn(int(row["shmid" if kind == "shm" else "msqid"]), ipc_rmid, None)


def _reap(config: dict[str, Any], child: int) -> bool:
    """Kill every process the run left and remove its files; True if any process outlived the child.

    With per-slot uids the reaper switches to the slot uid and calls kill(-1): that reaches every process of
    the uid in this PID namespace, including `setsid()` double-forks. Without a uid drop (the unsandboxed
    fallback) only the run's process group can be killed.
    """
    uid = int(config["uid"])
    by_uid = bool(config.get("drop_uid", True))
    had = bool(_uid_processes(uid)) if by_uid else False
    for _ in range(20):
        reaper = os.fork()
        if reaper == 0:
            try:
                if by_uid:
                    _drop_to(uid)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(-1, signal.SIGKILL)
                    _remove_ipc(uid)
                else:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(child, signal.SIGKILL)
                for entry in os.listdir(config["runs_dir"]):
                    shutil.rmtree(os.path.join(config["runs_dir"], entry), ignore_errors=True)
            finally:
                os._exit(0)
        os.waitpid(reaper, 0)
        if not by_uid or not _uid_processes(uid):
            break
        time.sleep(0.01)
    return had


def _pretouch(config: dict[str, Any]) -> None:
    """Run the first warm-up script (trusted: the host's compiler output) on ~10 years of daily bars.

    A fresh fork shares every page with the zygote, so a run's first writes to the warm heap (reference
    counts, allocator arenas, numba's dispatch caches) each copy a page: ~15 ms of a 35 ms backtest. A spare
    pays them while it waits; what it keeps is the zygote's state after one more of its own warm-up runs.
    """
    scripts = config.get("warmup_scripts") or []
    if config.get("pretouch", True) and scripts:
        with contextlib.suppress(Exception):  # a spare that could not pre-touch still serves its run
            _warm_scripts(scripts[:1], rows=PRETOUCH_ROWS)


class _Spare:
    """A child forked from the pristine zygote ahead of its run, waiting for the run's message and fds.

    Forking the ~1 GB warm zygote costs ~15 ms of page-table copying; a spare pays it while the slot is idle
    (right after the previous run), so a run starts at once. It is still one fresh process per run: each
    spare is forked from the zygote, never from an earlier run, and serves exactly one run.
    """

    def __init__(self, config: dict[str, Any], sock: socket.socket) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            try:
                mine.close()
                _pretouch(config)
                raw, fds, _flags, _addr = socket.recv_fds(theirs, 1 << 16, MAX_FDS_PER_MESSAGE)
                theirs.close()
                if raw:  # nothing (EOF): the zygote discarded this spare or is exiting
                    _child(json.loads(raw), fds, config, sock)
            finally:
                os._exit(70)
        theirs.close()
        self.sock = mine

    def hand_over(self, message_bytes: bytes, fds: list[int]) -> int | None:
        """Give the run to this spare: its pid, or None if the spare is gone (then fork as usual)."""
        try:
            socket.send_fds(self.sock, [message_bytes], fds)
            return self.pid
        except OSError:
            self.discard()
            return None
        finally:
            self.sock.close()

    def discard(self) -> None:
        self.sock.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _start_run(
    message: dict[str, Any],
    raw: bytes,
    fds: list[int],
    config: dict[str, Any],
    spare: _Spare | None,
    sock: socket.socket,
) -> tuple[int, bool]:
    """The run's process: the spare if there is one, else a fresh fork. Returns (pid, preforked)."""
    if spare is not None:
        pid = spare.hand_over(raw, fds)
        if pid is not None:
            return pid, True
    pid = os.fork()
    if pid == 0:
        try:
            _child(message, fds, config, sock)
        finally:
            os._exit(70)
    return pid, False


def _serve(sock: socket.socket, config: dict[str, Any]) -> None:
    spare = _Spare(config, sock) if config.get("prefork", True) else None
    while True:
        message_bytes, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, MAX_FDS_PER_MESSAGE)
        message = json.loads(message_bytes) if message_bytes else {"op": "exit"}
        if message["op"] == "exit":
            if spare is not None:
                spare.discard()
            return
        if message["op"] != "run":
            for fd in fds:
                os.close(fd)
            continue
        started = time.monotonic()
        pid, preforked = _start_run(message, message_bytes, fds, config, spare, sock)
        spare = None
        for fd in fds:
            os.close(fd)
        killed = _supervise(sock, message["id"], pid)
        if killed:
            _reap(config, pid)
        _, status, rusage = os.wait4(pid, 0)
        # Processes that outlived the run are killed before "done" is sent. When there are none (the usual
        # case), "done" goes first and the run's files are removed right after: this loop reads the next
        # run only once that removal is finished, so no run ever sees another's files.
        stray = not config.get("drop_uid", True) or bool(_uid_processes(int(config["uid"])))
        leftovers = _reap(config, pid) if stray else False
        _send(
            sock,
            {
                "ev": "done",
                "id": message["id"],
                "status": os.waitstatus_to_exitcode(status),
                "cpu_s": rusage.ru_utime + rusage.ru_stime,
                "maxrss_kb": rusage.ru_maxrss,
                "killed": killed,
                "leftovers": leftovers,
                "wall_s": time.monotonic() - started,
                "preforked": preforked,
            },
        )
        if not stray:
            _reap(config, pid)
        if config.get("prefork", True):
            spare = _Spare(config, sock)


def _supervise(sock: socket.socket, run_id: str, pid: int) -> bool:
    """Wait for the child to end or for a kill order; True if it was killed on order."""
    pidfd = os.pidfd_open(pid)
    try:
        while True:
            ready, _, _ = select.select([sock.fileno(), pidfd], [], [])
            if pidfd in ready:
                return False
            raw, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, MAX_FDS_PER_MESSAGE)
            for fd in fds:
                os.close(fd)
            if not raw:
                raise SystemExit(0)
            order = json.loads(raw)
            if order.get("op") == "kill" and order.get("id") == run_id:
                return True
            if order.get("op") == "exit":
                raise SystemExit(0)
    finally:
        os.close(pidfd)


def zygote_main(config: dict[str, Any]) -> None:
    sock = socket.socket(fileno=int(config["control_fd"]))
    for path in config["site_packages"]:
        sys.path.append(path)
    os.umask(0o022)
    os.makedirs(config["runs_dir"], exist_ok=True)
    os.chmod(config["runs_dir"], 0o1777)
    started = time.monotonic()
    try:
        versions = _warm()
        _warm_scripts(list(config.get("warmup_scripts", [])))
    except BaseException as exc:
        _send(sock, {"ev": "error", "message": f"warm-up failed: {exc!r}"[:2000]})
        raise
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # Move the warm heap out of the collector's sight: otherwise every child's first collections walk (and
    # copy-on-write touch) hundreds of MB of numba/LLVM objects, costing ~0.5 s per run.
    gc.collect()
    gc.freeze()
    _send(
        sock, {"ev": "ready", "versions": versions, "warm_s": time.monotonic() - started, "pid": os.getpid()}
    )
    _serve(sock, config)


# ------------------------------------------------------------------------------------------------ child


def _child(message: dict[str, Any], fds: list[int], config: dict[str, Any], sock: socket.socket) -> None:
    code_fd, out_fd, err_fd, result_fd, *data_fds = fds
    os.setsid()
    sock.detach()
    with os.fdopen(code_fd, "rb") as fh:
        source = fh.read().decode("utf-8")
    frames = _read_frames(message["symbols"], data_fds)
    # Order matters: a received fd may itself be 3, so copy stdout/stderr before fd 3 is overwritten.
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    os.dup2(result_fd, 3)
    os.closerange(4, 1 << 16)
    # Line-buffered so the last lines before a kill reach the parent (they explain timeouts).
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    result_out = os.fdopen(3, "wb")
    _limit(config)
    uid = int(config["uid"])
    if config.get("drop_uid", True):
        _drop_to(uid)
    run_dir = os.path.join(config["runs_dir"], message["id"])
    os.mkdir(run_dir, 0o700)
    os.chdir(run_dir)
    os.environ.update(HOME=run_dir, TMPDIR=run_dir)
    _disable_numba_cache_io()
    report = _run_script(source, frames, message["symbols"])
    sys.stdout.flush()
    sys.stderr.flush()
    result_out.write(json.dumps(report, allow_nan=True).encode())
    result_out.close()
    os._exit(0)


def _read_frames(symbols: list[str], fds: list[int]) -> dict[str, Any]:
    frames = {}
    for symbol, fd in zip(symbols, fds, strict=True):
        with os.fdopen(fd, "rb") as fh:
            frames[symbol] = decode_bars(fh.read())
    return frames


# The bars a run reads, as the host sends them: one JSON header line, zero padding to a multiple of 8, then
# the int64 index (ns since the epoch, UTC) and each column's values, raw little-endian arrays. Decoding is
# a few `np.frombuffer` calls: a Parquet read in a fresh child costs ~50 ms (reader set-up, thread pools).
BAR_COLUMNS = ("Open", "High", "Low", "Close", "Volume")


def encode_bars(frame: Any) -> bytes:
    """OHLCV bars (columns open/high/low/close/volume, any case; a DatetimeIndex) in the wire format."""
    import numpy as np
    import pandas as pd

    by_name = {str(c).capitalize(): c for c in frame.columns}
    missing = [c for c in BAR_COLUMNS if c not in by_name]
    if missing:
        raise ValueError(f"the bars have no {', '.join(missing)} column(s)")
    index = pd.DatetimeIndex(frame.index)
    arrays = [np.ascontiguousarray(frame[by_name[c]].to_numpy(dtype="float64")) for c in BAR_COLUMNS]
    stamps = index.as_unit("ns").asi8.astype("<i8")  # UTC for an aware index
    header = json.dumps(
        {
            "rows": len(index),
            "tz": None if index.tz is None else str(index.tz),
            "unit": index.unit,
            "name": index.name,
            "columns": list(BAR_COLUMNS),
        }
    ).encode()
    header += b"\n"
    header += b"\0" * (-len(header) % 8)
    return b"".join([header, stamps.tobytes(), *(a.astype("<f8").tobytes() for a in arrays)])


def decode_bars(buf: bytes) -> Any:
    import numpy as np
    import pandas as pd

    end = buf.index(b"\n")
    header = json.loads(buf[:end])
    rows, offset = int(header["rows"]), end + 1 + (-(end + 1) % 8)
    if len(buf) != offset + 8 * rows * (1 + len(header["columns"])):
        raise ValueError("truncated bars")
    stamps = np.frombuffer(buf, "<i8", rows, offset)
    index = pd.DatetimeIndex(stamps.astype("datetime64[ns]"), name=header["name"]).as_unit(header["unit"])
    if header["tz"] is not None:
        index = index.tz_localize("UTC").tz_convert(header["tz"])
    columns = {
        name: np.frombuffer(buf, "<f8", rows, offset + 8 * rows * (i + 1)).copy()
        for i, name in enumerate(header["columns"])
    }
    return pd.DataFrame(columns, index=index)


def _limit(config: dict[str, Any]) -> None:
    limits = {
        resource.RLIMIT_CPU: (config["cpu_s"], config["cpu_s"] + 1),
        resource.RLIMIT_AS: (config["as_bytes"],) * 2,
        resource.RLIMIT_NPROC: (config["nproc"],) * 2,
        resource.RLIMIT_FSIZE: (config["fsize_bytes"],) * 2,
        resource.RLIMIT_NOFILE: (config["nofile"],) * 2,
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_MSGQUEUE: (0, 0),
    }
    for kind, (soft, hard) in limits.items():
        resource.setrlimit(kind, (soft, hard))


def _disable_numba_cache_io() -> None:
    """Runs never read or write the shared numba cache (it is not writable by the slot uid anyway)."""
    from numba.core import caching

    caching.Cache.save_overload = lambda self, sig, data: None  # type: ignore[method-assign]
    caching.Cache.load_overload = lambda self, sig, target_context: None  # type: ignore[method-assign]


def _run_script(source: str, frames: dict[str, Any], symbols: list[str]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "strategy", "__builtins__": __builtins__}

    def load_data(symbol: str) -> Any:
        if symbol not in frames:
            raise KeyError(f"no data for symbol {symbol!r}; available: {sorted(frames)}")
        return frames[symbol].copy()

    namespace["load_data"] = load_data
    try:
        code = compile(strip_stub(ast.parse(source, "<strategy>")), "<strategy>", "exec")
        exec(code, namespace)
        return {"ok": _extract(namespace, symbols)}
    except BaseException as exc:
        return {"error": _describe(exc)}


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


def _extract(namespace: dict[str, Any], symbols: list[str]) -> dict[str, Any]:
    """The portfolio's equity curve, round trips and signal counts, read from vectorbt's record arrays
    (`records_readable` builds a labelled DataFrame first: ~10x slower for the same values)."""
    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    portfolio = namespace.get("portfolio")
    if not isinstance(portfolio, vbt.Portfolio):
        raise TypeError(
            "the script must leave a module-level `portfolio` that is a vbt.Portfolio, "
            f"got {type(portfolio).__name__}"
        )
    value = portfolio.value()
    if isinstance(value, pd.DataFrame):
        value = value.sum(axis=1)
    equity = list(zip(iso_times(value.index), value.to_numpy(dtype="float64").tolist(), strict=True))

    round_trips = portfolio.trades
    stamps = iso_times(round_trips.wrapper.index)
    columns = [str(c) for c in round_trips.wrapper.columns]
    trades = []
    for row in round_trips.values.tolist():  # tuples in trade_dt's field order, as plain Python numbers
        (_id, col, size, entry_idx, entry_price, entry_fees, exit_idx, exit_price, exit_fees,
         pnl, ret, direction, status, _parent) = row  # fmt: skip
        is_open = status == 0  # TradeStatus.Open
        column = columns[col]
        trades.append(
            {
                "symbol": column if column in symbols or len(symbols) != 1 else symbols[0],
                "entry_time": stamps[entry_idx],
                "exit_time": None if is_open else stamps[exit_idx],
                "entry_price": entry_price,
                "exit_price": None if is_open else exit_price,
                "size": size,
                "pnl": pnl,
                "return_pct": ret * 100.0,
                "fees": entry_fees + exit_fees,
                "status": "open" if is_open else "closed",
                "direction": "long" if direction == 0 else "short",  # TradeDirection.Long == 0
            }
        )
    signals = {}
    for name in ("entries", "exits"):
        try:
            signals[name] = int(np.asarray(namespace.get(name, False), dtype=bool).sum())
        except (TypeError, ValueError):
            signals[name] = 0
    return {"equity": equity, "trades": trades, "signals": signals}


def iso_times(index: Any) -> list[str]:
    """``[pd.Timestamp(t).isoformat() for t in index]`` without a Timestamp per bar (the common cases)."""
    import numpy as np
    import pandas as pd

    if isinstance(index, pd.DatetimeIndex) and str(index.tz) in ("UTC", "None"):
        naive = index.tz_localize(None) if index.tz is not None else index
        stamps = naive.to_numpy(dtype="datetime64[ns]")
        if not (stamps.astype("int64") % 1_000_000_000).any():  # whole seconds: isoformat prints none
            suffix = "+00:00" if index.tz is not None else ""
            return [text + suffix for text in np.datetime_as_string(stamps, unit="s").tolist()]
    return [pd.Timestamp(t).isoformat() for t in index]


if __name__ == "__main__":
    zygote_main(json.loads(sys.argv[1]))
