"""The policy's hand-written tables: what is refused by name whatever it is attached to, which builtins and
modules strategy code may use, and which classes' public attributes make up the allowed attribute list.

The allowlist itself (policy_allowlist.json: every module's allowed names, every allowed attribute of a
value) is generated from these by `python -m scripts.policy_tables` against the pinned libraries, and a test
checks that the committed file matches; see policy_allowlist.py.
"""

from __future__ import annotations

# Builtins strategy code may name; every other builtin (`open`, `eval`, `getattr`, `vars`, `globals`,
# `breakpoint`, `memoryview`, `exit`, ...) is refused wherever it appears.
ALLOWED_BUILTINS = frozenset(
    {
        "abs", "all", "any", "ascii", "bin", "bool", "bytearray", "bytes", "callable", "chr", "classmethod",
        "complex", "dict", "divmod", "enumerate", "filter", "float", "format", "frozenset", "hasattr",
        "hash", "hex", "id", "int", "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min",
        "next", "object", "oct", "ord", "pow", "print", "property", "range", "repr", "reversed", "round",
        "set", "slice", "sorted", "staticmethod", "str", "sum", "super", "tuple", "type", "zip", "True",
        "False", "None",
        "NotImplemented", "Ellipsis",
        # Exceptions: raising and catching them reaches nothing.
        "ArithmeticError", "AssertionError", "AttributeError", "Exception", "IndexError", "KeyError",
        "LookupError", "NotImplementedError", "OverflowError", "RuntimeError", "StopIteration",
        "TypeError", "ValueError", "ZeroDivisionError", "FloatingPointError", "UserWarning", "Warning",
        "RuntimeWarning", "DeprecationWarning", "FutureWarning",
    }
)  # fmt: skip

# Annotations only: no get_type_hints (it evaluates string annotations), no ForwardRef, no internals.
TYPING_NAMES = frozenset(
    {
        "Any", "Callable", "Dict", "Final", "FrozenSet", "Iterable", "Iterator", "List", "Literal", "Mapping",
        "NamedTuple", "Optional", "Sequence", "Set", "Tuple", "TypeVar", "Union", "cast",
    }
)  # fmt: skip

# Indicators, the portfolio and its records, and the few helpers the generated code uses. Not vectorbt's
# factories (IndicatorFactory/SignalFactory compile code from their argument strings), templates (RepEval
# evaluates a string), settings, data downloaders, messaging, plotting or scheduling.
VECTORBT_NAMES = frozenset(
    {
        "ATR", "BBANDS", "MA", "MACD", "MSTD", "OBV", "RSI", "STOCH", "FMAX", "FMEAN", "FMIN", "FSTD",
        "BOLB", "FIXLB", "LEXLB", "MEANLB", "TRENDLB", "RAND", "RANDNX", "RANDX", "RPROB", "RPROBCX",
        "RPROBNX", "RPROBX", "STX", "STCX", "OHLCSTX", "OHLCSTCX", "ArrayWrapper", "Portfolio",
        "Drawdowns", "EntryTrades", "ExitTrades", "Trades", "Positions", "Orders", "Logs", "Records",
        "MappedArray", "Ranges", "RangeSplitter", "RollingSplitter", "ExpandingSplitter", "GBMData",
        "SyntheticData", "symbol_dict", "merge_dicts", "set_seed", "portfolio",
    }
)  # fmt: skip

# The sweep kernel (app/services/research/kernel), our own code, preloaded by the zygote: a sweep's generated
# script imports these from it.
RESEARCH_NAMES = frozenset(
    {
        "Grid", "Market", "SweepPlan", "WalkForward", "run_sweep", "block_size", "by_value", "per_column",
        "periods_per_year", "pick", "rows", "widen", "crossed_above", "crossed_below", "Constraint",
        "IndicatorTable", "OBJECTIVES", "METRIC_NAMES",
    }
)  # fmt: skip

# Modules a script may reach, by the path it reaches them with (`pd.offsets` is pandas' tseries.offsets).
# "*" takes the module's public names minus the refused ones and minus modules (only the paths listed here
# are modules a script may reach); a set is taken as written (and must pass the refusals too).
MODULES: dict[str, str | frozenset[str]] = {
    "numpy": "*",
    "numpy.random": "*",
    "numpy.linalg": "*",
    "numpy.fft": "*",
    "pandas": "*",
    "pandas.offsets": "*",
    "math": "*",
    "json": "*",  # what is left once loads/dumps are refused: the decoder/encoder classes and the error
    "datetime": frozenset({"date", "datetime", "time", "timedelta", "timezone", "MINYEAR", "MAXYEAR", "UTC"}),
    "typing": TYPING_NAMES,
    "__future__": frozenset({"annotations"}),
    "vectorbt": VECTORBT_NAMES,
    "vectorbt.portfolio": frozenset({"enums"}),
    "vectorbt.portfolio.enums": "*",
    "stratcrew_research": RESEARCH_NAMES,
}

# Module paths a script may `import` (the rest of MODULES is reached through these).
IMPORTABLE = frozenset(
    {"numpy", "pandas", "vectorbt", "math", "datetime", "json", "typing", "__future__", "stratcrew_research"}
)

