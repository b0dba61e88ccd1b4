"""The syscall filter every sandbox runs under: a classic BPF program handed to bubblewrap (`--seccomp FD`).

bubblewrap loads it just before it starts the zygote, so the zygote, the child forked ahead and every run
inherit it (a filter cannot be removed, only added to), and building it costs nothing per run.

What it denies, with EPERM: kernel keyrings (`keyctl`, `add_key`, `request_key`: a uid's keyring outlives
its processes), SysV IPC and POSIX message queues (they outlive a run; nothing in the stack uses them:
`strace -f -c` of the warm-up, which runs vectorbt, numba, numpy and pandas, shows none), new namespaces
(`unshare`, `setns`, and `clone` with any `CLONE_NEW*` flag), mounts of every kind (`mount`, `umount2`,
`pivot_root`, `chroot` and the new mount API), `ptrace` and `process_vm_readv/writev`, `bpf`,
`perf_event_open`, `userfaultfd`, `kexec_*`, kernel modules, `io_uring`, clock and host-name changes, swap,
reboot, accounting, quotas, `open_by_handle_at`, `kcmp`, `pidfd_getfd`, and `personality` with anything
but the default persona (0) or a query (0xffffffff). `clone3` gets ENOSYS: its flags sit in memory a filter
cannot read, and glibc falls back to `clone`, whose flags it can. A call made through another ABI (32-bit
`int 0x80`, x32) gets ENOSYS: the table below is for the native one only. Everything else is allowed.

>>> program = build_filter("x86_64")
>>> len(program) % 8, len(program) // 8 > len(DENIED)
(0, True)
"""

from __future__ import annotations

import errno
import struct
from dataclasses import dataclass

# Classic BPF opcodes (linux/filter.h) and seccomp constants (linux/seccomp.h, linux/audit.h).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_NR_OFFSET, _ARCH_OFFSET, _ARG0_LOW_OFFSET = 0, 4, 16
_X32_BIT = 0x40000000

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}

# clone() flags that create a namespace (CLONE_NEWTIME is 0x80, which clone() reads as the exit signal).
CLONE_NEW_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000

# name: (x86_64 number, aarch64 number or None), from the kernel's unistd headers (the tests compare them).
_TABLE: dict[str, tuple[int, int | None]] = {
    "keyctl": (250, 219), "add_key": (248, 217), "request_key": (249, 218),
    "shmget": (29, 194), "shmat": (30, 196), "shmdt": (67, 197), "shmctl": (31, 195),
    "msgget": (68, 186), "msgsnd": (69, 189), "msgrcv": (70, 188), "msgctl": (71, 187),
    "semget": (64, 190), "semop": (65, 193), "semtimedop": (220, 192), "semctl": (66, 191),
    "mq_open": (240, 180), "mq_unlink": (241, 181), "mq_timedsend": (242, 182),
    "mq_timedreceive": (243, 183), "mq_notify": (244, 184), "mq_getsetattr": (245, 185),
    "unshare": (272, 97), "setns": (308, 268),
    "mount": (165, 40), "umount2": (166, 39), "pivot_root": (155, 41), "chroot": (161, 51),
    "open_tree": (428, 428), "move_mount": (429, 429), "fsopen": (430, 430), "fsconfig": (431, 431),
    "fsmount": (432, 432), "fspick": (433, 433), "mount_setattr": (442, 442),
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "bpf": (321, 280), "perf_event_open": (298, 241), "userfaultfd": (323, 282),
    "kexec_load": (246, 104), "kexec_file_load": (320, 294),
    "init_module": (175, 105), "finit_module": (313, 273), "delete_module": (176, 106),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "acct": (163, 89), "swapon": (167, 224), "swapoff": (168, 225), "reboot": (169, 142),
    "sethostname": (170, 161), "setdomainname": (171, 162), "syslog": (103, 116),
    "iopl": (172, None), "ioperm": (173, None), "modify_ldt": (154, None), "uselib": (134, None),
    "ustat": (136, None), "sysfs": (139, None), "_sysctl": (156, None), "create_module": (174, None),
    "get_kernel_syms": (177, None), "query_module": (178, None), "nfsservctl": (180, 42),
    "open_by_handle_at": (304, 265), "name_to_handle_at": (303, 264), "quotactl": (179, 60),
    "quotactl_fd": (443, 443), "lookup_dcookie": (212, 18), "fanotify_init": (300, 262),
    "kcmp": (312, 272), "pidfd_getfd": (438, 438), "settimeofday": (164, 170),
    "clock_settime": (227, 112), "clock_adjtime": (305, 266), "adjtimex": (159, 171), "vhangup": (153, 58),
    # Not denied outright: checked below.
    "clone": (56, 220), "clone3": (435, 435), "personality": (135, 92),
}  # fmt: skip
_CHECKED = frozenset({"clone", "clone3", "personality"})
DENIED = tuple(name for name in _TABLE if name not in _CHECKED)
PERSONALITY_ALLOWED = (0, 0xFFFFFFFF)  # PER_LINUX, and the query glibc's personality(-1) makes


