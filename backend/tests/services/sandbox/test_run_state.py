"""No state from one run reaches the next run on the same slot (finding 1 of issue 15).

Each payload runs straight in a slot (the policy is off in `raw_pool`). Runs are sent to every slot at once
(one per slot), so each later "look" lands on a slot where a "plant" ran just before. A plant tries every
channel the attack used: a SysV shared-memory segment filled and given to uid 0 with IPC_SET (the old
reaper removed only objects owned by the slot uid), a message queue and a semaphore set given away likewise,
a key in the slot uid's kernel keyring, a POSIX message queue, a plain file and a locked directory in the
runs directory (`shutil.rmtree(ignore_errors=True)` failed on both silently).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from app.services.sandbox import CodeRaised, SandboxPool

PLANT = r"""
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.shmat.restype = ctypes.c_void_p
MARK = b"stratcrew-state-marker"
IPC_CREAT, IPC_SET, IPC_STAT = 0o1000, 1, 2
done = {}

def give_to_root(ctl, ident, *extra):
    buf = ctypes.create_string_buffer(512)
    ctl(ident, *extra, IPC_STAT, buf)
    ctypes.c_uint32.from_buffer(buf, 4).value = 0  # ipc_perm.uid: the owner becomes root
    return ctl(ident, *extra, IPC_SET, buf)

shm = libc.shmget(0x5EED, 1 << 20, IPC_CREAT | 0o666)
done["shm"] = [shm, ctypes.get_errno()]
if shm >= 0:
    ctypes.memmove(libc.shmat(shm, None, 0), MARK, len(MARK))
    done["shm_chown"] = give_to_root(libc.shmctl, shm)
msq = libc.msgget(0x5EEE, IPC_CREAT | 0o666)
done["msg"] = [msq, ctypes.get_errno()]
if msq >= 0:
    message = ctypes.create_string_buffer(8 + len(MARK))
    ctypes.c_long.from_buffer(message).value = 1
    ctypes.memmove(ctypes.addressof(message) + 8, MARK, len(MARK))
    libc.msgsnd(msq, message, len(MARK), 0o4000)
    done["msg_chown"] = give_to_root(libc.msgctl, msq)
sem = libc.semget(0x5EEF, 1, IPC_CREAT | 0o666)
done["sem"] = [sem, ctypes.get_errno()]
if sem >= 0:
    done["sem_chown"] = give_to_root(libc.semctl, sem, 0)
key = libc.syscall(248, b"user", b"stratcrew-marker", MARK, len(MARK), ctypes.c_long(-4))  # add_key
done["key"] = [key, ctypes.get_errno()]
mq = libc.mq_open(b"/stratcrew-marker", os.O_CREAT | os.O_RDWR, 0o666, None)
done["posix_mq"] = [mq, ctypes.get_errno()]
try:
    with open("/tmp/runs/stratcrew-marker", "w") as fh:  # beside the run directory, not in it
        fh.write("marker")
except OSError as exc:
    done["beside"] = str(exc)
os.makedirs("locked/inner")
open("locked/inner/file", "w").write("marker")
os.chmod("locked/inner", 0)
os.chmod("locked", 0)
raise RuntimeError("PLANTED:" + json.dumps(done))
"""

LOOK = r"""
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
found = {}
for kind in ("shm", "msg", "sem"):
    with open(f"/proc/sysvipc/{kind}") as fh:
        found[kind] = fh.read().splitlines()[1:]
found["shmget"] = libc.shmget(0x5EED, 0, 0)
found["key"] = libc.syscall(250, 10, ctypes.c_long(-4), b"user", b"stratcrew-marker", 0)  # KEYCTL_SEARCH
found["posix_mq"] = libc.mq_open(b"/stratcrew-marker", os.O_RDONLY, 0, None)
try:
    found["runs"] = sorted(os.listdir("/tmp/runs"))
except PermissionError:
    found["runs"] = "not listable"
