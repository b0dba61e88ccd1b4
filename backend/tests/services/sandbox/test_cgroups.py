"""A run's memory is capped across all its processes (finding 3 of issue 15).

`RLIMIT_AS` bounds each process; forks multiplied it (three forks of 1.5 GB took 5.4 GB under a 4 GB limit).
Each run now lives in its own memory and pids cgroup: over the cap the run fails with "memory limit N MB
exceeded" and none of its processes remain. The payloads run straight in a slot (`raw_pool`, policy off).
"""

from __future__ import annotations

import json

import pytest

from app.services.sandbox import CodeRaised, SandboxLimitExceeded, SandboxPool
from tests.services.sandbox.test_adversarial import slot_uid_processes

FORKS = """
import os, time
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        block = b"x" * ({mb} << 20)   # touched: every page is really used
        time.sleep(1.5)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
print("all children finished")
"""

ONE_PROCESS = "block = b'x' * ({mb} << 20)\nprint('allocated')\n"


def _needs_cgroups(pool: SandboxPool) -> None:
    if pool.run_limits.memory_cgroup is None:
        pytest.skip(f"no writable cgroup here: {pool.run_limits.describe()}")


@pytest.mark.parametrize("payload", [FORKS, ONE_PROCESS], ids=["three_forks", "one_process"])
async def test_a_run_over_its_memory_cap_fails_and_leaves_nothing(
    raw_pool: SandboxPool, payload: str
) -> None:
    _needs_cgroups(raw_pool)
    cap = raw_pool.settings.memory_limit_mb
    # Each part stays under the per-process address-space limit; together they exceed the run's cap.
    per_part = cap * 6 // 10 if payload is FORKS else cap * 3 // 2
    assert per_part + 2200 < raw_pool.settings.address_space_limit_mb or payload is FORKS
    with pytest.raises(SandboxLimitExceeded) as info:
        await raw_pool.run(payload.format(mb=per_part), {}, timeout_s=20)
    assert info.value.fields["limit"] == "memory"
    assert f"memory limit {cap} MB exceeded" in info.value.message
    assert slot_uid_processes(raw_pool.slot_uids) == []
    with pytest.raises(CodeRaised, match="ZeroDivisionError"):  # and the slot still serves
        await raw_pool.run("x = 1 / 0\n", {})


async def test_a_run_under_its_cap_is_not_affected(raw_pool: SandboxPool) -> None:
    _needs_cgroups(raw_pool)
    cap = raw_pool.settings.memory_limit_mb
    with pytest.raises(CodeRaised, match="all children finished"):
        await raw_pool.run(FORKS.format(mb=cap // 5) + "raise RuntimeError('all children finished')\n", {})


async def test_each_run_has_its_own_memory_and_pids_cgroup(raw_pool: SandboxPool) -> None:
    _needs_cgroups(raw_pool)
    code = (
        "import json\nraise RuntimeError('CGROUPS:' + json.dumps(open('/proc/self/cgroup').read().split()))\n"
    )
    seen = []
    for _ in range(2 * raw_pool.settings.pool_size):
        with pytest.raises(CodeRaised) as info:
            await raw_pool.run(code, {})
        lines = json.loads(info.value.message.split("CGROUPS:", 1)[1].split("\n")[0])
        mine = {line.split(":")[1]: line.split(":")[2] for line in lines if line.split(":")[1]}
        if raw_pool.run_limits.version == 1:
            assert "/run-" in mine["memory"] and "/run-" in mine["pids"], mine
            seen.append(mine["memory"])
        else:
            seen.append(lines[0].split(":")[2])
    assert len(set(seen)) == len(seen), seen  # a fresh cgroup for every run
