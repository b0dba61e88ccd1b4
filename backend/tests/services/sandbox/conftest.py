"""Fixtures for the sandbox tests: real S&P 500 data as Parquet, a policy-bypassing pool, a host canary."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pandas as pd
import pytest

from app.services.sandbox import SandboxPool
from tests.plugins.sandbox_pool import sandbox_test_settings, start_pool_or_skip

# Set before any pool starts: the sandbox must not see it.
FAKE_SECRET = "stratcrew-fake-secret-6f1d2c"
os.environ["STRATCREW_FAKE_SECRET"] = FAKE_SECRET


def sp500_frame() -> pd.DataFrame:
    import arch.data.sp500

    path = Path(arch.data.sp500.__file__).with_name("sp500.csv.gz")
    raw = pd.read_csv(path)
    index = pd.DatetimeIndex(pd.to_datetime(raw["Date"], format="%m/%d/%Y"), name="timestamp").tz_localize(
        "UTC"
    )
    frame = raw[["Open", "High", "Low", "Close", "Volume"]].set_axis(index)
    frame.columns = [c.lower() for c in frame.columns]
    return frame.astype("float64")


@pytest.fixture(scope="session")
def market_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("market")
    frame = sp500_frame()
    frame.to_parquet(path / "sp500.parquet")
    # A second, shifted series so multi-symbol strategies have two different columns.
    (frame.iloc[::1] * 0.5).to_parquet(path / "half.parquet")
    return path


@pytest.fixture(scope="session")
async def raw_pool() -> AsyncIterator[SandboxPool]:
    """A pool with the AST policy switched off: the OS layer alone must contain hostile code."""
    settings = sandbox_test_settings(
        enforce_policy=False,
        wall_timeout_s=10.0,
        cpu_limit_s=8,
        memory_limit_mb=1024,
        address_space_limit_mb=4096,
        max_processes=48,
        output_limit_bytes=200_000,
        max_file_size_mb=8,
        max_open_files=128,
    )
    pool = await start_pool_or_skip(settings)
    yield pool
    await pool.close()


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[Path]:
    """A host directory with one file; hostile code tries to change it. It must stay exactly as it is."""
    path = tmp_path / "canary"
    path.mkdir()
    (path / "keep.txt").write_text("untouched")
    yield path


class Listener:
    """A TCP listener on the host's loopback that records whether anybody connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()
