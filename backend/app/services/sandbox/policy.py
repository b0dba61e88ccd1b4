"""The AST policy: a fast filter that turns obviously unsafe code into clear, located errors.

The script's top-level `def load_data` stub and `import yfinance` lines are removed before the check, as
the harness removes them before running. It is not the wall (the OS sandbox is); it exists so an author
sees "line 4: `open` is not allowed" rather than a permission error from deep inside the sandbox. It reads
the parsed tree, so text tricks do not hide a name: Python NFKC-normalises identifiers while parsing
(full-width letters become ASCII, so a full-width `eval` is `eval`), and f-string expressions are parsed
like any other expression.

>>> [v.rule for v in validate_code("import os\\nx = (1).__class__")]
['import', 'private_name']
>>> validate_code("import numpy as np\\nx = np.arange(3)")
[]
"""

from __future__ import annotations

import ast
import re
import unicodedata

from pydantic import BaseModel, ConfigDict

from app.services.sandbox.harness.script import strip_stub

ALLOWED_MODULES = frozenset(
    {
        "vectorbt", "pandas", "numpy", "math", "datetime", "json", "typing", "__future__",
        # The sweep kernel (app/services/research/kernel), our own code, preloaded by the zygote: a sweep's
        # generated script imports Grid, Market, SweepPlan, WalkForward, run_sweep and the frame helpers
        # (block_size, by_value, per_column, periods_per_year, pick, rows, widen) from it. It writes nothing
        # in a run (its numba cache is the zygote's); every other rule here applies to it as to any module.
        "stratcrew_research",
    }
)  # fmt: skip

FORBIDDEN_BUILTINS = frozenset(
    {
        "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals", "vars",
        "breakpoint", "input", "help", "__import__", "memoryview", "dir",
    }
)  # fmt: skip

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
        "loadtxt", "fromregex", "DataSource", "savefig", "ExcelWriter", "HDFStore",
    }
)  # fmt: skip

NETWORK_NAMES = frozenset(
    {"download", "urlopen", "TelegramBot", "messaging", "requests", "urllib", "socket", "http"}
)

# Attributes that lead to modules or interpreter internals the code has no business touching.
FORBIDDEN_ATTRIBUTES = frozenset(
    {
        "os", "sys", "subprocess", "builtins", "importlib", "shutil", "pathlib", "Path", "ctypes",
        "ctypeslib", "pickle", "marshal", "io", "tempfile", "glob", "signal", "threading",
        "multiprocessing", "gc", "inspect", "types", "operator", "functools", "runpy", "platform",
        "resource", "mmap", "fcntl", "posix", "dill", "cloudpickle", "joblib", "f2py", "testing",
        "extbuild", "distutils", "numba", "nb", "jit", "njit", "eval", "query", "format_map", "attr_",
        "get_dict_attr", "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "f_globals",
        "f_locals", "f_builtins", "f_back", "f_code", "tb_frame", "tb_next", "co_code", "func_globals",
    }
)  # fmt: skip

_FORMAT_FIELD_ATTR = re.compile(r"\{[^{}]*[.\[]\s*_")