found["beside"] = os.path.exists("/tmp/runs/stratcrew-marker")
found["locked"] = [name for name in ("locked", "../locked") if os.path.exists(name)]
found["own"] = os.path.basename(os.getcwd())
raise RuntimeError("FOUND:" + json.dumps(found))
"""


async def _run_on_every_slot(pool: SandboxPool, code: str, tag: str) -> list[dict[str, object]]:
    """One run per slot, all at once; each run's report (it raises with `tag` + JSON)."""
    results = await asyncio.gather(
        *(pool.run(code, {}) for _ in range(pool.settings.pool_size)), return_exceptions=True
    )
    reports = []
    for outcome in results:
        assert isinstance(outcome, CodeRaised), outcome
        reports.append(json.loads(outcome.message.split(tag, 1)[1]))
    return reports


async def test_no_ipc_keyring_or_file_survives_into_the_next_run(raw_pool: SandboxPool) -> None:
    for _ in range(2):
        await _run_on_every_slot(raw_pool, PLANT, "PLANTED:")
        for found in await _run_on_every_slot(raw_pool, LOOK, "FOUND:"):
            assert found["shm"] == found["msg"] == found["sem"] == [], found
            assert found["shmget"] == -1, found
            assert found["key"] == -1, found
            assert found["posix_mq"] == -1, found
            assert found["runs"] in ([found["own"]], "not listable"), found
            assert not found["beside"] and not found["locked"], found  # only this run's own, fresh directory


WRITABLE = r"""
import json, os
# Read-only mounts cannot be written whatever their modes: walk the writable ones (/proc aside).
mounts = [line.split() for line in open("/proc/self/mounts")]
points = {m[1] for m in mounts}
roots = [m[1] for m in mounts if "rw" in m[3].split(",") and m[2] != "proc"] + [os.getcwd()]
writable = []
for top in roots:
    for root, dirs, files in os.walk(top):
        # Each mount is walked from its own root (or not at all, when read-only or /proc).
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in points]
        if os.access(root, os.W_OK):
            writable.append(root)
raise RuntimeError("WRITABLE:" + json.dumps({"writable": writable, "own": os.getcwd(), "roots": roots}))
"""


async def test_a_run_can_write_only_its_own_directory(raw_pool: SandboxPool) -> None:
    """A run's own fresh directory (which the reaper empties) is the only place it can write to."""
    with pytest.raises(CodeRaised) as info:
        await raw_pool.run(WRITABLE, {})
    report = json.loads(info.value.message.split("WRITABLE:", 1)[1])
    own = report["own"]
    assert own.startswith("/tmp/runs/r")
    assert own in report["writable"]
    assert all(w == own or w.startswith(own + "/") for w in report["writable"]), report


CACHE = r"""
import json, os
found = {"listable": True, "readable": []}
try:
    os.listdir("/var/cache/numba")
    names = [os.path.join(r, f) for r, _, fs in os.walk("/var/cache/numba") for f in fs]
except PermissionError:
    found["listable"] = False
    names = []
for name in names:
    try:
        open(name, "rb").read(1)
        found["readable"].append(name)
    except OSError:
        pass
raise RuntimeError("CACHE:" + json.dumps(found))
"""


async def test_the_numba_cache_is_owner_only_and_unreadable_from_a_run(raw_pool: SandboxPool) -> None:
    """docs/security.md: the zygote's numba cache files are root's and 0600 (pickles); a run reads none."""
    cache = raw_pool.settings.numba_cache_dir
    modes = {p: p.stat().st_mode & 0o777 for p in [cache, *cache.rglob("*")]}
    assert any(p.is_file() for p in modes), "the warm-up wrote no cache files"
    wider = {str(p): oct(m) for p, m in modes.items() if m & 0o077}
    assert not wider, wider
    with pytest.raises(CodeRaised) as info:
        await raw_pool.run(CACHE, {})
    found = json.loads(info.value.message.split("CACHE:", 1)[1])
    assert found == {"listable": False, "readable": []}
