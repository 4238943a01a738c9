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
import sqlite3
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

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
        marks = ",".join("?" * len(ids))
        rows = self.store._conn.execute(f'SELECT id, start, "end" FROM events WHERE id IN ({marks})', ids)
        return {int(i) for i, a, b in rows if (start is None or b > start) and (end is None or a < end)}

    def episodes(self, space: str, vector: np.ndarray, top: int = EPISODES) -> list[tuple[int, float]]:
        """Events of the episodes whose mean vector is nearest the query (coarse to fine)."""
        try:
            rows = self.store._conn.execute("SELECT episode_id, count, sum FROM episode_vectors WHERE space = ?",
                                            (space,)).fetchall()
        except sqlite3.OperationalError:
            return []  # no hierarchy in this memory
        if not rows:
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
            for (event,) in self.store._conn.execute(
                    "SELECT event_id FROM episode_events WHERE episode_id = ? ORDER BY event_id", (episode,)):
                out.append((int(event), cos))
        return out

    def labelled(self, label: str, start: float | None = None, end: float | None = None) -> list[tuple[int, float]]:
        """Events in which a thing of this label (or "colour label") was seen, most sightings first."""
        words = label.lower().split()
        if not words:
            return []
        where, params = ["s.label = ?"], [words[-1]]
        if len(words) > 1:
            where.append("s.colour = ?")
            params.append(words[0])
        if start is not None:
            where.append("s.time >= ?")
            params.append(float(start))
        if end is not None:
            where.append("s.time < ?")
            params.append(float(end))
        try:
            rows = self.store._conn.execute(
                "SELECT e.id, COUNT(*) FROM sightings s JOIN events e ON e.stream = s.stream AND s.time >= e.start "
                f"AND s.time < e.\"end\" WHERE {' AND '.join(where)} GROUP BY e.id ORDER BY COUNT(*) DESC", params)
            rows = rows.fetchall()
        except sqlite3.OperationalError:
            return []
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
        conn = self.store._conn
        try:
            rows = conn.execute("SELECT stream, time, x, y FROM poses").fetchall()
            try:
                rows += conn.execute("SELECT stream, time, x, y FROM sightings").fetchall()
            except sqlite3.OperationalError:
                pass
        except sqlite3.OperationalError:
            return []
        for stream, t, px, py in rows:
            d = float(np.hypot(px - x, py - y))
            if d > radius or (start is not None and t < start) or (end is not None and t >= end):
                continue
            hit = conn.execute('SELECT id FROM events WHERE stream = ? AND start <= ? AND "end" > ? LIMIT 1',
                               (stream, t, t)).fetchone()
            if hit:
                scores[int(hit[0])] = max(scores.get(int(hit[0]), 0.0), 1.0 - d / radius)
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
        c = self.store._conn
        queries = [
            "SELECT DISTINCT b.event_id, ABS(b.start - a.start) AS d FROM entity_appearances a "
            "JOIN entity_appearances b ON a.entity_id = b.entity_id WHERE a.event_id = ? AND b.event_id IS NOT NULL "
            "AND b.event_id != a.event_id ORDER BY d LIMIT ?",
            "SELECT b.event_id, ABS(b.event_id - a.event_id) AS d FROM event_places a JOIN event_places b "
            "ON a.place_id = b.place_id WHERE a.event_id = ? AND a.place_id IS NOT NULL AND b.event_id != a.event_id "
            "ORDER BY d LIMIT ?",
        ]
        out: list[int] = []
        for sql in queries:
            try:
                out += [int(r[0]) for r in c.execute(sql, (event, limit))]
            except sqlite3.OperationalError:
                continue
        return list(dict.fromkeys(out))

    def in_area(self, name: str, start: float | None = None, end: float | None = None) -> list[Scored]:
        """Events during which the camera was in the named map area (pose log + map), in time order."""
        c = self.store._conn
        try:
            box = c.execute("SELECT x0, y0, x1, y1 FROM map_areas WHERE name = ?", (name,)).fetchone()
        except sqlite3.OperationalError:
            return []
        if box is None:
            return []
        rows = c.execute("SELECT p.stream, p.time FROM poses p WHERE p.x >= ? AND p.x < ? AND p.y >= ? AND p.y < ?",
                         (box[0], box[2], box[1], box[3])).fetchall()
        found: dict[int, float] = {}
        for stream, t in rows:
            if (start is not None and t < start) or (end is not None and t >= end):
                continue
            hit = c.execute('SELECT id, start FROM events WHERE stream = ? AND start <= ? AND "end" > ? LIMIT 1',
                            (stream, t, t)).fetchone()
            if hit:
                found[int(hit[0])] = float(hit[1])
        return [Scored(e, 1.0, {"area": 1.0}) for e in sorted(found, key=lambda e: (found[e], e))]

    def _neighbours(self, event: int) -> list[int]:
        row = self.store._conn.execute("SELECT stream, start FROM events WHERE id = ?", (event,)).fetchone()
        if row is None:
            return []
        stream, start = row
        n = self.contiguity
        before = self.store._conn.execute("SELECT id FROM events WHERE stream = ? AND start < ? ORDER BY start DESC "
                                          "LIMIT ?", (stream, start, n)).fetchall()
        after = self.store._conn.execute("SELECT id FROM events WHERE stream = ? AND start > ? ORDER BY start "
                                         "LIMIT ?", (stream, start, n)).fetchall()
        return [int(r[0]) for r in before + after]

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
