"""Multi-stage retrieval of events: candidates, expansion, fusion and re-ranking.

Candidates come from kNN over event vectors in every space that can embed the query (text
spaces, and image spaces whose encoder has a text tower), from the hierarchy (episodes scored by
their mean vector, then their events: coarse to fine), from sightings of a label (entity look-up)
and from time and position filters. Candidate lists are fused by reciprocal rank, then expanded
by temporal contiguity (an event's neighbours join with a share of its score, EM-LLM's contiguity
buffer) and by the scene graph's cheapest edges (other events where the same labelled thing was
seen), and re-ranked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from memory import lookups
from planners.answer import Evidence, pose_dict

logger = logging.getLogger(__name__)

RRF_K = 60  # reciprocal-rank-fusion constant
CONTIGUITY = 0.5  # share of an event's score its temporal neighbours receive
EPISODES = 3  # best episodes whose events join the candidates
GRAPH = 0.3  # share of an event's score that events sharing an entity or a place with it receive
GRAPH_SEEDS = 3  # the best events whose scene-graph neighbours join

Embedder = Callable[[str], np.ndarray]


@dataclass
class Scored:
    event: int
    score: float
    why: dict[str, float] = field(default_factory=dict)  # contribution per source


class Retriever:
    """Retrieval over one memory store; ``embedders`` map a vector space to a text-query encoder."""

    def __init__(self, store, embedders: Mapping[str, Embedder] | None = None, contiguity: int = 1) -> None:
        self.store = store
        self.embedders = embedders if embedders is not None else {}  # may load lazily: do not copy
        self.contiguity = contiguity

    # --------------------------------------------------------------------------- candidates
    def knn(self, space: str, vector: np.ndarray, k: int, start: float | None = None, end: float | None = None,
            stream: str | None = None) -> list[tuple[int, float]]:
        """(event id, cosine) best first, among events overlapping [start, end) when given."""
        if start is None and end is None:
            return self.store.search(space, vector, k=max(2 * k, k + 20), stream=stream)[:k]
        # a wide window: search everything and keep what falls inside (no scan of the events table)
        pool = self.store.search(space, vector, k=max(10 * k, 200), stream=stream)
        inside = self._inside([e for e, _ in pool], start, end)
        kept = [(e, s) for e, s in pool if e in inside]
        if len(kept) >= k:
            return kept[:k]
        ids = self.store.event_ids(stream, start, end)  # a narrow window: filter first
        if not ids:
            return []
        # graph and IVF indexes lose recall under an id filter: ask for more, keep the best k
        return self.store.search(space, vector, k=max(5 * k, 100), stream=stream, ids=ids)[:k]

    def _inside(self, ids: list[int], start: float | None, end: float | None) -> set[int]:
        if not ids:
            return set()
        spans = lookups.event_spans(self.store, ids)
        return {i for i, (a, b) in spans.items() if (start is None or b > start) and (end is None or a < end)}

    def episodes(self, space: str, vector: np.ndarray, top: int = EPISODES) -> list[tuple[int, float]]:
        """Events of the episodes whose mean vector is nearest the query (coarse to fine)."""
        rows = lookups.episode_sums(self.store, space)
        if not rows:  # no hierarchy in this memory
            return []
        q = np.asarray(vector, np.float64)
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        scored = []
        for episode, count, blob in rows:
            mean = np.frombuffer(blob, "<f8")
            if mean.shape != q.shape:
                continue
            scored.append((float(mean @ q / max(float(np.linalg.norm(mean)), 1e-12)), int(episode)))
        scored.sort(reverse=True)
        out = []
        for cos, episode in scored[:top]:
            out += [(event, cos) for event in lookups.episode_event_ids(self.store, episode)]
        return out

    def labelled(self, label: str, start: float | None = None, end: float | None = None) -> list[tuple[int, float]]:
        """Events in which a thing of this label (or "colour label") was seen, most sightings first."""
        words = label.lower().split()
        if not words:
            return []
        rows = lookups.events_with_sightings(self.store, words[-1], words[0] if len(words) > 1 else None,
                                             None if start is None else float(start),
                                             None if end is None else float(end))
        top = max((n for _, n in rows), default=1)
        return [(int(e), n / top) for e, n in rows]

    # ------------------------------------------------------------------------------ queries
    def search(self, text: str, k: int = 10, start: float | None = None, end: float | None = None,
               stream: str | None = None, label: str | None = None, expand: bool = True) -> list[Scored]:
        """Events best matching a text query within an optional time window, fused and expanded."""
        spaces = self.store.spaces()
        lists: dict[str, list[tuple[int, float]]] = {}
        for space, embed in self.embedders.items():
            if space not in spaces:
                continue
            vector = np.asarray(embed(text), np.float32)
            lists[space] = self.knn(space, vector, max(4 * k, 50), start, end, stream)
            if start is None and end is None and stream is None:
                lists[f"episodes:{space}"] = self.episodes(space, vector)
        if label:
            lists["label"] = self.labelled(label, start, end)
        fused = fuse(lists)
        if expand:
            fused = self._expand(fused, k)
            if start is not None or end is not None:  # neighbours in time or in the graph may lie outside
                inside = self._inside([s.event for s in fused], start, end)
                fused = [s for s in fused if s.event in inside]
        return fused[:k]

    def between(self, start: float, end: float, stream: str | None = None) -> list[Scored]:
        """Every event overlapping [start, end), in time order ("what happened between 10:00 and 10:05")."""
        return [Scored(i, 1.0, {"time": 1.0}) for i in self.store.event_ids(stream, start, end)]

    def near(self, x: float, y: float, radius: float = 1.5, start: float | None = None,
             end: float | None = None) -> list[Scored]:
        """Events during which the camera was within ``radius`` metres of (x, y), or a thing was seen
        there (pose log and sightings); nearest first."""
        scores: dict[int, float] = {}
        for stream, t, px, py in lookups.placed_times(self.store):
            d = float(np.hypot(px - x, py - y))
            if d > radius or (start is not None and t < start) or (end is not None and t >= end):
                continue
            hit = lookups.event_at(self.store, stream, t)
            if hit is not None:
                scores[hit[0]] = max(scores.get(hit[0], 0.0), 1.0 - d / radius)
        return sorted((Scored(e, s, {"near": s}) for e, s in scores.items()), key=lambda s: (-s.score, s.event))

    # ---------------------------------------------------------------------------- expansion
    def _expand(self, fused: list[Scored], k: int) -> list[Scored]:
        """Temporal contiguity and the scene graph: the neighbours in time of the best events, and the
        events sharing an entity or a place with the very best, join with a share of their score."""
        if self.contiguity <= 0 or not fused:
            return fused
        by_id = {s.event: s for s in fused}
        for rank, s in enumerate(list(fused[:k])):
            if s.why.get("contiguity") or s.why.get("graph"):
                continue
            related = [(n, CONTIGUITY, "contiguity") for n in self._neighbours(s.event)]
            if rank < GRAPH_SEEDS:
                related += [(n, GRAPH, "graph") for n in self._graph_neighbours(s.event)]
            for n, factor, why in related:
                share = factor * s.score
                neighbour = by_id.setdefault(n, Scored(n, 0.0))
                boosted = min(neighbour.score + share, 0.999 * s.score)  # never above the event it neighbours
                if boosted > neighbour.score:
                    neighbour.why[why] = neighbour.why.get(why, 0.0) + boosted - neighbour.score
                    neighbour.score = boosted
        return sorted(by_id.values(), key=lambda s: (-s.score, s.event))

    def _graph_neighbours(self, event: int, limit: int = 10) -> list[int]:
        """Events sharing an entity or a place with ``event`` (the scene graph's event-entity and
        event-place edges), nearest in time first; none when those tables are missing or empty."""
        out = (lookups.shared_entity_events(self.store, event, limit)
               + lookups.shared_place_events(self.store, event, limit))
        return list(dict.fromkeys(out))

    def in_area(self, name: str, start: float | None = None, end: float | None = None) -> list[Scored]:
        """Events during which the camera was in the named map area (pose log + map), in time order."""
        box = lookups.area_box(self.store, name)
        if box is None:
            return []
        found: dict[int, float] = {}
        for stream, t in lookups.poses_in_box(self.store, box):
            if (start is not None and t < start) or (end is not None and t >= end):
                continue
            hit = lookups.event_at(self.store, stream, t)
            if hit is not None:
                found[hit[0]] = hit[1]
        return [Scored(e, 1.0, {"area": 1.0}) for e in sorted(found, key=lambda e: (found[e], e))]

    def _neighbours(self, event: int) -> list[int]:
        return lookups.neighbours(self.store, event, self.contiguity)

    # ----------------------------------------------------------------------------- evidence
    def evidence(self, hits: list[Scored], note: str = "", until: float | None = None) -> list[Evidence]:
        """Hits as Evidence records (stream, span, keyframe, score); cut at ``until`` when given (an event
        running on past it without its text: what was said then was not yet heard; a later one left out)."""
        cut = float("inf") if until is None else float(until)
        out = []
        for h in hits:
            e = self.store.event(h.event)
            if e.start > cut:
                continue  # not yet happened
            keyframe = str(self.store.keyframe_path(h.event, 0)) if e.keyframes else None
            text = "" if e.end > cut else (e.text or "")[:200]
            seen = e.keyframes[0].time if e.keyframes else (e.start + min(e.end, cut)) / 2  # where the camera was then
            out.append(Evidence(int(h.event), e.stream, float(e.start), min(float(e.end), cut), float(h.score),
                                keyframe, (), None, text, note or ", ".join(sorted(h.why)),
                                pose=pose_dict(self.store.pose_at(e.stream, seen))))
        return out


def fuse(lists: Mapping[str, list[tuple[int, float]]], k: int = RRF_K) -> list[Scored]:
    """Reciprocal-rank fusion of ranked (event id, score) lists; best first (ties by id)."""
    out: dict[int, Scored] = {}
    for source, hits in lists.items():
        for rank, (event, _) in enumerate(hits):
            s = out.setdefault(int(event), Scored(int(event), 0.0))
            contribution = 1.0 / (k + rank + 1)
            s.score += contribution
            s.why[source] = s.why.get(source, 0.0) + contribution
    return sorted(out.values(), key=lambda s: (-s.score, s.event))
