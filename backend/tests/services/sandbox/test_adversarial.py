"""Escape attempts, each run twice: through the AST policy (which must reject it, or, for pure resource
attacks written in allowed Python, through the policy-enforcing pool, whose limits must stop it), and straight
into the OS layer with the policy bypassed, asserting that the effects are absent: the host canary directory
is unchanged, no process of the slot uids outlives the run, nobody connected to a host listener, no secret or
host file leaked, and the pool still serves a normal run afterwards."""

from __future__ import annotations

import asyncio
import os
import site
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.core.errors import DomainError
from app.services.sandbox import (
    CodeRaised,
    InvalidSandboxResult,
    SandboxLimitExceeded,
    SandboxPool,
    validate_code,
)
from tests.services.sandbox.conftest import FAKE_SECRET, Listener

ANY_FAILURE = (CodeRaised, InvalidSandboxResult, SandboxLimitExceeded)
SITE = site.getsitepackages()[0]
EVIL = "class E:\n    def __reduce__(self):\n        return (os.system, ('touch {A}/pwned',))\n"


@dataclass(frozen=True)
class Attack:
    name: str
    code: str
    policy_rejects: bool = True
    expect: tuple[type[Exception], ...] = ANY_FAILURE
    limit: str | None = None
    present: str | None = None  # proof, in the run's output or error, that the attempt failed as expected


