"""Memories: list, create, describe, delete; their streams, media files and keyframes."""

from __future__ import annotations

import asyncio
import json
import mimetypes
from pathlib import Path

from fastapi import APIRouter, Depends, Response
from fastapi.responses import FileResponse

from mnemo.service.errors import ApiError
from mnemo.service.options import SURPRISE_DIR
from mnemo.service.paths import FILE, MemoryName, confined
from mnemo.service.state import Service, service
from mnemo.service.urls import media_url

router = APIRouter(prefix="/v1", tags=["memories"])
mimetypes.add_type("video/mp4", ".m4v")
mimetypes.add_type("video/x-matroska", ".mkv")


@router.get("/memories")
def list_memories(svc: Service = Depends(service)) -> list[dict]:
    """The memories under the root, with their streams, events, media seconds and size."""
    from mnemo.memories import describe

    rows = []
    for name in svc.names():
        row = describe(svc.directory(name))
        row.pop("directory")
        rows.append({"name": name, **row, "busy": svc.jobs.busy(name)})
    return rows


@router.put("/memories/{name}", status_code=201)
def create_memory(name: MemoryName, response: Response, svc: Service = Depends(service)) -> dict:
    """Create an empty memory (200 when it already exists)."""
    if not svc.create(name):
        response.status_code = 200
        return {"name": name, "created": False}
    return {"name": name, "created": True}


@router.get("/memories/{name}")
async def get_memory(name: MemoryName, svc: Service = Depends(service)) -> dict:
    """One memory: its summary, streams and jobs."""
    from mnemo.memories import describe

    row = await asyncio.to_thread(describe, svc.existing(name))
    row.pop("directory")
    return {"name": name, **row, "streams": await _streams(svc, name),
            "jobs": [j.public() for j in svc.jobs.jobs(name)]}


@router.delete("/memories/{name}")
def delete_memory(name: MemoryName, svc: Service = Depends(service)) -> dict:
    """Delete a memory and everything in its folder (uploaded videos included)."""
    svc.delete(name)
    return {"name": name, "deleted": True}


@router.get("/memories/{name}/streams")
async def list_streams(name: MemoryName, svc: Service = Depends(service)) -> list[dict]:
    """The memory's streams (one per ingested file), with a media URL to play each."""
    return await _streams(svc, name)


async def _streams(svc: Service, name: str) -> list[dict]:
    def read(reader) -> list[dict]:
        rows = []
        for s in reader.memory.store.streams():
            info = s["info"]
            checkpoint = reader.memory.store.checkpoint(s["id"])
            rows.append({"id": s["id"], "name": Path(s["uri"]).name, "added": s["added"],
                         "duration": info.get("duration"), "width": info.get("width"),
                         "height": info.get("height"), "profile": info.get("profile"),
                         "done": bool(checkpoint and checkpoint.done),
                         "position": checkpoint.position if checkpoint else 0.0,
                         "media": media_url(name, s["id"])})
        return rows

    return await svc.reader(name).run(read)


@router.get("/memories/{name}/streams/{stream}/media", response_class=FileResponse,
            responses={206: {"description": "a byte range of the file"}})
async def stream_media(name: MemoryName, stream: str, svc: Service = Depends(service)) -> FileResponse:
    """The stream's video or audio file; honours Range (206 Partial Content) so a player can seek."""
    directory = svc.existing(name)

    def find(reader) -> str | None:
        return next((s["uri"] for s in reader.memory.store.streams() if s["id"] == stream), None)

    uri = await svc.reader(name).run(find)
    if uri is None:
        raise ApiError(404, f"memory {name!r} has no stream {stream!r}")
    path = Path(uri)
    roots = (directory.resolve(),) + svc.options.media_roots
    resolved = path.resolve()
    if not path.is_absolute() or not any(resolved.is_relative_to(r) for r in roots):
        raise ApiError(403, f"stream {stream!r}: its file is outside the folders this service may serve")
    if not resolved.is_file():
        raise ApiError(404, f"stream {stream!r}: its file is gone")
    kind = mimetypes.guess_type(resolved.name)[0] or "application/octet-stream"
    return FileResponse(resolved, media_type=kind)


@router.get("/memories/{name}/streams/{stream}/surprise")
async def stream_surprise(name: MemoryName, stream: str, svc: Service = Depends(service)) -> dict:
    """The surprise curve of a stream, [[media time, z-score], ...] (empty when this service did not ingest it)."""
    directory = svc.existing(name)
    known = await svc.reader(name).run(lambda reader: any(s["id"] == stream for s in reader.memory.store.streams()))
    if not known:
        raise ApiError(404, f"memory {name!r} has no stream {stream!r}")
    path = directory / SURPRISE_DIR / f"{stream}.json"
    return {"stream": stream, "points": json.loads(path.read_text()) if path.is_file() else []}


@router.get("/memories/{name}/keyframes/{file}", response_class=FileResponse)
async def keyframe(name: MemoryName, file: str, svc: Service = Depends(service)) -> FileResponse:
    """A keyframe thumbnail (JPEG) of an event, an entity's appearance or an entity's gallery crop."""
    directory = svc.existing(name)
    if not FILE.match(file):
        raise ApiError(400, f"{file!r}: not a keyframe file name")
    path = confined(directory / "thumbs", file)
    if not path.is_file():
        await svc.reader(name).run(lambda reader: _regenerate(reader, file))
    if not path.is_file():
        raise ApiError(404, f"memory {name!r} has no keyframe {file!r}")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


def _regenerate(reader, file: str) -> None:
    """Thumbnails are caches: write a missing one from the database."""
    stem = file[:-4]
    try:
        if stem.startswith("appearance-"):
            reader.memory.entities.keyframe_path(int(stem.split("-", 1)[1]))
        elif stem.startswith("entity-"):
            reader.memory.entities.crop_path(int(stem.split("-", 1)[1]))
        elif "_" in stem:
            event, ordinal = stem.split("_", 1)
            reader.memory.store.keyframe_path(int(event), int(ordinal))
    except (KeyError, ValueError, OSError):
        return
