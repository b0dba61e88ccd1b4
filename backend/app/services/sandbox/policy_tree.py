"""Pure reads of a parsed script for the policy (policy.py): which names are modules, which attributes the
script defines itself, the strings a call passes by name, and the format fields a template reaches."""

from __future__ import annotations

import ast
import string
import unicodedata
from collections.abc import Mapping

from app.services.sandbox.policy_rules import refusal


def norm(name: str) -> str:
    """Python NFKC-normalises identifiers while parsing; strings compared with them are normalised too."""
    return unicodedata.normalize("NFKC", name)


def scan(tree: ast.Module, tables: Mapping[str, frozenset[str]]) -> tuple[dict[str, str], frozenset[str]]:
    """One pass over the script: (each name an import binds to a module path of the tables, the attribute
    names the script defines itself). Module bindings are flow-insensitive: a name bound to a module anywhere
    is a module everywhere (stricter, never looser). Own attributes are its classes' members and `obj.x = ...`
    targets, minus refused names."""
    bound: dict[str, str] = {}
    own: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                path = norm(alias.name)
                if alias.asname and path in tables:
                    bound[norm(alias.asname)] = path
                elif not alias.asname:
                    bound[path.split(".")[0]] = path.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                path = f"{norm(node.module)}.{norm(alias.name)}"
                if path in tables:
                    bound[norm(alias.asname or alias.name)] = path
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    own.add(item.name)
                elif isinstance(item, ast.Assign):
                    own |= {t.id for t in item.targets if isinstance(t, ast.Name)}
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    own.add(item.target.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            own.add(node.attr)
    return bound, frozenset(n for n in map(norm, own) if refusal(n) is None)


def string_args(node: ast.expr | None) -> list[ast.Constant]:
    """String constants given directly, or as elements of a list/tuple/set or values of a dict."""
    if node is None:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [s for e in node.elts for s in string_args(e)]
    if isinstance(node, ast.Dict):
        return [s for v in node.values for s in string_args(v)]
    return []


def reaching_fields(template: str) -> list[str]:
    """Format fields of a `.format` template that reach an attribute or item (`{0.x}`, `{0[k]}`), including
    fields nested in a format spec (`{0:{1.x}}`)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return []  # malformed: .format raises before looking anything up
    found = [f for _, f, _, _ in parsed if f and ("." in f or "[" in f)]
    return found + [f for _, _, spec, _ in parsed if spec and "{" in spec for f in reaching_fields(spec)]
