"""The scale-out topology as real processes on loopback: a private redis-server, a fresh PostgreSQL database,
API processes (uvicorn) and worker processes (`python -m app.worker_main`), each with its own environment.

Used by the scale tests and by `bench/bench_scale.py`. Every process is started here and stopped here, by its
own pid; nothing else on the machine is touched (the shared Redis on 6379 is left alone: the Redis restart
fault restarts the private server).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.utils.databases import TestDatabase, create_test_database

BACKEND = Path(__file__).resolve().parents[2]
REPO = BACKEND.parent
PYTHON = sys.executable
START_MARK = "--- start ---"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


class PrivateRedis:
    """A redis-server of our own (no persistence, as the machine's), so restarting it disturbs nobody."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port, 10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        log.write(f"{START_MARK}\n".encode())
        log.flush()
        self.popen = subprocess.Popen(
            self.args, env=self.env, cwd=BACKEND, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, signum: int) -> None:
        if self.alive():
            assert self.popen is not None
            self.popen.send_signal(signum)

    def stop(self, timeout_s: float = 30) -> int | None:
        if self.popen is None:
            return None
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)
        return self.popen.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Topology:
    database: TestDatabase
    redis: PrivateRedis
    data_dir: Path
    settings: dict[str, str] = field(default_factory=dict)
    apis: list[Proc] = field(default_factory=list)
    workers: list[Proc] = field(default_factory=list)
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    prefix: str = field(default_factory=lambda: f"scale-{secrets.token_hex(4)}")
    _uid_slot: int = 0

    @classmethod
    def create(cls, **settings: str) -> Topology:
        data_dir = Path(tempfile.mkdtemp(prefix="stratcrew-scale-"))
        database = create_test_database("postgres", data_dir)
        redis = PrivateRedis()
        redis.start()
        return cls(database=database, redis=redis, data_dir=data_dir, settings=settings)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEST_"))}
        env.update(
            {
                "ENVIRONMENT": "test",
                "DATA_DIR": str(self.data_dir),
                "DATABASE_URL": self.database.url,
                "DB_POOL_SIZE": "5",
                "REDIS_URL": self.redis.url,
                "REDIS_PREFIX": self.prefix,
                "QUEUE": "dramatiq",
                "SECRET_KEY": self.secret,
                "MEMORY_ENABLED": "false",  # mem0's local Qdrant is one process's; scale-out uses a server
                "LEASE_S": "6",
                "SWEEP_INTERVAL_S": "1",
                "REQUEUE_AFTER_S": "60",
                "WORKER_HEARTBEAT_TIMEOUT_S": "15",
                "WORKER_SHUTDOWN_GRACE_S": "20",
                "EXECUTION_TIMEOUT_S": "120",
                "SANDBOX_POOL_SIZE": "2",
                "SANDBOX_MAX_QUEUE": "64",
                "SANDBOX_WALL_TIMEOUT_S": "30",
                # These tests put one user's many runs through faults; the per-user limit (tested in
                # test_fairness and test_fair_queue) would otherwise hold most of them back.
                "MAX_RUNNING_PER_USER": "64",
                "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(REPO / ".cache" / "numba")),
                "FRONTEND_DIST": str(self.data_dir / "no-frontend"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.settings)
        env.update(extra)
        return env

    def add_api(self) -> Proc:
        port = free_port()
        index = len(self.apis)
        args = [PYTHON, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
        proc = Proc(
            f"api{index}",
            [*args, "--no-access-log", "--log-level", "warning"],
            self.env(START_WORKER="false", WARM_AGENTS_ON_START="false"),
            self.data_dir / f"api{index}.log",
            port=port,
        )
        self.apis.append(proc)
        proc.start()
        return proc

    def add_worker(self, threads: int = 2) -> Proc:
        index = len(self.workers)
        # Each worker's sandbox slots run as their own uids: RLIMIT_NPROC counts per uid across processes.
        self._uid_slot += 1
        uid_base = 62000 + 100 * self._uid_slot
        proc = Proc(
            f"worker{index}",
            [PYTHON, "-m", "app.worker_main", "--threads", str(threads)],
            self.env(SANDBOX_UID_BASE=str(uid_base), WORKER_CONCURRENCY=str(threads)),
            self.data_dir / f"worker{index}.log",
        )
        self.workers.append(proc)
        proc.start()
        return proc

    def restart(self, proc: Proc, *, sig: int = signal.SIGTERM) -> None:
        proc.signal(sig)
        assert proc.popen is not None
        proc.popen.wait(60)
        proc.start()

    async def wait_ready(self, procs: list[Proc], timeout_s: float = 240) -> None:
        """APIs answer /health; workers have logged that they are warm and consuming."""
        deadline = time.monotonic() + timeout_s
        pending = list(procs)
        async with httpx.AsyncClient(timeout=5) as client:
            while pending:
                for proc in list(pending):
                    if not proc.alive():
                        raise RuntimeError(f"{proc.name} exited early:\n{proc.log()[-4000:]}")
                    if proc.port is not None:
                        try:
                            ok = (await client.get(f"http://127.0.0.1:{proc.port}/health")).status_code == 200
                        except httpx.HTTPError:
                            ok = False
                    else:
                        ok = "stratcrew-worker ready" in proc.log().rsplit(START_MARK, 1)[-1]
                    if ok:
                        pending.remove(proc)
                if pending and time.monotonic() > deadline:
                    logs = "\n".join(f"== {p.name}\n{p.log()[-3000:]}" for p in pending)
                    raise TimeoutError(f"not ready after {timeout_s} s: {[p.name for p in pending]}\n{logs}")
                await asyncio.sleep(0.2)

    def close(self) -> None:
        for proc in [*self.apis, *self.workers]:
            proc.stop(timeout_s=30)
        self.redis.stop()
        self.database.drop()
        if os.environ.get("SCALE_KEEP_LOGS"):
            print(f"\nscale-out logs kept in {self.data_dir}")
        else:
            shutil.rmtree(self.data_dir, ignore_errors=True)
