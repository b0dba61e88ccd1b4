"""Build the bubblewrap command line for one zygote sandbox, and probe whether bubblewrap works here.

The sandbox sees only: the Python install and the venv's site-packages (read-only, at their host paths so
numba's on-disk cache keys match), /usr/lib and /usr/lib64 (shared libraries), the harness package, the numba
cache directory (writable, but only by the sandbox's uid 0, the trusted zygote: runs use a per-slot uid),
a fresh /proc and /dev, and a size-capped tmpfs on /tmp. No /etc, no /home, no host /tmp, no data root:
market data arrives as already-open read-only file descriptors per run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from app.core.config_sandbox import SandboxSettings
from app.services.sandbox.errors import SandboxUnavailable

HARNESS_PATH = Path(__file__).with_name("harness")
SANDBOX_HARNESS = "/sandbox/harness"
SANDBOX_NUMBA_CACHE = "/var/cache/numba"
SANDBOX_PACKAGES = "/sandbox/packages"

# Environment of the zygote: nothing from the host. One thread per BLAS/numba pool keeps fork safe and the
# process count predictable.
SANDBOX_ENV = {
    "PATH": "/nonexistent",
    "HOME": "/tmp",
    "TZ": "UTC",
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
    "NUMBA_CACHE_DIR": SANDBOX_NUMBA_CACHE,
    "MPLBACKEND": "Agg",
}


def resolve_bwrap(settings: SandboxSettings) -> str | None:
    return shutil.which(settings.bwrap_path)


def _parents(path: PurePosixPath) -> list[str]:
    """Each ancestor of `path` (outermost first), excluding '/'."""
    return [str(p) for p in reversed(path.parents) if str(p) != "/"]


def _ro_bind_with_parents(args: list[str], created: set[str], src: Path, dest: str) -> None:
    # bwrap creates missing parents with mode 0700, which the slot uid could not traverse; create them 0755.
    for parent in _parents(PurePosixPath(dest)):
        if parent not in created:
            args += ["--perms", "0755", "--dir", parent]
            created.add(parent)
    args += ["--ro-bind", str(src), dest]
    created.add(dest)


def build_command(
    settings: SandboxSettings,
    bwrap: str,
    python_args: list[str],
    *,
    numba_cache: Path,
    packages: Mapping[str, Path] | None = None,
    seccomp_fd: int | None = None,
    cgroup_binds: Sequence[str] = (),
    unshare_cgroup: bool = True,
) -> list[str]:
    """The full argv: `bwrap <isolation flags> -- <python> <python_args>`.

    `seccomp_fd`: an fd (passed to bwrap) holding the syscall filter (`seccomp.build_filter`);
    `cgroup_binds`: the slot's cgroup directories (`cgroups.RunLimits.bind_args`); `unshare_cgroup` False
    for cgroup v2, where a run's cgroup must stay inside the namespace of whoever moves the run into it.
    """
    args = [
        bwrap,
        "--unshare-net",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        *(["--unshare-cgroup-try"] if unshare_cgroup else []),
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--cap-drop",
        "ALL",
        # The zygote keeps only what it needs to switch a child to the slot uid and to hand it its run
        # directory; a child loses these too when it drops to that uid.
        "--cap-add",
        "CAP_SETUID",
        "--cap-add",
        "CAP_SETGID",
        "--cap-add",
        "CAP_CHOWN",
    ]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    for key, value in SANDBOX_ENV.items():
        args += ["--setenv", key, value]
    # The tmpfs goes first: binds made later under /tmp (a checkout or venv living there) land inside it
    # instead of being hidden by it.
    args += ["--size", str(settings.tmpfs_size_mb * 1024 * 1024), "--perms", "0755", "--tmpfs", "/tmp"]
    created: set[str] = {"/tmp"}
    for lib in ("/usr/lib", "/usr/lib64"):
        if Path(lib).is_dir():
            _ro_bind_with_parents(args, created, Path(lib), lib)
    for link in ("/lib", "/lib64", "/bin"):
        path = Path(link)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), link]
        elif link != "/bin" and path.is_dir():
            _ro_bind_with_parents(args, created, path, link)
    prefix = settings.python_prefix.resolve()
    _ro_bind_with_parents(args, created, prefix, str(prefix))
    for site_dir in settings.site_packages:
        resolved = site_dir.resolve()
        if str(resolved) not in created and not str(resolved).startswith(str(prefix) + "/"):
            _ro_bind_with_parents(args, created, resolved, str(resolved))
    _ro_bind_with_parents(args, created, HARNESS_PATH, SANDBOX_HARNESS)
    for name, path in (packages or {}).items():
        _ro_bind_with_parents(args, created, path.resolve(), package_dir(name))
    args += ["--perms", "0755", "--dir", "/var", "--perms", "0755", "--dir", "/var/cache"]
    args += ["--bind", str(numba_cache), SANDBOX_NUMBA_CACHE]
    args += list(cgroup_binds)
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--chdir", "/tmp", "--", python_executable(settings), "-I", "-S", *python_args]
    return args


def package_dir(name: str) -> str:
    """Where a trusted package (`SandboxPool(packages=...)`) is bound read-only inside the sandbox."""
    return f"{SANDBOX_PACKAGES}/{name}"


def zygote_args(harness_dir: str = SANDBOX_HARNESS) -> list[str]:
    """Python arguments that start `harness.zygote.main` from the package at `harness_dir`; the JSON config
    follows as the one argument. The package is loaded by its location, so no directory goes on sys.path:
    the unsandboxed fallback would otherwise put all of `app/services/sandbox` there, and its modules
    (`settings`, `errors`, `pipes`...) would shadow any library module of the same name."""
    init = f"{harness_dir}/__init__.py"
    return [
        "-c",
        "import importlib.util as u, json, sys; "
        f"s = u.spec_from_file_location('harness', {init!r}, submodule_search_locations=[{harness_dir!r}]); "
        "m = sys.modules['harness'] = u.module_from_spec(s); s.loader.exec_module(m); "
        "import harness.zygote as z; z.main(json.loads(sys.argv[1]))",
    ]


def python_executable(settings: SandboxSettings) -> str:
    prefix = settings.python_prefix.resolve()
    for name in ("python3.11", "python3", "python"):
        candidate = prefix / "bin" / name
        if candidate.exists():
            return str(candidate.resolve())
    raise SandboxUnavailable(f"no Python interpreter under {prefix}/bin")


def probe(
    settings: SandboxSettings, numba_cache: Path, uid: int, seccomp_program: bytes | None
) -> str | None:
    """None when the full isolation works here (switching to `uid` inside, under the syscall filter if one
    is given); else the reason it does not."""
    bwrap = resolve_bwrap(settings)
    if bwrap is None:
        return f"bubblewrap ({settings.bwrap_path!r}) is not installed"
    if os.geteuid() != 0:
        return "per-slot uids need the service to start bubblewrap as root"
    check = (
        f"import os;os.setgroups([]);os.setresgid({uid},{uid},{uid});os.setresuid({uid},{uid},{uid});"
        "import socket;s=socket.socket();"
        "seccomp=[l.split()[1] for l in open('/proc/self/status') if l.startswith('Seccomp:')][0];"
        "print(os.getuid(), os.path.exists('/etc/passwd'), seccomp)"
    )
    filter_fd = program_fd(seccomp_program) if seccomp_program is not None else None
    command = build_command(settings, bwrap, ["-c", check], numba_cache=numba_cache, seccomp_fd=filter_fd)
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            pass_fds=[filter_fd] if filter_fd is not None else [],
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap failed to start: {exc}"
    finally:
        if filter_fd is not None:
            os.close(filter_fd)
    expected = [str(uid), "False", "2" if seccomp_program is not None else "0"]
    if done.returncode != 0 or done.stdout.split() != expected:
        return (
            f"bubblewrap probe failed (exit {done.returncode}, printed {done.stdout.split()}, expected "
            f"{expected}): {done.stderr.strip()[-500:]}"
        )
    return None


def program_fd(program: bytes) -> int:
    """A memfd holding the syscall filter for `bwrap --seccomp FD` (read from its start to its end)."""
    fd = os.memfd_create("seccomp", os.MFD_CLOEXEC)  # pass_fds hands it to bwrap
    os.write(fd, program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
