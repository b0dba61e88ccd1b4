"""The syscall filter (finding 2 of issue 15): each denied call fails with EPERM inside a run.

Syscall numbers in the payload come from the kernel's own header, parsed here, not from the filter's table,
so a wrong number in the table is caught. Arguments are chosen so that, without the filter, most calls
would succeed or fail with another errno (ENOENT, EINVAL, EBADF...): EPERM is then the filter's answer.
"""

from __future__ import annotations

import errno
import json
import platform
import re
from pathlib import Path

import pytest

from app.services.sandbox import CodeRaised, SandboxPool
from app.services.sandbox.seccomp import DENIED, build_filter, syscall_numbers
from tests.services.sandbox.test_pool import MA_CODE

HEADERS = {
    "x86_64": Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
    "aarch64": Path("/usr/include/asm-generic/unistd.h"),
}


def header_numbers(arch: str) -> dict[str, int]:
    path = HEADERS[arch]
    if not path.exists():
        pytest.skip(f"{path} is not installed")
    found = re.findall(r"#define __NR(?:3264)?_(\w+)\s+(\d+)\b", path.read_text())
    return {name: int(number) for name, number in found}


@pytest.mark.parametrize("arch", ["x86_64", "aarch64"])
def test_the_filter_table_matches_the_kernel_headers(arch: str) -> None:
    headers = header_numbers(arch)
    table = syscall_numbers(arch)
    assert table, arch
    for name, number in table.items():
        assert headers.get(name) == number, f"{arch} {name}: table {number}, header {headers.get(name)}"
    # Every call the issue names is in the table of an architecture that has it.
    named = {
        "keyctl", "add_key", "request_key", "shmget", "msgget", "semget", "mq_open", "unshare", "setns",
        "mount", "umount2", "pivot_root", "chroot", "ptrace", "process_vm_readv", "process_vm_writev",
        "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load", "init_module",
        "finit_module", "delete_module",
    }  # fmt: skip
    assert {n for n in named if n in headers} <= set(table) & set(DENIED)


def test_the_program_is_whole_instructions_and_refuses_foreign_architectures() -> None:
    program = build_filter("x86_64")
    assert len(program) % 8 == 0 and 0 < len(program) // 8 < 4096
    with pytest.raises(ValueError, match="no syscall table for mips"):
        build_filter("mips")


# (name, args): each call with arguments that would be harmless if it were allowed.
CALLS = r"""
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR = json.loads(NUMBERS)
buf = ctypes.create_string_buffer(64)


class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


iov = ctypes.byref(Iovec(ctypes.addressof(buf), 8))
L = ctypes.c_long
CALLS = {
    "keyctl": (0, L(-4), 0),                                    # KEYCTL_GET_KEYRING_ID of the user keyring
    "add_key": (b"user", b"k", b"v", 1, L(-4)),
    "request_key": (b"user", b"k", None, 0),
    "shmget": (0, 4096, 0o1600), "msgget": (0, 0o1600), "semget": (0, 1, 0o1600),
    "shmctl": (0, 2, buf), "msgctl": (0, 2, buf), "semctl": (0, 0, 2, buf),
    "shmat": (0, None, 0), "shmdt": (buf,), "msgsnd": (0, buf, 1, 0o4000), "msgrcv": (0, buf, 1, 0, 0o4000),
    "semop": (0, buf, 1), "semtimedop": (0, buf, 1, None),
    "mq_open": (b"stratcrew", 0o100 | 2, 0o600, None), "mq_unlink": (b"stratcrew",),
    "mq_timedsend": (-1, buf, 1, 0, None), "mq_timedreceive": (-1, buf, 1, None, None),
    "mq_notify": (-1, None), "mq_getsetattr": (-1, None, buf),
    "unshare": (0,),                                            # a no-op when allowed
    "setns": (-1, 0), "mount": (b"none", b"/tmp", b"tmpfs", 0, None), "umount2": (b"/nonexistent", 0),
    "pivot_root": (b"/nonexistent", b"/nonexistent"), "chroot": (b"/nonexistent",),
    "process_vm_readv": (os.getpid(), iov, 1, iov, 1, 0),
    "process_vm_writev": (os.getpid(), iov, 1, iov, 1, 0),
    "bpf": (0, None, 0), "perf_event_open": (None, 0, -1, -1, 0), "userfaultfd": (1,),
    "kexec_load": (0, 0, None, 0), "kexec_file_load": (-1, -1, 0, b"", 0),
    "init_module": (None, 0, b""), "finit_module": (-1, b"", 0), "delete_module": (b"nonexistent", 0),
    "personality": (0x0040000,),                                # ADDR_NO_RANDOMIZE
    "io_uring_setup": (1, buf), "open_tree": (-100, b"/", 0), "fsopen": (b"tmpfs", 0),
}
out = {}
for name, args in CALLS.items():
    if name not in NR:
        continue
    ctypes.set_errno(0)
    result = libc.syscall(L(NR[name]), *args)
    out[name] = [result, ctypes.get_errno()]
# Namespaces through clone(): the flags a fork would never pass.
pid = libc.syscall(L(NR["clone"]), L(0x10000000 | 17), None, None, None, None)  # CLONE_NEWUSER | SIGCHLD
if pid == 0:
    os._exit(0)
out["clone_newuser"] = [pid, ctypes.get_errno()]
if pid > 0:
    os.waitpid(pid, 0)
# Last: a successful PTRACE_TRACEME would stop this process at its next signal (its tracer, the zygote,
# would never resume it).
out["ptrace"] = [libc.syscall(L(NR["ptrace"]), 0, 0, 0, 0), ctypes.get_errno()]  # PTRACE_TRACEME
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
out["seccomp_mode"] = status["Seccomp"].strip()
raise RuntimeError("CALLS:" + json.dumps(out))
"""


async def test_each_denied_call_fails_with_eperm_inside_a_run(raw_pool: SandboxPool) -> None:
    arch = platform.machine()
    if arch not in HEADERS:
        pytest.skip(f"no syscall header mapping for {arch}")
    numbers = header_numbers(arch)
    code = f"NUMBERS = {json.dumps(json.dumps(numbers))}\n" + CALLS
    with pytest.raises(CodeRaised) as info:
        await raw_pool.run(code, {})
    out = json.loads(info.value.message.split("CALLS:", 1)[1])
    assert out.pop("seccomp_mode") == "2", "no seccomp filter on the run's process"
    not_denied = {name: got for name, got in out.items() if got != [-1, errno.EPERM]}
    assert not not_denied, f"these calls were not refused with EPERM: {not_denied}"
    assert len(out) >= 40


async def test_normal_backtests_still_run_under_the_filter(raw_pool: SandboxPool, market_dir: Path) -> None:
    """The stack (vectorbt, numba, numpy, pandas) needs none of the denied calls: a backtest (and a thread,
    which glibc starts with clone3, answered ENOSYS so that it falls back to clone) runs."""
    code = MA_CODE + "import threading\nthreading.Thread(target=print).start()\n"
    result = await raw_pool.run(code, {"SPX": market_dir / "sp500.parquet"})
    assert len(result.equity) > 5000 and result.trades
    assert "bars" in result.stdout_tail
