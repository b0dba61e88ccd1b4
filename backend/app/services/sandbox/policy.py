"""The AST policy: an allowlist of what strategy code may touch, with clear, located errors.

The script's top-level `def load_data` stub and `import yfinance` lines are removed before the check, as
the harness removes them before running. It is not the wall (the OS sandbox is); it exists so an author
sees "line 4: `open` is not allowed" rather than a permission error from deep inside the sandbox, and so
policy-passing code cannot run arbitrary Python. What may be touched:

- modules: only those in policy_rules.MODULES, and of each only its listed names (`np.mean`, not
  `np.lib`); a module is only ever the left side of a dot, never a value (`m = np` is refused), so no
  attribute chain leads from one module into another (`json.decoder.re`, `typing.stdlib_re`);
- builtins: only policy_rules.ALLOWED_BUILTINS (no `open`, `eval`, `getattr`, `vars`, `globals`, ...);
- attributes of values: only the public attributes of the objects strategy code handles (pandas, numpy,
  vectorbt, datetimes, containers) and those the script defines itself, and never a refused name
  (policy_rules.refusal: `_`-prefixed names, pickles, files, network, plots, vectorbt's evaluating hooks);
- dunders in no form: names, attributes, keywords, match class patterns (`case object(__globals__=g)`),
  strings containing `__`, `.format` only on a string literal whose fields reach no attribute or item;
- no string annotations (typing.get_type_hints is not allowed either: it evaluates them).

It reads the parsed tree, so text tricks do not hide a name: Python NFKC-normalises identifiers while
parsing (a full-width `eval` is `eval`), and f-string expressions are parsed like any other expression.

>>> [v.rule for v in validate_code("import os\\nx = (1).__class__")]
['import', 'private_name']
>>> validate_code("import numpy as np\\nx = np.arange(3)")
[]
"""

from __future__ import annotations

import ast
import builtins
import re

from pydantic import BaseModel, ConfigDict

from app.services.sandbox.harness.script import strip_stub
from app.services.sandbox.policy_allowlist import allowlist
from app.services.sandbox.policy_rules import (
    ALLOWED_BUILTINS,
    BY_NAME_CALLS,
    IMPORTABLE,
    STATS_CALLS,
    STATS_KEYWORDS,
    refusal,
)
from app.services.sandbox.policy_tree import norm, reaching_fields, scan, string_args

BUILTIN_NAMES = frozenset(dir(builtins))
_FORMAT_FIELD_ATTR = re.compile(r"\{[^{}]*[.\[]\s*_")