def syscall_numbers(arch: str) -> dict[str, int]:
    """The table's numbers for `arch` (names the architecture does not have are left out)."""
    column = {"x86_64": 0, "aarch64": 1}.get(arch)
    if column is None:
        raise ValueError(f"no syscall table for {arch} (have: {', '.join(AUDIT_ARCH)})")
    found = {name: numbers[column] for name, numbers in _TABLE.items()}
    return {name: number for name, number in found.items() if number is not None}


Target = str | int  # a label, or a relative jump


@dataclass(frozen=True)
class _Op:
    code: int
    k: int
    on_true: Target = 0
    on_false: Target = 0


@dataclass(frozen=True)
class _Label:
    name: str


def build_filter(arch: str) -> bytes:
    """The filter as bubblewrap reads it: an array of `struct sock_filter` in native byte order."""
    numbers = syscall_numbers(arch)
    eperm, enosys = _RET_ERRNO | errno.EPERM, _RET_ERRNO | errno.ENOSYS
    program: list[_Op | _Label] = [
        _Op(_LD_W_ABS, _ARCH_OFFSET),
        _Op(_JEQ_K, AUDIT_ARCH[arch], on_false="other_abi"),
        _Op(_LD_W_ABS, _NR_OFFSET),
    ]
    if arch == "x86_64":
        program.append(_Op(_JGE_K, _X32_BIT, on_true="other_abi"))
    program += [_Op(_JEQ_K, numbers[name], on_true="deny") for name in DENIED if name in numbers]
    program += [
        _Op(_JEQ_K, numbers["clone"], on_true="clone"),
        _Op(_JEQ_K, numbers["clone3"], on_true="other_abi"),
        _Op(_JEQ_K, numbers["personality"], on_true="personality"),
        _Op(_RET_K, _RET_ALLOW),
        _Label("clone"),
        _Op(_LD_W_ABS, _ARG0_LOW_OFFSET),
        _Op(_JSET_K, CLONE_NEW_FLAGS, on_true="deny"),
        _Op(_RET_K, _RET_ALLOW),
        _Label("personality"),
        _Op(_LD_W_ABS, _ARG0_LOW_OFFSET),
        *[_Op(_JEQ_K, value, on_true="allow") for value in PERSONALITY_ALLOWED],
        _Label("deny"),
        _Op(_RET_K, eperm),
        _Label("allow"),
        _Op(_RET_K, _RET_ALLOW),
        _Label("other_abi"),
        _Op(_RET_K, enosys),
    ]
    return _assemble(program)


def _assemble(program: list[_Op | _Label]) -> bytes:
    labels: dict[str, int] = {}
    ops: list[_Op] = []
    for item in program:
        if isinstance(item, _Label):
            labels[item.name] = len(ops)
        else:
            ops.append(item)
    out = bytearray()
    for position, op in enumerate(ops):
        jumps = []
        for target in (op.on_true, op.on_false):
            offset = labels[target] - position - 1 if isinstance(target, str) else target
            if not 0 <= offset <= 255:
                raise ValueError(f"a jump of {offset} instructions does not fit a classic BPF jump")
            jumps.append(offset)
        out += struct.pack("=HBBI", op.code, jumps[0], jumps[1], op.k)
    return bytes(out)