class Violation(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int
    col: int
    rule: str
    message: str


def _norm(name: str) -> str:
    return unicodedata.normalize("NFKC", name)


class _Checker(ast.NodeVisitor):
    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def _add(self, node: ast.AST, rule: str, message: str) -> None:
        line = getattr(node, "lineno", 0)
        col = getattr(node, "col_offset", 0)
        self.violations.append(Violation(line=line, col=col, rule=rule, message=message))

    def _check_name(self, node: ast.AST, raw: str, *, attribute: bool) -> None:
        name = _norm(raw)
        kind = "attribute" if attribute else "name"
        if name.startswith("_") and (attribute or name != "_"):
            self._add(node, "private_name", f"{kind} `{name}`: names starting with `_` are not allowed")
        elif not attribute and name in FORBIDDEN_BUILTINS:
            self._add(node, "forbidden_builtin", f"`{name}` is not allowed")
        elif name in PICKLE_NAMES or (name.startswith(("load", "dump")) and name != "load_data"):
            self._add(node, "pickle", f"`{name}` loads or dumps pickles or files; use the provided load_data")
        elif name.startswith("read_") or name in FILE_NAMES or name.startswith(("write_", "save")):
            self._add(
                node, "file_io", f"`{name}` reads or writes files; the sandbox provides load_data(symbol)"
            )
        elif name.startswith("to_") and name not in SAFE_TO:
            self._add(node, "file_io", f"`{name}` may write a file; keep results in the `portfolio` variable")
        elif name in NETWORK_NAMES:
            self._add(node, "network", f"`{name}` reaches the network; market data is provided read-only")
        elif attribute and (name in FORBIDDEN_ATTRIBUTES or "getattr" in name or "setattr" in name):
            self._add(node, "forbidden_attribute", f"attribute `{name}` is not allowed")

    def _check_module(self, node: ast.AST, module: str) -> None:
        parts = [_norm(p) for p in module.split(".")]
        if parts[0] not in ALLOWED_MODULES:
            allowed = ", ".join(sorted(ALLOWED_MODULES - {"__future__", "typing"}))
            self._add(node, "import", f"import of `{module}` is not allowed (allowed: {allowed})")
            return
        for part in parts[1:]:
            self._check_name(node, part, attribute=True)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)
            if alias.asname:
                self._check_name(node, alias.asname, attribute=False)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self._add(node, "import", "relative imports are not allowed")
            return
        module = node.module or ""
        self._check_module(node, module)
        for alias in node.names:
            if alias.name == "*":
                self._add(node, "star_import", f"`from {module} import *` hides names from the policy")
                continue
            if module != "__future__":
                self._check_name(node, alias.name, attribute=True)
            if alias.asname:
                self._check_name(node, alias.asname, attribute=False)

    def visit_Name(self, node: ast.Name) -> None:
        self._check_name(node, node.id, attribute=False)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._check_name(node, node.attr, attribute=True)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._check_def(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check_def(node)

    def _check_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._check_name(node, node.name, attribute=False)
        for arg in [
            *node.args.posonlyargs,
            *node.args.args,
            *node.args.kwonlyargs,
            node.args.vararg,
            node.args.kwarg,
        ]:
            if arg is not None:
                self._check_name(arg, arg.arg, attribute=False)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._check_name(node, node.name, attribute=False)
        self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg is not None:
            self._check_name(node, node.arg, attribute=True)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            self._check_name(node, name, attribute=False)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            text = _norm(node.value)
            if "__" in text:
                self._add(node, "dunder_string", "strings containing `__` are not allowed (introspection)")
            elif _FORMAT_FIELD_ATTR.search(text):
                self._add(node, "dunder_string", "format fields reaching `_` attributes are not allowed")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        # `template.format(x)` with a computed template can walk attributes ("{0.__class__}"); literals are
        # fine.
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "format"
            and not (isinstance(func.value, ast.Constant) and isinstance(func.value.value, str))
        ):
            self._add(
                node, "dynamic_format", "`.format` on a computed string is not allowed; use an f-string"
            )
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self._check_name(node, node.name, attribute=False)
        self.generic_visit(node)


def validate_code(source: str, *, max_bytes: int = 200_000) -> list[Violation]:
    """Every policy violation in `source`, in source order (empty list: the code may run)."""
    if len(source.encode("utf-8", "surrogatepass")) > max_bytes:
        return [Violation(line=1, col=0, rule="code_size", message=f"code is larger than {max_bytes} bytes")]
    try:
        tree = ast.parse(source, filename="<strategy>", mode="exec")
    except SyntaxError as exc:
        return [Violation(line=exc.lineno or 1, col=exc.offset or 0, rule="syntax", message=exc.msg)]
    except (ValueError, RecursionError, MemoryError) as exc:
        return [Violation(line=1, col=0, rule="syntax", message=f"cannot parse: {exc}")]
    checker = _Checker()
    # The script's own `def load_data` stub (and its yfinance import) is removed before running: not checked.
    checker.visit(strip_stub(tree))
    return sorted(checker.violations, key=lambda v: (v.line, v.col))
