"""What the service remembers about the current user: list it, forget one item, set preferences."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel

from app.api.deps import CurrentUser, MemoryDep
from app.services.memory import MemoryItem, MemoryService, Preferences

__all__ = ["MemoryService", "router"]

router = APIRouter(prefix="/memory", tags=["memory"])


class MemoriesPublic(BaseModel):
    data: list[MemoryItem]
    count: int


@router.get("", response_model=MemoriesPublic)
async def list_memories(user: CurrentUser, memory: MemoryDep) -> MemoriesPublic:
    items = await memory.list(user.id)
    return MemoriesPublic(data=items, count=len(items))


@router.delete("/{memory_id}", status_code=status.HTTP_204_NO_CONTENT)
async def forget_memory(memory_id: str, user: CurrentUser, memory: MemoryDep) -> None:
    await memory.forget(user.id, memory_id)


@router.put("/preferences", response_model=MemoryItem)
async def set_preferences(prefs: Preferences, user: CurrentUser, memory: MemoryDep) -> MemoryItem:
    return await memory.set_preferences(user.id, prefs)