# Pickle-style loaders and savers (numpy, pandas and vectorbt's `load`/`save` unpickle or write files).
PICKLE_NAMES = frozenset(
    {"load", "loads", "read_pickle", "allow_pickle", "to_pickle", "dump", "dumps", "Pickler"}
)

# `to_*` methods that only convert in memory; any other `to_*` may write a file (`to_csv`, `to_string(buf=)`).
SAFE_TO = frozenset(
    {
        "to_numpy", "to_list", "to_dict", "to_frame", "to_series", "to_period", "to_timestamp",
        "to_datetime", "to_timedelta", "to_numeric", "to_offset", "to_pydatetime", "to_records",
        "to_flat_index", "to_tuples", "to_julian_date", "to_datetime64", "to_timedelta64",
        "to_pytimedelta",
    }
)  # fmt: skip

FILE_NAMES = frozenset(
    {
        "save", "savez", "savez_compressed", "savetxt", "tofile", "fromfile", "memmap", "genfromtxt",
        "loadtxt", "fromregex", "DataSource", "savefig", "ExcelWriter", "HDFStore", "recfromcsv",
        "recfromtxt", "open_memmap",
    }
)  # fmt: skip

NETWORK_NAMES = frozenset(
    {"download", "urlopen", "TelegramBot", "messaging", "requests", "urllib", "socket", "http"}
)

# Refused whatever they are attached to (and whatever a script's own classes call them): modules and
# interpreter internals, things that evaluate or import by a string (pandas' eval/query, vectorbt's stats
# tags and calc_func, templates, factories, plotting back ends), and frames/code objects.
FORBIDDEN_ATTRIBUTES = frozenset(
    {
        "os", "sys", "subprocess", "builtins", "bltns", "importlib", "shutil", "pathlib", "Path", "ctypes",
        "ctypeslib", "pickle", "marshal", "io", "tempfile", "glob", "signal", "threading",
        "multiprocessing", "gc", "inspect", "types", "operator", "functools", "runpy", "platform",
        "resource", "mmap", "fcntl", "posix", "dill", "cloudpickle", "joblib", "f2py", "testing", "test",
        "extbuild", "distutils", "numba", "nb", "jit", "njit", "eval", "query", "format_map", "attr_",
        "get_dict_attr", "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "f_globals",
        "f_locals", "f_builtins", "f_back", "f_code", "tb_frame", "tb_next", "co_code", "func_globals",
        "add_newdoc", "add_docstring", "lookfor", "source", "show_config", "show_runtime", "get_include",
        "show_versions", "RepEval", "RepFunc", "Rep", "Sub", "deep_substitute", "IndicatorFactory",
        "SignalFactory", "settings", "metrics", "subplots", "tags", "calc_func", "template_mapping",
        "resolve_attr", "resolve_self", "import_submodules", "config", "Config", "AtomicConfig",
        "Configured", "style", "backend", "stdlib_re", "codecs", "decoder", "encoder", "scanner", "re",
        "enum", "collections", "abc", "warnings", "weakref", "copyreg", "mro", "register",
    }
)  # fmt: skip

# Calls whose string arguments pandas resolves as method names on the object (`s.agg("to_pickle", path)`).
BY_NAME_CALLS = frozenset({"agg", "aggregate", "apply", "transform", "pipe", "map", "applymap"})

# vectorbt's stats/plots: keyword arguments other than these (metrics, tags, settings...) can carry
# expressions it evaluates.
STATS_CALLS = frozenset({"stats", "returns_stats", "plots"})
STATS_KEYWORDS = frozenset({"column", "group_by", "agg_func", "silence_warnings"})

# Column names the data frames carry, used as attributes (`data.Close`).
COLUMN_ATTRIBUTES = frozenset({"Open", "High", "Low", "Close", "Volume", "Adj_Close"})


def refusal(name: str) -> tuple[str, str] | None:
    """(rule, message) when `name` is refused as an attribute, imported or keyword name, else None."""
    if name.startswith("_"):
        return "private_name", f"attribute `{name}`: names starting with `_` are not allowed"
    if name in PICKLE_NAMES or (name.startswith(("load", "dump")) and name != "load_data"):
        return "pickle", f"`{name}` loads or dumps pickles or files; use the provided load_data"
    if name.startswith("read_") or name in FILE_NAMES or name.startswith(("write_", "save")):
        return "file_io", f"`{name}` reads or writes files; the sandbox provides load_data(symbol)"
    if name.startswith("to_") and name not in SAFE_TO:
        return "file_io", f"`{name}` may write a file; keep results in the `portfolio` variable"
    if name in NETWORK_NAMES:
        return "network", f"`{name}` reaches the network; market data is provided read-only"
    if name.startswith("plot") or name in ("make_figure", "make_subplots", "Figure", "FigureWidget"):
        return "plotting", f"`{name}`: runs draw no plots; results come from the `portfolio` variable"
    if name in FORBIDDEN_ATTRIBUTES or "getattr" in name or "setattr" in name:
        return "forbidden_attribute", f"attribute `{name}` is not allowed"
    return None
