"""Entities: the people, faces, voices and objects a memory knows; rename, merge, forget."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from mnemo.service.errors import ApiError
from mnemo.service.paths import MemoryName
from mnemo.service.state import Service, service
from mnemo.service.urls import finite

router = APIRouter(prefix="/v1/memories/{name}/entities", tags=["entities"])
KINDS = ("person", "face", "voice", "object")


class NameBody(BaseModel):
    name: str = Field(description="The entity's name, e.g. Alice")


class MergeBody(BaseModel):
    keep: str = Field(description="The entity that stays, e.g. entity:3")
    merge: str = Field(description="The entity merged into it")


@router.get("")
async def list_entities(name: MemoryName, kind: str | None = None, svc: Service = Depends(service)) -> list[dict]:
    """Every entity: ref, kind, name, aliases, first and last seen, appearances, and a thumbnail URL."""
    if kind is not None and kind not in KINDS:
        raise ApiError(422, f"kind={kind!r}: expected one of {', '.join(KINDS)}")

    def read(reader) -> list[dict]:
        registry = reader.memory.entities
        return [{**row, "thumbnail": _thumbnail(name, registry, row)} for row in registry.entities(kind=kind)]

    return finite(await svc.reader(name).run(read))


@router.get("/{entity}")
async def get_entity(name: MemoryName, entity: str, svc: Service = Depends(service)) -> dict:
    """One entity and its timeline (every appearance: stream, span, box, event)."""
    def read(reader) -> dict:
        registry = reader.memory.entities
        about = registry.entity(entity)
        return {**about, "thumbnail": _thumbnail(name, registry, about), "timeline": registry.timeline(entity)}

    return finite(await svc.reader(name).run(read))


@router.post("/{entity}/name")
async def name_entity(name: MemoryName, entity: str, body: NameBody, svc: Service = Depends(service)) -> dict:
    """Name an entity (a user's name wins over names read from subtitles or transcripts)."""
    label = " ".join(body.name.split())
    if not label or len(label) > 200:
        raise ApiError(422, "name: expected 1-200 characters")
    return await _change(svc, name, lambda mem: (mem.entities.name(entity, label, source="user"),
                                                 mem.entities.entity(entity))[1])


@router.post("/merge")
async def merge_entities(name: MemoryName, body: MergeBody, svc: Service = Depends(service)) -> dict:
    """Make two entities one: appearances, gallery and names move to ``keep``."""
    _idle(svc, name)
    return await _change(svc, name, lambda mem: mem.entities.entity(mem.entities.merge(body.keep, body.merge)))


@router.post("/{entity}/forget")
async def forget_entity(name: MemoryName, entity: str, svc: Service = Depends(service)) -> dict:
    """Delete an entity's biometric data (vectors, crops, thumbnails) and its name everywhere, verified."""
    _idle(svc, name)

    def forget(mem) -> dict:
        report = mem.forget(entity)
        return {"entity": f"entity:{report.entity}", "forgotten": True, "gallery": report.gallery,
                "crops": report.crops, "names": list(report.names)}

    return await _change(svc, name, forget)


def _idle(svc: Service, name: str) -> None:
    if svc.jobs.busy(name):
        raise ApiError(409, f"memory {name!r} is being ingested into: merge and forget wait until it is done")


async def _change(svc: Service, name: str, change) -> dict:
    def run(reader) -> dict:
        with reader.writable() as mem:
            result = change(mem)
        reader.changed()
        return result

    return finite(await svc.reader(name).run(run))


def _thumbnail(name: str, registry, row: dict) -> str | None:
    """A picture of the entity: its first gallery crop, else the keyframe of its first appearance."""
    from mnemo.service.urls import keyframe_url

    if row.get("forgotten"):
        return None
    for item in registry.gallery(row["id"]):
        if item["crop"]:
            return keyframe_url(name, f"entity-{item['id']}.jpg")
    for appearance in registry.timeline(row["id"])[:20]:
        if appearance["keyframe"]:
            return keyframe_url(name, f"appearance-{appearance['appearance']}.jpg")
    return None
