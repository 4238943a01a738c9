"""Questions and reading: ask, search (text or image), events, transcript, episodes, places, graph."""

from __future__ import annotations

import math

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from mnemo.service.errors import ApiError
from mnemo.service.paths import MemoryName
from mnemo.service.state import Service, service
from mnemo.service.uploads import IMAGE_LIMIT, decode_image, file_part, receive
from mnemo.service.urls import finite, keyframe_url, media_url

router = APIRouter(prefix="/v1/memories/{name}", tags=["questions"])


class AskBody(BaseModel):
    question: str = Field(description="The question, e.g. 'where did Alice leave her keys?'")
    at: float | None = Field(None, description="Media time (seconds) the question is asked at; default: the end")


@router.post("/ask")
async def ask(name: MemoryName, body: AskBody, svc: Service = Depends(service)) -> dict:
    """Answer a question with evidence: the JSON that ``mnemo ask --json`` prints, with keyframe and media URLs."""
    question = _text(svc, body.question, "question")
    if body.at is not None and (not math.isfinite(body.at) or body.at < 0):
        raise ApiError(422, f"at={body.at}: expected a media time in seconds >= 0")

    def answer(reader) -> dict:
        return reader.memory.ask(question, at=body.at).to_dict()

    reader = svc.reader(name)
    await reader.prefetch(question, question=True)
    data = await reader.run(answer)
    for evidence in data["evidence"]:
        _urls(name, evidence)
    return finite(data)


@router.get("/search")
async def search(name: MemoryName, q: str = Query(..., description="What to look for"),
                 k: int = Query(10, description="How many results"), stream: str | None = None,
                 svc: Service = Depends(service)) -> list[dict]:
    """Events most like a text, best first."""
    text = _text(svc, q, "q")
    k = _k(svc, k)
    reader = svc.reader(name)
    await reader.prefetch(text)
    hits = await reader.run(lambda reader: reader.memory.search(text=text, k=k, stream=stream))
    return [_urls(name, h.to_dict()) for h in hits]


@router.post("/search/image", openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["file"],
               "properties": {"file": {"type": "string", "format": "binary"}}}}}}})
async def search_image(name: MemoryName, request: Request, k: int = Query(10), svc: Service = Depends(service)) -> list[dict]:
    """Events that look like an uploaded image (field ``file``), best first."""
    directory = svc.existing(name)
    k = _k(svc, k)
    sink = await receive(request, directory / "media", {"file": IMAGE_LIMIT}, default_limit=64 * 1024)
    try:
        image = decode_image(file_part(sink, "file").path.read_bytes())
    finally:
        sink.discard()
    hits = await svc.reader(name).run(lambda reader: reader.memory.search(image=image, k=k))
    return [_urls(name, h.to_dict()) for h in hits]


@router.get("/events")
async def events(name: MemoryName, stream: str | None = None, start: float | None = None, end: float | None = None,
                 svc: Service = Depends(service)) -> list[dict]:
    """Events in time order (of one stream, between ``start`` and ``end``), with keyframe URLs and surprise."""
    def read(reader) -> list[dict]:
        rows = []
        for e in reader.memory.events(stream=stream):
            if (start is not None and e.end < start) or (end is not None and e.start > end):
                continue
            rows.append({"id": e.id, "stream": e.stream, "start": e.start, "end": e.end, "text": e.text,
                         "surprise": e.surprise, "keyframe": keyframe_url(name, e.keyframes[0].path if e.keyframes
                                                                           else None),
                         "keyframes": [keyframe_url(name, k.path) for k in e.keyframes],
                         "media": media_url(name, e.stream)})
        return rows

    return finite(await svc.reader(name).run(read))


@router.get("/transcript")
async def transcript(name: MemoryName, stream: str | None = None, voice: str | None = None,
                     svc: Service = Depends(service)) -> list[dict]:
    """Who said what when: utterances with their voice (``voice:N``), text and words."""
    from mnemo.rows import utterance_dict

    rows = await svc.reader(name).run(lambda r: [utterance_dict(u) for u in r.memory.transcript(stream, voice)])
    return finite(rows)


@router.get("/episodes")
async def episodes(name: MemoryName, stream: str | None = None, svc: Service = Depends(service)) -> list[dict]:
    """Episodes (runs of similar events) with their summaries and events."""
    from memory import hierarchy

    def read(reader) -> list[dict]:
        store = reader.memory.store
        rows = [e.to_dict() for e in hierarchy.episodes(store, stream=stream)]
        for row in rows:
            row["event_ids"] = hierarchy.events_of(store, row["id"])
        return rows

    return finite(await svc.reader(name).run(read))


@router.get("/places")
async def places(name: MemoryName, svc: Service = Depends(service)) -> list[dict]:
    """Places the camera was at, their areas and neighbours."""
    from memory import places as places_

    def read(reader) -> list[dict]:
        store = reader.memory.store
        graph = places_.place_graph(store)
        rows = [p.to_dict() for p in places_.places(store)]
        for row in rows:
            row["neighbours"] = sorted(graph.neighbors(row["ref"]), key=lambda n: int(n.split(":")[1]))
        return rows

    return finite(await svc.reader(name).run(read))


@router.get("/graph")
async def graph(name: MemoryName, at: float | None = None, svc: Service = Depends(service)) -> dict:
    """The scene graph (events, episodes, entities, places, state facts) as node-link JSON."""
    import json

    from memory import scene_graph

    def read(reader) -> dict:
        return json.loads(scene_graph.to_json(scene_graph.build_graph(reader.memory.store, at=at)))

    return finite(await svc.reader(name).run(read))


def _text(svc: Service, text: str, field: str) -> str:
    if not text.strip():
        raise ApiError(422, f"{field}: empty")
    if len(text) > svc.options.max_question_chars:
        raise ApiError(413, f"{field}: {len(text)} characters; the limit is {svc.options.max_question_chars}")
    return text


def _k(svc: Service, k: int) -> int:
    if not 1 <= k <= svc.options.max_k:
        raise ApiError(422, f"k={k}: expected 1 to {svc.options.max_k}")
    return k


def _urls(name: str, row: dict) -> dict:
    """Server paths out, URLs in: the keyframe's and the stream's media."""
    row["keyframe"] = keyframe_url(name, row.get("keyframe"))
    row["media"] = media_url(name, row["stream"])
    return row