ATTACKS = [
    Attack(
        "subclasses_walk",
        "for c in ().__class__.__base__.__subclasses__():\n"
        "    if c.__name__ == '_wrap_close':\n"
        "        c.__init__.__globals__['system']('touch {A}/walk')\n",
    ),
    Attack("format_string_globals", "raise RuntimeError('LEAK:' + '{{0.__globals__}}'.format(load_data))\n"),
    Attack(
        "decorator_exec",
        "@exec\n@\"import os; os.system('touch {A}/dec'); open('{A}/dec2', 'w')\".format\n"
        "class X:\n    pass\n",
        present="No such file",
    ),
    Attack("importlib", "import importlib\nimportlib.import_module('os').system('touch {A}/imp')\n"),
    Attack("dunder_import_remove", "__import__('os').remove('{A}/keep.txt')\n", present="No such file"),
    Attack("pickle_loads", "import os, pickle\n" + EVIL + "pickle.loads(pickle.dumps(E()))\n"),
    Attack(
        "np_load_allow_pickle",
        "import os\nimport numpy as np\n"
        + EVIL
        + "arr = np.empty(1, dtype=object)\narr[0] = E()\nnp.save('x.npy', arr, allow_pickle=True)\n"
        "np.load('x.npy', allow_pickle=True)\n",
    ),
    Attack(
        "read_csv_passwd",
        "import pandas as pd\n"
        "raise RuntimeError('LEAK:' + pd.read_csv('/etc/passwd', header=None).to_string())\n",
        present="No such file",
    ),
    Attack("read_csv_url", "import pandas as pd\npd.read_csv('http://127.0.0.1:{P}/x.csv')\n"),
    Attack(
        "ctypes_system",
        "import ctypes\nr = ctypes.CDLL(None).system(b'touch {A}/ct')\nraise RuntimeError(f'LEAK:{{r}}')\n",
    ),
    Attack(
        "to_csv_host",
        "import pandas as pd\npd.DataFrame({{'a': [1]}}).to_csv('{A}/out.csv')\n",
        present="non-existent directory",
    ),
    Attack("vbt_config_save", "import vectorbt as vbt\nvbt.Config(a=1).save('{A}/cfg')\n"),
    Attack("vbt_download", "import vectorbt as vbt\nvbt.YFData.download('SPY')\n"),
    Attack("fork_bomb", "import os\nwhile True:\n    os.fork()\n"),
    Attack(
        "memory_bomb",
        "x = bytearray(6 * 1024 ** 3)\n",
        policy_rejects=False,
        expect=(SandboxLimitExceeded,),
        limit="memory",
    ),
    Attack(
        "infinite_loop",
        "while True:\n    pass\n",
        policy_rejects=False,
        expect=(SandboxLimitExceeded,),
        limit="wall_time",
    ),
    Attack(
        "output_flood",
        "while True:\n    print('x' * 10000)\n",
        policy_rejects=False,
        expect=(SandboxLimitExceeded,),
        limit="output",
    ),
    Attack(
        "setsid_double_fork",
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n"
        "    if os.fork() == 0:\n        time.sleep(1000)\n    os._exit(0)\ntime.sleep(0.3)\n",
    ),
    Attack("plain_orphan", "import os, time\nif os.fork() == 0:\n    time.sleep(1000)\ntime.sleep(0.2)\n"),
    Attack("kill_minus_one", "import os\nos.kill(-1, 9)\n"),
    Attack(
        "kill_everyone_in_namespace",
        "import os\nres = []\nfor p in range(1, 50):\n    try:\n"
        "        os.kill(p, 9)\n        res.append(p)\n    except OSError as e:\n        pass\n"
        "raise RuntimeError(f'LEAK:{{res}}')\n",
    ),
    Attack(
        "forged_stdout_marker",
        "import json\nprint('__RESULT__' + json.dumps({{'ok': {{'equity': [], "
        "'trades': [], 'signals': {{'entries': 0, 'exits': 0}}}}}}))\n",
        expect=(CodeRaised,),
        present="module-level `portfolio`",
    ),
    Attack(
        "forged_result_fd",
        'import os\nos.write(3, b\'{{"ok": {{"equity": [["x", 1e400]]}}}}\')\nos._exit(0)\n',
        expect=(InvalidSandboxResult,),
    ),
    Attack("env_read", "import os\nraise RuntimeError('LEAK:' + repr(dict(os.environ)))\n", present="LEAK:"),
    Attack(
        "proc_environ",
        "out = []\nfor p in ('1', '2', 'self'):\n    try:\n"
        "        out.append(open(f'/proc/{{p}}/environ', 'rb').read())\n    except OSError as e:\n"
        "        out.append(str(e))\nraise RuntimeError(f'LEAK:{{out}}')\n",
        present="LEAK:",
    ),
    Attack(
        "host_file_read",
        "raise RuntimeError('LEAK:' + open('{A}/keep.txt').read())\n",
        present="No such file",
    ),
    Attack(
        "numba_cache_write",
        "open('/var/cache/numba/evil_sandbox.py', 'w').write('x')\n",
        present="Permission denied",
    ),
    Attack(
        "site_packages_write",
        "open('" + SITE + "/evil_sandbox.py', 'w').write('x')\n",
        present="Read-only file system",
    ),
    Attack(
        "socket_host_loopback",
        "import socket\nsocket.create_connection(('127.0.0.1', {P}), timeout=2)\n",
        present="Connection refused",
    ),
    Attack(
        "socket_external",
        "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)\n",
        present="Network is unreachable",
    ),
    Attack(
        "subprocess_shell",
        "import subprocess\nsubprocess.run(['/bin/sh', '-c', 'touch {A}/sh'])\n",
        present="No such file",
    ),
    Attack("setuid_root", "import os\nos.setuid(0)\n", present="Operation not permitted"),
    Attack(
        "mount_tmpfs",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "r = libc.mount(b'none', b'/mnt', b'tmpfs', 0, None)\n"
        "raise RuntimeError(f'LEAK:{{r}},{{ctypes.get_errno()}}')\n",
        present="LEAK:-1,",
    ),
    Attack(
        "unshare_user_then_write",
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.unshare(0x10000000)\nopen('{A}/userns', 'w')\n",
        present="No such file",
    ),
    Attack(
        "big_file",
        "open('big', 'wb').write(b'0' * (20 * 1024 ** 2))\n",
        expect=(SandboxLimitExceeded,),
        limit="file_size",
    ),
    Attack(
        "thread_bomb",
        "import threading, time\nfor _ in range(2000):\n"
        "    threading.Thread(target=time.sleep, args=(5,)).start()\n",
        expect=(SandboxLimitExceeded,),
        limit="processes",
    ),
    Attack(
        "open_files",
        "fs = [open('/dev/null') for _ in range(10000)]\n",
        expect=(SandboxLimitExceeded,),
        limit="open_files",
    ),
    Attack("kill_host_pid", "import os\nos.kill({H}, 0)\n", present="No such process"),
    Attack(
        "fd_walk_control_socket",
        "import os\nhits = 0\nfor fd in range(4, 256):\n    try:\n"
        '        os.write(fd, b\'{{"op": "exit"}}\')\n        hits += 1\n    except OSError:\n        pass\n'
        "raise RuntimeError(f'LEAK:hits={{hits}}')\n",
        present="LEAK:hits=0",
    ),
    Attack("dev_shm_write", "open('/dev/shm/x', 'w')\n", present="Permission denied"),
    Attack("sys_read", "import os\nos.listdir('/sys')\n", present="No such file"),
    Attack(
        "hostname",
        "import socket\nraise RuntimeError('LEAK:' + socket.gethostname())\n",
        present="LEAK:sandbox",
    ),
    Attack("tmp_root_write", "open('/tmp/planted', 'w')\n", present="Permission denied"),
    Attack(
        "ptrace_zygote",
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "r = libc.ptrace(16, 2, None, None)\nraise RuntimeError(f'LEAK:{{r}}')\n",
        present="LEAK:-1",
    ),
]


def render(code: str, canary: Path, port: int) -> str:
    return code.format(A=canary, P=port, H=os.getpid())


