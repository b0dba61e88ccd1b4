"""The policy as an allowlist (issue 15, finding 4): every payload that passed `POST /code/validate` and ran
arbitrary Python is refused with a message naming its line, so are variants of them, and no script the
service generates itself is refused."""

from __future__ import annotations

import json
import typing
from typing import Any

import httpx
import pytest

from app.services.sandbox import validate_code
from scripts.policy_tables import TARGET, build, render
from tests.services.sandbox.generated_corpus import generated_scripts
from tests.utils.factories import register

# The issue's payloads, as sent (each passed the old denylist and ran).
ISSUE_PAYLOADS = {
    "typing_exec": "import typing\ntyping.stdlib_re.enum.bltns.exec('x = 1')\n",
    "typing_open": "import typing\nf = typing.stdlib_re.enum.bltns.open('/etc/passwd')\n",
    "json_builtins": "import json\nb = json.decoder.re.enum.bltns\nb.exec('x = 1')\n",
    "json_codecs_open": "import json\nf = json.codecs.open('/etc/passwd')\n",
    "match_globals": "x = 1\nmatch load_data:\n    case object(__globals__=g):\n        leak = g\n",
    "str_format": "fmt = str.format\nleak = fmt('{0.' + '_' * 2 + 'class' + '_' * 2 + '}', 1)\n",
    "get_type_hints": (
        "import typing\ndef f(x: \"exec('y = 1')\") -> None:\n    pass\nhints = typing.get_type_hints(f)\n"
    ),
}

# (code, line the refusal must name, rule): our own variants of the same ideas.
VARIANTS = [
    ("import typing\nfrom typing import get_type_hints\n", 2, "module_attribute"),
    ("from __future__ import annotations\nimport typing\nh = typing.get_type_hints\n", 3, "module_attribute"),
    ("def f(x: 'int') -> 'str':\n    return ''\n", 1, "string_annotation"),
    ("x = 1\ng = getattr\nv = g(x, 'real')\n", 2, "forbidden_builtin"),
    ("name = 're' + 'al'\nv = getattr(1, name)\n", 2, "forbidden_builtin"),
    ("import operator\nf = operator.attrgetter('real')\n", 1, "import"),
    ("v = vars()\n", 1, "forbidden_builtin"),
    ("g = globals()\n", 1, "forbidden_builtin"),
    ("b = __builtins__\n", 1, "private_name"),
    ("import numpy as np\nb = np.__builtins__\n", 2, "private_name"),
    ("import pandas as pd\ndf = pd.DataFrame({'a': [1]})\ny = df.eval('a + 1')\n", 3, "forbidden_attribute"),
    ("import pandas as pd\ndf = pd.DataFrame({'a': [1]})\ny = df.query('a > 0')\n", 3, "forbidden_attribute"),
    ("import numpy as np\nm = np.lib.format.open_memmap('x')\n", 2, "module_attribute"),
    ("import numpy as np\na = np.ctypeslib.as_array(0)\n", 2, "forbidden_attribute"),
    ("import numpy as np\na = np.load('x.npy')\n", 2, "pickle"),
    ("import numpy as np\nx = 1\nc = np.core.multiarray\n", 3, "module_attribute"),
    ("import pandas as pd\nd = pd.read_csv('/etc/passwd')\n", 2, "file_io"),
    ("import pandas as pd\nd = pd.io.common.os\n", 2, "forbidden_attribute"),
    ("import pandas as pd\nd = pd.core.common\n", 2, "module_attribute"),
    ("s = '{0:{1.real}}'.format(1, 2)\n", 1, "format_field"),
    ("import vectorbt as vbt\nm = vbt.utils.module_\n", 2, "module_attribute"),
    ("import vectorbt as vbt\nn = vbt.portfolio.enums.np\n", 2, "module_attribute"),
    ("import vectorbt as vbt\nb = vbt.portfolio.base\n", 2, "module_attribute"),
    ("import vectorbt as vbt\nr = vbt.RepEval('1').eval({})\n", 2, "forbidden_attribute"),
    ("import vectorbt as vbt\nf = vbt.IndicatorFactory(param_names=['p'])\n", 2, "forbidden_attribute"),
    ("import vectorbt as vbt\ns = vbt.settings\n", 2, "forbidden_attribute"),
    ("pf = 1\ns = pf.stats(tags='1 == 1')\n", 2, "stats_argument"),
    ("g = 1\ns = g.agg(total=('Close', 'to_pickle'))\n", 2, "by_name"),
    ("g = 1\ns = g.agg(total=('Close', 'mro'))\n", 2, "by_name"),
    ("import pandas as pd\na = pd.NamedAgg(column='Close', aggfunc='unknown_thing')\n", 2, "by_name"),
    ("pf = 1\ns = pf.stats(['total_return'])\n", 2, "stats_argument"),
    ("import pandas as pd\ns = pd.Series([1.0])\ns.agg('to_pickle', 'x')\n", 3, "by_name"),
    ("import pandas as pd\ns = pd.Series([1.0])\ns.apply(['sum', 'mro'])\n", 3, "by_name"),
    ("import numpy as np\nm = np\nl = m.lib\n", 2, "module_value"),
    ("import numpy as np\nmods = [np]\n", 2, "module_value"),
    ("import numpy as np\nr = np.random\n", 2, "module_value"),
    ("import numpy as np\nnp.mean = print\n", 2, "module_attribute"),
    ("from numpy import lib\n", 1, "module_attribute"),
    ("import json.decoder\n", 1, "forbidden_attribute"),
    ("s = '{0.real}'.format(1)\n", 1, "format_field"),
    ("s = '{0[0]}'.format([1])\n", 1, "format_field"),
    ("s = 'x'\nt = s.format(1)\n", 2, "dynamic_format"),
    ("x = 1\nf = (1).mro\n", 2, "forbidden_attribute"),
    ("x = 1\nt = type(x).mro()\n", 2, "forbidden_attribute"),
    ("x = 1\nf = x.gi_frame\n", 2, "forbidden_attribute"),
    ("x = 1\ny = x.stdlib_re\n", 2, "forbidden_attribute"),
    ("x = 1\ny = x.anything_unknown\n", 2, "attribute"),
    ("x = 1\nmatch x:\n    case int(real=r, __class__=c):\n        pass\n", 3, "private_name"),
    ("x = 1\nmatch x:\n    case int(bltns=b):\n        pass\n", 3, "forbidden_attribute"),
    ("x = 1\nmatch x:\n    case {'a': 1, **_rest}:\n        pass\n", 3, "private_name"),
    ("x = 1\nb = breakpoint\n", 2, "forbidden_builtin"),
    ("x = 1\nc = compile('1', 'f', 'eval')\n", 2, "forbidden_builtin"),
]


