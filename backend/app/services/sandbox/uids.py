"""Which uids this pool's slots run as, claimed host-wide so no other pool shares them.

A slot's uid is what separates it from every other sandbox on the host where no namespace does:
`RLIMIT_NPROC` counts processes per uid across the whole host, and a uid's kernel keyrings belong to the uid,
not to a namespace. So two services (or two test sessions) on one host must never run slots as the same uid.

Slot `i` of instance `n` runs as `uid_base + UID_BLOCK * n + i` (`SANDBOX_UID_BASE`, `SANDBOX_INSTANCE`).
Each uid is claimed with an exclusive `flock` on `<uid_lock_dir>/uid-<uid>.lock` for as long as the pool
lives; the kernel drops the lock when the process dies, so a crashed service leaves nothing to clean up.
`SANDBOX_INSTANCE=auto` (the default) takes the first instance none of whose uids another pool holds; a
fixed instance that is taken is refused with the holder's pid, never shared. Lock files are per uid, not per
instance, so pools with different `uid_base` whose ranges overlap are caught too.

>>> UID_BLOCK
64
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path

from app.core.config_sandbox import SandboxSettings
from app.services.sandbox.errors import SandboxUnavailable

UID_BLOCK = 64  # the largest pool_size: instance n never overlaps instance n + 1
MAX_AUTO_INSTANCES = 1024


@dataclass
class UidClaim:
    """The uids one pool holds; `release()` (or the process's death) gives them back."""

    instance: int
    uids: list[int]
    _fds: list[int] = field(default_factory=list, repr=False)

    def release(self) -> None:
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()


def slot_uids(settings: SandboxSettings, instance: int) -> list[int]:
    first = settings.uid_base + UID_BLOCK * instance
    return [first + slot for slot in range(settings.pool_size)]


def _holder(path: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        return f"pid {int(path.read_text().strip())}"
    return "another process"


def _try_claim(lock_dir: Path, uids: list[int]) -> tuple[list[int], str | None]:
    """Lock every uid or none: (fds, None) on success, ([], who holds the first taken uid) otherwise."""
    fds: list[int] = []
    for uid in uids:
        path = lock_dir / f"uid-{uid}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            for taken in fds:
                os.close(taken)
            return [], f"uid {uid} is held by {_holder(path)}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        fds.append(fd)
    return fds, None


def claim_uids(settings: SandboxSettings) -> UidClaim:
    """Claim this pool's slot uids on this host (see the module docstring)."""
    lock_dir = settings.uid_lock_dir
    try:
        lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise SandboxUnavailable(f"cannot create the slot uid lock directory {lock_dir}: {exc}") from exc
    if settings.instance != "auto":
        uids = slot_uids(settings, settings.instance)
        fds, taken = _try_claim(lock_dir, uids)
        if taken is not None:
            raise SandboxUnavailable(
                f"slot uids {uids[0]}-{uids[-1]} (SANDBOX_INSTANCE={settings.instance}) are in use by "
                f"another sandbox pool on this host ({taken}); give each service its own SANDBOX_INSTANCE, "
                "or 'auto'"
            )
        return UidClaim(settings.instance, uids, fds)
    for instance in range(MAX_AUTO_INSTANCES):
        uids = slot_uids(settings, instance)
        fds, taken = _try_claim(lock_dir, uids)
        if taken is None:
            return UidClaim(instance, uids, fds)
    raise SandboxUnavailable(
        f"all {MAX_AUTO_INSTANCES} sandbox uid blocks from uid {settings.uid_base} are in use on this host"
    )