def slot_uid_processes(uids: list[int]) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields["Uid"].split()[0])
        if uid in uids and not fields["State"].strip().startswith("Z"):
            found.append(f"{entry} {fields['Name'].strip()} {fields['State'].strip()}")
    return found


def canary_state(canary: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in canary.iterdir()}


def planted_files(pool: SandboxPool) -> list[str]:
    paths = [Path(SITE, "evil_sandbox.py"), pool.settings.numba_cache_dir / "evil_sandbox.py"]
    return [str(p) for p in paths if p.exists()]


def outcome_text(exc: BaseException | None, stdout: str = "") -> str:
    if exc is None:
        return stdout
    fields = exc.fields if isinstance(exc, DomainError) else {}
    return f"{exc} {fields}"


def test_suite_is_large_enough() -> None:
    assert len(ATTACKS) >= 40
    assert len({a.name for a in ATTACKS}) == len(ATTACKS)


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_policy_rejects(attack: Attack, tmp_path: Path) -> None:
    violations = validate_code(render(attack.code, tmp_path, 1))
    if attack.policy_rejects:
        assert violations, f"{attack.name} passed the AST policy"
    else:  # pure resource attacks in allowed Python: the policy cannot see them; the limits must
        assert violations == []


@pytest.mark.parametrize("attack", [a for a in ATTACKS if not a.policy_rejects], ids=lambda a: a.name)
async def test_policy_pool_limits_stop_resource_attacks(attack: Attack, sandbox_pool: SandboxPool) -> None:
    with pytest.raises(SandboxLimitExceeded) as info:
        await sandbox_pool.run(attack.code, {}, timeout_s=3)
    assert info.value.fields["limit"] == attack.limit


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
async def test_isolation_contains(
    attack: Attack, raw_pool: SandboxPool, canary: Path, listener: Listener
) -> None:
    code = render(attack.code, canary, listener.port)
    error: BaseException | None = None
    try:
        result = await raw_pool.run(code, {}, timeout_s=4)
        text = result.stdout_tail + result.stderr_tail
    except ANY_FAILURE as exc:
        error, text = exc, outcome_text(exc)
    assert error is not None and isinstance(error, attack.expect), f"unexpected outcome: {error!r}"
    if attack.limit is not None:
        assert isinstance(error, SandboxLimitExceeded) and error.fields["limit"] == attack.limit, text
    if attack.present is not None:
        assert attack.present in text, text
    # The effects are absent (once the run's clean-up is confirmed: its reaper runs as the slot uid).
    await raw_pool.wait_settled()
    assert canary_state(canary) == {"keep.txt": "untouched"}
    assert slot_uid_processes(raw_pool.slot_uids) == []
    assert listener.connections == 0
    assert FAKE_SECRET not in text
    assert "root:x:0:0" not in text
    assert not planted_files(raw_pool)
    # And the pool still serves.
    with pytest.raises(CodeRaised, match="ZeroDivisionError"):
        await raw_pool.run("x = 1 / 0\n", {})


async def test_nothing_persists_between_runs_of_a_slot(raw_pool: SandboxPool) -> None:
    """Files in the run directory and SysV shared memory are gone before the next run on the slot."""
    plant = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.shmget(0x5eed, 4096, 0o1666)\nopen('planted', 'w').write('x')\n"
    )
    look = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "found = [libc.shmget(0x5eed, 4096, 0o666), os.listdir('.'), os.access('..', os.W_OK)]\n"
        "raise RuntimeError(f'LEAK:{found}')\n"
    )
    for _ in range(raw_pool.settings.pool_size * 2):  # enough runs to land on every slot after a plant
        with pytest.raises(CodeRaised):
            await raw_pool.run(plant, {})
        with pytest.raises(CodeRaised) as info:
            await raw_pool.run(look, {})
        leaked = info.value.message.split("LEAK:")[1]
        assert leaked.startswith("[-1, [], False]"), leaked  # no segment; a fresh, empty directory


async def test_pool_keeps_serving_while_a_hostile_run_burns(raw_pool: SandboxPool, tmp_path: Path) -> None:
    hostile = asyncio.create_task(raw_pool.run("while True:\n    pass\n", {}, timeout_s=6))
    await asyncio.sleep(0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(3):
        with pytest.raises(CodeRaised, match="ZeroDivisionError"):
            await raw_pool.run("x = 1 / 0\n", {})
    assert loop.time() - started < 3
    assert not hostile.done()
    with pytest.raises(SandboxLimitExceeded):
        await hostile


async def test_cpu_limit_is_reported(raw_pool: SandboxPool) -> None:
    with pytest.raises(SandboxLimitExceeded) as info:
        await raw_pool.run("while True:\n    pass\n", {}, timeout_s=30)
    assert info.value.fields["limit"] == "cpu_time"
    assert "CPU-time limit 8 s exceeded" in info.value.message
