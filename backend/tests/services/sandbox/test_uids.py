"""Slot uids are claimed host-wide: two pools (two services, two test sessions) never run slots as one uid."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.services.sandbox import CodeRaised, SandboxPool, SandboxSettings, SandboxUnavailable
from app.services.sandbox.uids import UID_BLOCK, claim_uids


def settings(lock_dir: Path, **overrides: object) -> SandboxSettings:
    return SandboxSettings(uid_lock_dir=lock_dir, pool_size=3, **overrides)  # type: ignore[arg-type]


def test_auto_claims_are_disjoint_and_released(tmp_path: Path) -> None:
    first = claim_uids(settings(tmp_path))
    second = claim_uids(settings(tmp_path))
    try:
        assert first.uids == [61000, 61001, 61002]
        assert second.uids == [61000 + UID_BLOCK, 61001 + UID_BLOCK, 61002 + UID_BLOCK]
        assert second.instance == 1
    finally:
        first.release()
    again = claim_uids(settings(tmp_path))  # the freed block is taken again
    assert again.uids == [61000, 61001, 61002]
    again.release()
    second.release()


def test_a_fixed_instance_in_use_is_refused_with_its_holder(tmp_path: Path) -> None:
    held = claim_uids(settings(tmp_path, instance=2))
    try:
        assert held.uids[0] == 61000 + 2 * UID_BLOCK
        with pytest.raises(SandboxUnavailable) as info:
            claim_uids(settings(tmp_path, instance=2))
        assert f"pid {os.getpid()}" in info.value.message
        assert "SANDBOX_INSTANCE=2" in info.value.message
    finally:
        held.release()


def test_overlapping_ranges_with_another_base_are_caught(tmp_path: Path) -> None:
    held = claim_uids(settings(tmp_path, instance=0))  # 61000-61002
    try:
        with pytest.raises(SandboxUnavailable, match="uid 61002 is held"):
            claim_uids(settings(tmp_path, uid_base=61002, instance=0))
        shifted = claim_uids(settings(tmp_path, uid_base=61002))  # auto: moves to its next block
        assert shifted.uids[0] == 61002 + UID_BLOCK
        shifted.release()
    finally:
        held.release()


def test_another_process_holding_a_block_is_avoided_until_it_dies(tmp_path: Path) -> None:
    """As a second service (or test session) on the host would: its claim lives exactly as long as it does."""
    holder = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from app.services.sandbox import SandboxSettings
        from app.services.sandbox.uids import claim_uids
        claim = claim_uids(SandboxSettings(uid_lock_dir=Path({str(tmp_path)!r}), pool_size=3))
        print(claim.uids[0], flush=True)
        sys.stdin.read()
    """)
    backend = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen(
        [sys.executable, "-c", holder], cwd=backend, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "61000"
        mine = claim_uids(settings(tmp_path))
        assert mine.uids[0] == 61000 + UID_BLOCK
        mine.release()
    finally:
        proc.kill()
        proc.wait()
    after = claim_uids(settings(tmp_path))
    assert after.uids[0] == 61000
    after.release()


async def test_two_live_pools_run_as_different_uids(sandbox_pool: SandboxPool, raw_pool: SandboxPool) -> None:
    if os.geteuid() != 0:
        pytest.skip("per-slot uids need root")
    assert sandbox_pool.slot_uids and raw_pool.slot_uids
    assert not set(sandbox_pool.slot_uids) & set(raw_pool.slot_uids)
    seen = set()
    for _ in range(raw_pool.settings.pool_size * 2):
        with pytest.raises(CodeRaised) as info:
            await raw_pool.run("import os\nraise RuntimeError(f'UID:{os.getuid()}')\n", {})
        seen.add(int(info.value.message.split("UID:")[1].split()[0]))
    assert seen <= set(raw_pool.slot_uids)