def _rules_at(code: str) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for v in validate_code(code):
        found.setdefault(v.line, set()).add(v.rule)
    return found


async def test_each_issue_payload_is_refused_by_the_route_naming_its_line(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    expected_line = {"typing_exec": 2, "typing_open": 2, "json_builtins": 2, "json_codecs_open": 2,
                     "match_globals": 3, "str_format": 1, "get_type_hints": 2}  # fmt: skip
    for name, code in ISSUE_PAYLOADS.items():
        body = (await client.post("/code/validate", json={"code": code}, headers=headers)).json()
        assert body["ok"] is False, name
        lines = {v["line"] for v in body["violations"]}
        assert expected_line[name] in lines, (name, body)
        assert all(v["message"] for v in body["violations"])


@pytest.mark.parametrize("name", ISSUE_PAYLOADS)
def test_issue_payloads_are_live_python(name: str) -> None:
    """The payloads are not strawmen: run as plain Python, each reaches builtins, a file or globals."""
    namespace: dict[str, Any] = {"load_data": test_issue_payloads_are_live_python}
    code = ISSUE_PAYLOADS[name].replace("/etc/passwd", __file__)
    if name in ("typing_exec", "json_builtins"):
        chain = typing.stdlib_re.enum.bltns if name == "typing_exec" else json.decoder.re.enum.bltns  # type: ignore[attr-defined]
        assert chain.exec is exec
    exec(code, namespace)
    proof = {"typing_open": "f", "json_codecs_open": "f", "match_globals": "leak", "str_format": "leak"}
    if name in proof:
        assert namespace[proof[name]] is not None
    if name == "match_globals":
        assert namespace["leak"] is globals()
    if name == "get_type_hints":
        assert namespace["y"] == 1  # the annotation string ran


@pytest.mark.parametrize(("code", "line", "rule"), VARIANTS)
def test_variants_are_refused_at_their_line(code: str, line: int, rule: str) -> None:
    found = _rules_at(code)
    assert rule in found.get(line, set()), found


def test_messages_name_the_thing_refused() -> None:
    (violation,) = validate_code("import json\nx = 1\nd = json.decoder\n")
    assert (violation.line, violation.message) == (3, "attribute `decoder` is not allowed")
    (violation,) = validate_code("import numpy as np\nx = np.lib\n")
    assert violation.message.startswith("`np.lib` is not allowed: only numpy's listed names may be used")
    (violation,) = validate_code("x = open('f')\n")
    assert violation.message == "`open` is not allowed"


def test_every_generated_script_passes() -> None:
    scripts = generated_scripts()
    assert len(scripts) > 100
    refused = {label: validate_code(code) for label, code in scripts}
    assert {label: v for label, v in refused.items() if v} == {}


def test_ordinary_hand_written_strategy_code_passes() -> None:
    code = (
        "from __future__ import annotations\nimport math\nfrom datetime import datetime, timedelta\n"
        "from typing import Optional\nimport numpy as np\nimport pandas as pd\nimport vectorbt as vbt\n\n"
        "def zscore(s: pd.Series, n: int = 20) -> pd.Series:\n"
        "    return (s - s.rolling(n).mean()) / s.rolling(n).std()\n\n"
        "data = load_data('SPY')\nclose = data['Close']\nz = zscore(close)\n"
        "rsi = vbt.RSI.run(close, window=14).rsi\nbb = vbt.BBANDS.run(close, window=20)\n"
        "entries = (z < -2) & (rsi < 30) & close.vbt.crossed_below(bb.lower)\nexits = z > 0\n"
        "weekly = close.resample('W').agg(['mean', 'max'])\nstart: Optional[datetime] = None\n"
        "label = '{} {:.2f}'.format('z', math.sqrt(2))\nrng = np.random.default_rng(1)\n"
        "noise = pd.Series(rng.normal(size=len(close)), index=close.index).ewm(span=5).mean()\n"
        "match label:\n    case str(x) if x:\n        pass\n"
        "portfolio = vbt.Portfolio.from_signals(close, entries, exits, init_cash=10_000, fees=0.001, "
        "sl_stop=0.05, freq='1D')\nprint(portfolio.stats(), portfolio.total_return(), data.Close.iloc[-1])\n"
        "later = datetime(2020, 1, 1) + timedelta(days=1)\nsize = np.where(entries, 1.0, np.nan)\n"
    )
    assert validate_code(code) == []


def test_the_committed_allowlist_matches_the_installed_libraries() -> None:
    assert TARGET.read_text() == render(build()), "run `python -m scripts.policy_tables` in backend/"