class Violation(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int
    col: int
    rule: str
    message: str


class _Checker(ast.NodeVisitor):
    def __init__(self, tree: ast.Module) -> None:
        self.allow = allowlist()
        self.modules, self.own = scan(tree, self.allow.modules)
        self.violations: list[Violation] = []
        self._bases: set[int] = set()  # nodes that are the left side of a dot
        self._funcs: set[int] = set()  # nodes that are called

    def _add(self, node: ast.AST, rule: str, message: str) -> None:
        line = getattr(node, "lineno", 0)
        col = getattr(node, "col_offset", 0)
        self.violations.append(Violation(line=line, col=col, rule=rule, message=message))

    # Names and bindings

    def _check_binding(self, node: ast.AST, raw: str) -> None:
        name = norm(raw)
        if name.startswith("_") and name != "_":
            self._add(node, "private_name", f"name `{name}`: names starting with `_` are not allowed")
        elif name in BUILTIN_NAMES and name not in ALLOWED_BUILTINS:
            self._add(node, "forbidden_builtin", f"`{name}` is not allowed")

    def visit_Name(self, node: ast.Name) -> None:
        name = norm(node.id)
        if name in self.modules and id(node) not in self._bases:
            self._add(node, "module_value", f"module `{name}` can only be used as `{name}.<name>`")
        else:
            self._check_binding(node, name)

    def visit_arg(self, node: ast.arg) -> None:
        self._check_binding(node, node.arg)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._check_def(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check_def(node)

    def _check_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._check_binding(node, node.name)
        self._check_annotation(node.returns)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._check_binding(node, node.name)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            self._check_binding(node, name)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        for name in node.names:
            self._check_binding(node, name)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self._check_binding(node, node.name)
        self.generic_visit(node)

    # Modules

    def _module_path(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.modules.get(norm(node.id))
        if isinstance(node, ast.Attribute):
            base = self._module_path(node.value)
            path = f"{base}.{norm(node.attr)}"
            return path if base is not None and path in self.allow.modules else None
        return None

    def _check_module_name(self, node: ast.AST, path: str, raw: str, shown: str | ast.expr) -> bool:
        """`shown`: how the script wrote the module (unparsed only for a message)."""
        name = norm(raw)
        refused = refusal(name)
        if refused is not None:
            self._add(node, *refused)
            return False
        if name not in self.allow.modules.get(path, frozenset()):
            written = shown if isinstance(shown, str) else ast.unparse(shown)
            self._add(
                node,
                "module_attribute",
                f"`{written}.{name}` is not allowed: only {path}'s listed names may be used "
                "(no module reaches another)",
            )
            return False
        return True

    def _check_import_path(self, node: ast.AST, module: str) -> bool:
        parts = [norm(p) for p in module.split(".")]
        if parts[0] not in IMPORTABLE:
            allowed = ", ".join(sorted(IMPORTABLE - {"__future__", "typing", "stratcrew_research"}))
            self._add(node, "import", f"import of `{module}` is not allowed (allowed: {allowed})")
            return False
        for i, part in enumerate(parts[1:], start=1):
            path = ".".join(parts[:i])
            if not self._check_module_name(node, path, part, ".".join(parts[:i])):
                return False
        return True

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_import_path(node, alias.name)
            if alias.asname:
                self._check_binding(node, alias.asname)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self._add(node, "import", "relative imports are not allowed")
            return
        module = node.module or ""
        if not self._check_import_path(node, module):
            return
        for alias in node.names:
            if alias.name == "*":
                self._add(node, "star_import", f"`from {module} import *` hides names from the policy")
                continue
            self._check_module_name(node, norm(module), alias.name, module)
            if alias.asname:
                self._check_binding(node, alias.asname)

    # Attributes

    def _check_value_attribute(self, node: ast.AST, raw: str) -> None:
        name = norm(raw)
        refused = refusal(name)
        if refused is not None:
            self._add(node, *refused)
        elif name not in self.allow.values and name not in self.own:
            self._add(
                node,
                "attribute",
                f"attribute `{name}` is not allowed (not a pandas, numpy or vectorbt attribute strategy "
                "code uses)",
            )

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._bases.add(id(node.value))
        base = self._module_path(node.value)
        path = self._module_path(node)
        if base is not None:
            if self._check_module_name(node, base, node.attr, node.value):
                if not isinstance(node.ctx, ast.Load):
                    self._add(node, "module_attribute", f"`{ast.unparse(node)}` cannot be assigned")
                elif path is not None and id(node) not in self._bases:
                    shown = ast.unparse(node)
                    self._add(node, "module_value", f"module `{shown}` can only be used as `{shown}.<name>`")
        elif norm(node.attr) == "format":
            literal = isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            if not literal or id(node) not in self._funcs:
                self._add(
                    node, "dynamic_format", "`.format` is only allowed on a string literal; use an f-string"
                )
        elif isinstance(node.ctx, ast.Load):
            self._check_value_attribute(node, node.attr)
        else:
            refused = refusal(norm(node.attr))
            if refused is not None:
                self._add(node, *refused)
        self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg is not None:
            refused = refusal(norm(node.arg))
            if refused is not None:
                self._add(node, *refused)
        self.generic_visit(node)

    # Calls: .format templates, names pandas looks up, vectorbt's stats

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        self._funcs.add(id(func))
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if norm(called) == "NamedAgg":  # pd.NamedAgg(column=..., aggfunc="sum"): a method name
            for k in node.keywords:
                if k.arg == "aggfunc":
                    for constant in string_args(k.value):
                        self._check_by_name(constant)
        if isinstance(func, ast.Attribute):
            method = norm(func.attr)
            if method == "format" and isinstance(func.value, ast.Constant):
                reaching = reaching_fields(str(func.value.value))
                if reaching:
                    self._add(
                        node,
                        "format_field",
                        f"format field `{{{reaching[0]}}}` reaches an attribute or item; use an f-string",
                    )
            if method in BY_NAME_CALLS and self._module_path(func.value) is None:
                given = [*node.args, *(k.value for k in node.keywords if k.arg in (None, "func", "arg"))]
                # Named aggregation: `agg(total=("Close", "sum"))`, the second item is a method name.
                given += [
                    k.value.elts[1]
                    for k in node.keywords
                    if isinstance(k.value, ast.Tuple) and len(k.value.elts) == 2
                ]
                for constant in (s for arg in given for s in string_args(arg)):
                    self._check_by_name(constant)
            if method in STATS_CALLS and self._module_path(func.value) is None:
                extra = [k.arg for k in node.keywords if k.arg not in STATS_KEYWORDS]
                if node.args or extra:
                    self._add(
                        node,
                        "stats_argument",
                        f"`.{method}` takes only {', '.join(sorted(STATS_KEYWORDS))} here (its metrics, tags "
                        "and settings can carry expressions vectorbt evaluates)",
                    )
        self.generic_visit(node)

    def _check_by_name(self, constant: ast.Constant) -> None:
        name = norm(str(constant.value))
        if refusal(name) is not None or name not in self.allow.values:
            self._add(
                constant,
                "by_name",
                f"`'{name}'` is looked up by name as a method; only allowed methods may be named",
            )

    # Strings and annotations

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            text = norm(node.value)
            if "__" in text:
                self._add(node, "dunder_string", "strings containing `__` are not allowed (introspection)")
            elif _FORMAT_FIELD_ATTR.search(text):
                self._add(node, "dunder_string", "format fields reaching `_` attributes are not allowed")

    def _check_annotation(self, annotation: ast.expr | None) -> None:
        if annotation is None:
            return
        literal = set()
        for sub in ast.walk(annotation):
            if isinstance(sub, ast.Subscript) and ast.unparse(sub.value).split(".")[-1] == "Literal":
                literal |= {id(s) for s in ast.walk(sub.slice)}
        for sub in ast.walk(annotation):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and id(sub) not in literal:
                self._add(sub, "string_annotation", "string annotations are not allowed (they are evaluated)")

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_annotation(node.annotation)
        self.generic_visit(node)

    def visit_arguments(self, node: ast.arguments) -> None:
        for arg in [*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg, node.kwarg]:
            if arg is not None:
                self._check_annotation(arg.annotation)
        self.generic_visit(node)

    # Match statements: class patterns name attributes as plain strings

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        for attr in node.kwd_attrs:
            self._check_value_attribute(node, attr)
        self.generic_visit(node)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self._check_binding(node, node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._check_binding(node, node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        if node.rest:
            self._check_binding(node, node.rest)
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
    # The script's own `def load_data` stub (and its yfinance import) is removed before running: not checked.
    tree = strip_stub(tree)
    checker = _Checker(tree)
    checker.visit(tree)
    return sorted(checker.violations, key=lambda v: (v.line, v.col))
