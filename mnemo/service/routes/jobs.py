"""Ingest jobs: add a video to a memory (upload or server path), follow it, cancel it."""

from __future__ import annotations

import asyncio
import json
import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from mnemo.job import MEDIA_SUFFIXES
from mnemo.service.errors import ApiError
from mnemo.service.paths import MemoryName
from mnemo.service.jobs import FINISHED
from mnemo.service.paths import inside_any
from mnemo.service.state import Service, service
from mnemo.service.uploads import (MEDIA_DIR, SUBTITLE_LIMIT, check_subtitles, file_part, probe_media, receive,
                                   safe_filename)

router = APIRouter(prefix="/v1", tags=["jobs"])
HEARTBEAT_S = 15.0  # a comment line on a quiet event stream, so proxies keep it open

_VIDEO_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary", "description": "the video or audio"},
                           "subtitles": {"type": "string", "format": "binary",
                                         "description": "optional .srt or .vtt subtitles of it"}}}},
        "application/json": {"schema": {
            "type": "object", "required": ["path"],
            "properties": {"path": {"type": "string", "description": "an absolute path under a --media-root"}}}},
    },
}


@router.post("/memories/{name}/videos", status_code=202, openapi_extra={"requestBody": _VIDEO_BODY})
async def add_video(name: MemoryName, request: Request, svc: Service = Depends(service)) -> dict:
    """Add a video: a multipart upload (field ``file``, optional ``subtitles``) or JSON ``{"path"}`` of a
    file under an allowed media folder. Starts a background ingest and returns ``{"job": ID}``."""
    directory = svc.existing(name)
    if request.headers.get("content-type", "").startswith("application/json"):
        source, shown = await _by_path(request, svc)
    else:
        source, shown = await _by_upload(request, svc, directory / MEDIA_DIR)
    job = svc.jobs.submit(name, source, shown)
    return {"job": job.id, "state": job.state}


async def _by_path(request: Request, svc: Service):
    try:
        body = json.loads(await request.body())
    except ValueError as error:
        raise ApiError(400, f"the body is not JSON: {error}") from error
    if not isinstance(body, dict) or not isinstance(body.get("path"), str) or not body["path"]:
        raise ApiError(422, 'expected {"path": "/absolute/path/of/a/video"}')
    path = inside_any(svc.options.media_roots, body["path"])
    if not path.is_file():
        raise ApiError(404, f"path {body['path']!r}: no such file")
    await asyncio.to_thread(probe_media, path, body["path"])
    return path, path.name


async def _by_upload(request: Request, svc: Service, folder):
    sink = await receive(request, folder, {"file": svc.options.max_upload_bytes, "subtitles": SUBTITLE_LIMIT},
                         default_limit=64 * 1024)
    try:
        video = file_part(sink, "file")
        subtitles = file_part(sink, "subtitles", required=False)
        shown = safe_filename(video.filename)
        await asyncio.to_thread(probe_media, video.path, shown)
        suffix = await asyncio.to_thread(check_subtitles, subtitles.path) if subtitles else None
        ext = "." + shown.rsplit(".", 1)[-1].lower() if "." in shown else ""
        stem = f"{secrets.token_hex(6)}"
        target = folder / (stem + (ext if ext in MEDIA_SUFFIXES else ".media"))
        video.path.replace(target)
        if subtitles is not None:  # beside the video, where ingestion finds sidecar subtitles
            subtitles.path.replace(folder / (stem + suffix))
        return target, shown
    finally:
        sink.discard()


@router.get("/jobs")
async def list_jobs(memory: str | None = None, svc: Service = Depends(service)) -> list[dict]:
    """Every job (of one memory with ``?memory=``), oldest first."""
    return [j.public() for j in svc.jobs.jobs(memory)]


@router.get("/jobs/{job_id}")
async def get_job(job_id: str, svc: Service = Depends(service)) -> dict:
    """A job's state (queued, running, done, failed, cancelled), progress 0-1 and error."""
    return _job(svc, job_id).public()


@router.delete("/jobs/{job_id}")
async def cancel_job(job_id: str, svc: Service = Depends(service)) -> dict:
    """Cancel a queued or running job (what it already stored stays; adding the file again resumes)."""
    _job(svc, job_id)
    job = svc.jobs.cancel(job_id)
    return job.public() if job else {}


@router.get("/jobs/{job_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}})
async def job_events(job_id: str, request: Request, svc: Service = Depends(service)) -> StreamingResponse:
    """The job as server-sent events (``event: job``), one per change, until it finishes."""
    first = _job(svc, job_id)

    async def stream():
        job = first
        yield _sse(job.public())
        while job.state not in FINISHED:
            if svc.jobs.stopped or await request.is_disconnected():
                return
            changed = await asyncio.to_thread(svc.jobs.wait_change, job_id, job.version, HEARTBEAT_S)
            if changed is None:
                return
            if changed.version == job.version:
                yield ": still here\n\n"
                continue
            job = changed
            yield _sse(job.public())

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _sse(data: dict) -> str:
    return f"event: job\ndata: {json.dumps(data)}\n\n"


def _job(svc: Service, job_id: str):
    job = svc.jobs.get(job_id)
    if job is None:
        raise ApiError(404, f"no job {job_id!r}")
    return job
