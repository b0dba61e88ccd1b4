"""Unit tests of the AST policy: what it allows, what it rejects, and where it says the problem is."""

from __future__ import annotations

import pytest

from app.services.sandbox import validate_code

GENERATED_LIKE = """
import numpy as np
import pandas as pd
import vectorbt as vbt
import yfinance as yf


def load_data(symbol: str) -> pd.DataFrame:
    return yf.download(symbol, start="2020-01-01", auto_adjust=True)


FAST, SLOW = 10, 30
data = load_data("SPY")
close = data["Close"]
fast = vbt.MA.run(close, FAST)
slow = vbt.MA.run(close, SLOW)
entries = fast.ma_crossed_above(slow)
exits = fast.ma_crossed_below(slow)
for _ in range(1):
    pass
label = f"SMA({FAST})"
when = pd.to_datetime("2020-01-01").to_pydatetime()
portfolio = vbt.Portfolio.from_signals(close, entries, exits, init_cash=10_000, fees=0.001, freq="1D")
"""


def rules(source: str) -> list[str]:
    return [v.rule for v in validate_code(source)]


def test_generated_style_code_passes_and_its_stub_is_ignored() -> None:
    assert validate_code(GENERATED_LIKE) == []


@pytest.mark.parametrize(
    ("source", "rule", "line"),
    [
        ("import os", "import", 1),
        ("x = 1\nimport subprocess as sp", "import", 2),
        ("from importlib import import_module", "import", 1),
        ("from numpy import *", "star_import", 1),
        ("from numpy import load", "pickle", 1),
        ("import numpy.ctypeslib", "forbidden_attribute", 1),
        ("x = ().__class__", "private_name", 1),
        ("_secret = 1", "private_name", 1),
        ("eval('1')", "forbidden_builtin", 1),
        (
            "\uff45\uff58\uff45\uff43('1')",
            "forbidden_builtin",
            1,
        ),  # full-width `exec`: Python NFKC-normalises
        ("f = open", "forbidden_builtin", 1),
        ("g = getattr(1, 'real')", "forbidden_builtin", 1),
        ("import pandas as pd\npd.read_pickle('x')", "pickle", 2),
        ("import numpy as np\nnp.load('x', allow_pickle=True)", "pickle", 2),
        ("import json\njson.loads('{}')", "pickle", 2),
        ("import pandas as pd\npd.read_csv('/etc/passwd')", "file_io", 2),
        ("df = 1\ndf.to_csv('x')", "file_io", 2),
        ("df = 1\ndf.to_string(buf='x')", "file_io", 2),
        ("import numpy as np\nnp.arange(3).tofile('x')", "file_io", 2),
        ("import vectorbt as vbt\nvbt.YFData.download('SPY')", "network", 2),
        ("s = '{0.__class__}'", "dunder_string", 1),
        ("s = '{0._x}'.format(1)", "dunder_string", 1),
        ("t = 'a'\ns = t.format(1)", "dynamic_format", 2),
        ("x = f'{(1).__class__}'", "private_name", 1),
        ("g = (i for i in [])\nf = g.gi_frame", "forbidden_attribute", 2),
        ("import vectorbt as vbt\nvbt.utils.attr_.deep_getattr(1, 'real')", "forbidden_attribute", 2),
        ("import pandas as pd\npd.eval('1+1')", "forbidden_attribute", 2),
        ("def f(_x):\n    return _x", "private_name", 1),
        ("x = (", "syntax", 1),
    ],
)
def test_rejections_name_the_rule_and_line(source: str, rule: str, line: int) -> None:
    violations = validate_code(source)
    assert rule in [v.rule for v in violations], violations
    assert line in [v.line for v in violations if v.rule == rule]


def test_every_violation_is_listed_in_source_order() -> None:
    source = "import os\nx = 1\neval('2')\ny = x.__dict__\n"
    violations = validate_code(source)
    assert [(v.line, v.rule) for v in violations] == [
        (1, "import"),
        (3, "forbidden_builtin"),
        (4, "private_name"),
    ]
    assert all(v.message for v in violations)


def test_column_points_at_the_offending_attribute() -> None:
    (violation,) = validate_code("x = 1\ny = x.to_csv")
    assert (violation.line, violation.col) == (2, 4)


def test_code_size_cap() -> None:
    assert (
        rules(
            "x = 1\n" * 10,
        )
        == []
    )
    assert [v.rule for v in validate_code("x = 1\n" * 100, max_bytes=100)] == ["code_size"]


def test_safe_to_methods_and_allowed_modules_pass() -> None:
    source = (
        "import math\nimport datetime\nimport json\nimport numpy as np\nimport pandas as pd\n"
        "a = pd.Series([1.0]).to_numpy().tolist()\nb = pd.to_datetime('2020-01-01')\n"
        "c = json.dumps if False else None\nd = math.sqrt(2)\n"
    )
    assert rules(source) == ["pickle"]  # json.dumps is on the pickle-style list: the rule is name based
