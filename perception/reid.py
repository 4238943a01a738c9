"""Re-identification: tracks matched to entities across time and streams, and how well it went.

``ReidClusterer`` clusters track appearance vectors online into persistent entity ids, one set
of centroids per kind (person, face, object, voice). Vectors are centred on a running mean of
their kind first (what every crop shares, e.g. CLIP's common direction, says nothing of who it
is), then a track joins the most similar entity above the kind's threshold, or founds a new one.
Tracks seen at the same time in one stream are different things: ``exclude`` keeps them apart.
Entities that drift together are proposed for merging (``merge_candidates``): on their centroids, or, for
``view_kinds``, on the views the registry's gallery keeps of them (near and far, whole and cut off: one track
of a person seen another way founds an entity that many views then join); merges and deletions come back from
memory's entity registry (``merge``, ``remove``).

``FaceVoiceBinder`` binds a face to a voice when the face is alone on screen while that voice
speaks, often enough (M3-Agent's face-voice association). ``bcubed`` scores a clustering
against true identities.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Iterable, Mapping, Sequence

import numpy as np

from perception.options import build_options

logger = logging.getLogger(__name__)

_STATE_VERSION = 2  # 2: labels and places of entities (1 loads with neither)
REID_KINDS = ("person", "face", "object", "voice")


@dataclass(frozen=True)
class ReidConfig:
    # centred cosine a track needs with an entity's centroid to be that entity
    threshold: float = 0.55
    # per-kind overrides of ``threshold``, e.g. (("face", 0.5), ("voice", 0.3))
    kind_thresholds: tuple[tuple[str, float], ...] = ()
    # two entities of one kind whose centroids are this similar are proposed as one
    merge_threshold: float = 0.7
    # centre vectors on a running mean of their kind before comparing them
    center: bool = True
    # tracks (by weight) the running mean averages over; older ones fade out
    mean_memory: float = 1000.0
    # weight of the zero prior of the running mean while few tracks are seen
    prior_count: float = 4.0
    # a track's weight (its detections) counts at most this much in a centroid
    max_weight: float = 20.0
    # most entities per kind; beyond, the least seen entity's centroid is dropped (its id stays in memory)
    max_entities: int = 100_000
    # metres within which a placed track of a thing that stays put (furniture) is the entity of its label
    # resting there; a lookalike placed farther away is another one (object permanence on the map)
    place_radius: float = 1.5
    # centred cosine that a static track needs with the entity resting within place_radius (its appearance
    # may change with the view: only a contradicting appearance keeps them apart)
    place_threshold: float = 0.0
    # kinds whose entities are also proposed as one on their views (``merge_candidates``' ``views``: the vectors
    # of their earlier tracks, near and far, whole and cut by the frame, as the registry's gallery keeps them)
    view_kinds: tuple[str, ...] = ()
    # two entities of a kind of ``view_kinds`` whose views agree this much on average (every view of one with
    # every view of the other, centred cosine) are proposed as one; None: centroids only (``merge_threshold``)
    view_merge_threshold: float | None = None

    def __post_init__(self) -> None:
        for name in ("threshold", "merge_threshold"):
            if not -1.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"ReidConfig.{name}={getattr(self, name)!r}: expected a cosine in [-1, 1]")
        overrides = tuple((str(k), float(v)) for k, v in self.kind_thresholds)
        for kind, value in overrides:
            if kind not in REID_KINDS or not -1.0 <= value <= 1.0:
                raise ValueError(f"ReidConfig.kind_thresholds: ({kind!r}, {value}): expected a kind in "
                                 f"{', '.join(REID_KINDS)} and a cosine in [-1, 1]")
        object.__setattr__(self, "kind_thresholds", overrides)
        if self.mean_memory < 1 or self.prior_count < 0 or self.max_weight <= 0:
            raise ValueError(f"ReidConfig: expected mean_memory >= 1, prior_count >= 0, max_weight > 0; got "
                             f"{self.mean_memory}, {self.prior_count}, {self.max_weight}")
        if self.max_entities < 1:
            raise ValueError(f"ReidConfig.max_entities={self.max_entities!r}: expected >= 1")
        object.__setattr__(self, "view_kinds", tuple(str(k) for k in self.view_kinds))
        if set(self.view_kinds) - set(REID_KINDS):
            raise ValueError(f"ReidConfig.view_kinds={self.view_kinds!r}: expected kinds of {', '.join(REID_KINDS)}")
        if self.view_merge_threshold is not None and not -1.0 <= self.view_merge_threshold <= 1.0:
            raise ValueError(f"ReidConfig.view_merge_threshold={self.view_merge_threshold!r}: expected a cosine in "
                             "[-1, 1] or None")
        if not self.place_radius > 0 or not -1.0 <= self.place_threshold <= 1.0:
            raise ValueError(f"ReidConfig: place_radius={self.place_radius!r} must be > 0 metres and "
                             f"place_threshold={self.place_threshold!r} a cosine in [-1, 1]")

    def threshold_for(self, kind: str) -> float:
        return dict(self.kind_thresholds).get(kind, self.threshold)


class _Kind:
    """Centroids and the running mean of one kind's vectors."""

    def __init__(self, dim: int, space: str) -> None:
        self.dim, self.space = dim, space
        self.ids = np.zeros(0, np.int64)
        self.sums = np.zeros((0, dim), np.float64)  # weighted sums of centred unit vectors
        self.counts = np.zeros(0, np.float64)  # their weights
        self.labels = np.zeros(0, dtype=object)  # each entity's label ("" when its tracks had none)
        self.places = np.zeros((0, 3), np.float64)  # (x, y, weight) where a static entity rests; weight 0: unknown
        self.mean = np.zeros(dim, np.float64)
        self.mean_count = 0.0

    def row(self, entity: int) -> int | None:
        where = np.flatnonzero(self.ids == entity)
        return int(where[0]) if len(where) else None

    def drop(self, rows: np.ndarray) -> None:
        keep = np.ones(len(self.ids), bool)
        keep[rows] = False
        self.ids, self.sums, self.counts = self.ids[keep], self.sums[keep], self.counts[keep]
        self.labels, self.places = self.labels[keep], self.places[keep]


class ReidClusterer:
    """Online clustering of track vectors into entity ids, per kind; state is plain numpy arrays.

    ``id_source(kind) -> int`` names new entities (memory's ``EntityRegistry.add_entity``);
    without it ids count up from 0.
    """

    def __init__(self, config: ReidConfig | None = None, id_source: Callable[[str], int] | None = None,
                 **options: float) -> None:
        if config is not None and options:
            raise TypeError("ReidClusterer: pass either config= or options, not both")
        self.config = config or build_options(ReidConfig, "ReidClusterer", options)
        self.id_source = id_source
        self._kinds: dict[str, _Kind] = {}
        self._next_id = 0

    # ------------------------------------------------------------------ assignment
    def assign(self, vector: np.ndarray, kind: str, space: str = "", weight: float = 1.0,
               exclude: Iterable[int] = (), update: bool = True, label: str = "",
               place: tuple[float, float] | None = None) -> int:
        """The entity of a track's appearance vector: the most similar one of ``kind`` above the
        threshold (never one in ``exclude``, nor one of another ``label`` when both have one), else a new
        one. ``weight``: the track's detections. ``place``: where a thing that stays put (furniture) was
        placed on the map: the entity of its label resting within ``place_radius`` is it, unless its
        appearance contradicts (below ``place_threshold``); one resting farther away is not."""
        unit = self._centred(vector, kind, space, weight, update)
        k = self._kinds.get(kind)
        if k is None:  # a probe (update=False) of a kind not seen yet
            return -1
        sims = self.similarities(unit, kind)
        w = min(float(weight), self.config.max_weight)
        if len(sims):
            allowed = ~np.isin(k.ids, np.fromiter((int(e) for e in exclude), np.int64))
            if label:
                allowed &= (k.labels == label) | (k.labels == "")
            row = self._placed_match(k, sims, allowed, place) if place is not None else None
            if row is None:
                if place is not None:  # a thing resting elsewhere is not this one
                    allowed &= k.places[:, 2] == 0
                masked = np.where(allowed, sims, -np.inf)
                best = int(np.argmax(masked))
                row = best if masked[best] >= self.config.threshold_for(kind) else None
            if row is not None:
                if update:
                    k.sums[row] += w * unit
                    k.counts[row] += w
                    k.labels[row] = k.labels[row] or label
                    _add_place(k, row, place, w)
                return int(k.ids[row])
        if not update:
            return -1
        entity = self._add(kind, unit, w)
        row = k.row(entity)
        k.labels[row] = label
        _add_place(k, row, place, w)
        return entity

    def _placed_match(self, k: "_Kind", sims: np.ndarray, allowed: np.ndarray,
                      place: tuple[float, float]) -> int | None:
        """The row of the nearest allowed entity resting within ``place_radius`` whose appearance does not
        contradict, or None."""
        known = allowed & (k.places[:, 2] > 0)
        if not known.any():
            return None
        distance = np.hypot(k.places[:, 0] - place[0], k.places[:, 1] - place[1])
        near = known & (distance <= self.config.place_radius) & (sims >= self.config.place_threshold)
        if not near.any():
            return None
        return int(np.argmin(np.where(near, distance, np.inf)))

    def _centre_views(self, vectors: np.ndarray, k: "_Kind") -> np.ndarray:
        """Unit vectors centred on the kind's running mean as ``_centred`` does (without updating it)."""
        vectors = _unit(vectors.reshape(len(vectors), -1))
        return _unit(vectors - self._mean(k)) if self.config.center else vectors

    def similarities(self, unit: np.ndarray, kind: str) -> np.ndarray:
        """Cosine of a centred unit vector with every centroid of ``kind`` (in ``entities(kind)`` order)."""
        k = self._kinds.get(kind)
        if k is None or not len(k.ids):
            return np.zeros(0)
        return _unit(k.sums) @ unit

    def _centred(self, vector: np.ndarray, kind: str, space: str, weight: float, update: bool) -> np.ndarray:
        v = np.asarray(vector, dtype=np.float64).reshape(-1)
        if not np.isfinite(v).all() or not v.size:
            raise ValueError(f"reid: a {kind} vector of shape {v.shape} with values that are not finite")
        if kind not in REID_KINDS:
            raise ValueError(f"reid: kind={kind!r}: expected one of {', '.join(REID_KINDS)}")
        k = self._kinds.get(kind)
        if k is None:  # a probe (update=False) leaves no empty kind behind
            k = _Kind(v.size, space)
            if update:
                self._kinds[kind] = k
        if v.size != k.dim:
            raise ValueError(f"reid: a {kind} vector of dim {v.size}; {kind} vectors so far have dim {k.dim}")
        if space and k.space and space != k.space:
            raise ValueError(f"reid: a {kind} vector of space {space!r}; {kind} vectors so far are {k.space!r}")
        k.space = k.space or space
        v = v / max(float(np.linalg.norm(v)), 1e-12)
        if not self.config.center:
            return v
        if update:
            k.mean_count = min(k.mean_count + weight, self.config.mean_memory)
            k.mean += (v - k.mean) * (weight / k.mean_count)
        return _unit(v - self._mean(k))

    def _mean(self, k: "_Kind") -> np.ndarray:
        """The kind's running mean, shrunk towards zero by ``prior_count`` while few vectors made it."""
        c = self.config.prior_count
        return k.mean * (k.mean_count / (k.mean_count + c)) if k.mean_count + c > 0 else k.mean

    def _add(self, kind: str, unit: np.ndarray, weight: float) -> int:
        k = self._kinds[kind]
        if len(k.ids) >= self.config.max_entities:
            drop = int(np.argmin(k.counts))
            logger.info("reid: dropping the centroid of entity %d (%s, weight %.1f): more than %d entities",
                        k.ids[drop], kind, k.counts[drop], self.config.max_entities)
            k.drop(np.array([drop]))
        entity = self._new_id(kind)
        k.ids = np.append(k.ids, entity)
        k.sums = np.vstack([k.sums, weight * unit[None]])
        k.counts = np.append(k.counts, weight)
        k.labels = np.append(k.labels, np.array([""], dtype=object))
        k.places = np.vstack([k.places, np.zeros((1, 3))])
        return entity

    def _new_id(self, kind: str) -> int:
        if self.id_source is not None:
            entity = int(self.id_source(kind))
        else:
            entity = self._next_id
        if any(k.row(entity) is not None for k in self._kinds.values()):
            raise ValueError(f"reid: the id source gave entity {entity}, which is already clustered")
        self._next_id = max(self._next_id, entity + 1)
        return entity

    # ------------------------------------------------------------------ entities
    def entities(self, kind: str | None = None) -> list[int]:
        """Entity ids with a centroid (of ``kind``)."""
        kinds = [self._kinds[kind]] if kind in self._kinds else [] if kind else list(self._kinds.values())
        return sorted({int(i) for k in kinds for i in k.ids})

    def centroid(self, entity: int, kind: str) -> np.ndarray | None:
        """The unit centroid of an entity's ``kind`` vectors (centred), or None."""
        k = self._kinds.get(kind)
        row = None if k is None else k.row(entity)
        return None if row is None else _unit(k.sums[row])

    def merge_candidates(self, views: Mapping[int, np.ndarray] | None = None) -> list[tuple[int, int, float]]:
        """(a, b, similarity) of entities of one kind whose centroids reach ``merge_threshold``, or, for
        ``view_kinds`` given ``views`` (entity -> vectors of its tracks), whose views agree on average at
        ``view_merge_threshold``; best first."""
        found = []
        for name, k in self._kinds.items():
            if len(k.ids) < 2:
                continue
            sims = _unit(k.sums) @ _unit(k.sums).T
            linked = sims >= self.config.merge_threshold
            if views and name in self.config.view_kinds and self.config.view_merge_threshold is not None:
                linkage = self._view_linkage(k, views)
                linked |= linkage >= self.config.view_merge_threshold
                sims = np.maximum(sims, linkage)
            rows, cols = np.nonzero(np.triu(linked, 1))
            found += [(int(k.ids[r]), int(k.ids[c]), float(sims[r, c])) for r, c in zip(rows, cols)
                      if self._may_be_one(k, r, c)]
        return sorted(found, key=lambda f: -f[2])

    def _view_linkage(self, k: "_Kind", views: Mapping[int, np.ndarray]) -> np.ndarray:
        """(entities, entities) mean centred cosine of every view of one with every view of the other; -1
        where either has none."""
        n = len(k.ids)
        rows = [r for r, e in enumerate(k.ids.tolist()) if e in views and len(views[e])]
        out = np.full((n, n), -1.0)
        if len(rows) < 2:
            return out
        # the mean cosine of every view of a with every view of b is the dot product of their mean views
        centres = np.stack([self._centre_views(np.asarray(views[int(k.ids[r])], np.float64), k).mean(axis=0)
                            for r in rows])
        means = centres @ centres.T
        np.fill_diagonal(means, -1.0)
        out[np.ix_(rows, rows)] = means
        return out

    def _may_be_one(self, k: "_Kind", a: int, b: int) -> bool:
        """Rows a and b may be one entity: not two labels, not two resting places farther apart than the radius."""
        if k.labels[a] and k.labels[b] and k.labels[a] != k.labels[b]:
            return False
        if k.places[a, 2] > 0 and k.places[b, 2] > 0:
            return float(np.hypot(*(k.places[a, :2] - k.places[b, :2]))) <= self.config.place_radius
        return True

    def merge(self, keep: int, drop: int) -> None:
        """Entity ``drop`` is ``keep`` from now on: its centroids (of every kind) fold into keep's."""
        if keep == drop:
            return
        for k in self._kinds.values():
            row_drop = k.row(drop)
            if row_drop is None:
                continue
            row_keep = k.row(keep)
            if row_keep is None:
                k.ids[row_drop] = keep
            else:
                k.sums[row_keep] += k.sums[row_drop]
                k.counts[row_keep] += k.counts[row_drop]
                k.labels[row_keep] = k.labels[row_keep] or k.labels[row_drop]
                if k.places[row_drop, 2] > 0:
                    _add_place(k, row_keep, tuple(k.places[row_drop, :2]), float(k.places[row_drop, 2]))
                k.drop(np.array([row_drop]))

    def remove(self, entity: int) -> None:
        """Forget an entity's centroids (every kind): it will not be recognised again."""
        for k in self._kinds.values():
            row = k.row(entity)
            if row is not None:
                k.drop(np.array([row]))

    # ------------------------------------------------------------------ persistence
    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to continue, as plain numpy arrays. Per kind K: ``K/ids``, ``K/sums``,
        ``K/counts``, ``K/labels``, ``K/places`` (one row per entity), ``K/mean``, ``K/mean_count``, ``K/space``."""
        state: dict[str, np.ndarray] = {"version": np.array(_STATE_VERSION, np.int64),
                                        "next_id": np.array(self._next_id, np.int64),
                                        "kinds": np.array(sorted(self._kinds), dtype=str)}
        for name, k in self._kinds.items():
            state |= {f"{name}/ids": k.ids.copy(), f"{name}/sums": k.sums.copy(), f"{name}/counts": k.counts.copy(),
                      f"{name}/labels": np.array([str(x) for x in k.labels], dtype=str).reshape(-1),
                      f"{name}/places": k.places.copy(),
                      f"{name}/mean": k.mean.copy(), f"{name}/mean_count": np.array(k.mean_count),
                      f"{name}/space": np.array(k.space)}
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore :meth:`state_dict` (replacing what is here)."""
        version = int(np.asarray(state.get("version", -1)))
        if version not in (1, _STATE_VERSION):
            raise ValueError(f"reid state version {version}; expected 1 or {_STATE_VERSION}")
        kinds: dict[str, _Kind] = {}
        for name in (str(n) for n in np.asarray(state["kinds"]).reshape(-1)):
            mean = np.asarray(state[f"{name}/mean"], np.float64).reshape(-1)
            k = _Kind(mean.size, str(np.asarray(state[f"{name}/space"])))
            k.ids = np.asarray(state[f"{name}/ids"], np.int64).reshape(-1).copy()
            k.sums = np.asarray(state[f"{name}/sums"], np.float64).reshape(len(k.ids), mean.size).copy()
            k.counts = np.asarray(state[f"{name}/counts"], np.float64).reshape(-1).copy()
            if len(k.counts) != len(k.ids):
                raise ValueError(f"reid state of {name!r}: {len(k.ids)} ids but {len(k.counts)} counts")
            labels = np.asarray(state.get(f"{name}/labels", np.full(len(k.ids), "")), dtype=str).reshape(-1)
            k.labels = np.array(list(labels) if len(labels) else [], dtype=object).reshape(-1)
            places = state.get(f"{name}/places", np.zeros((len(k.ids), 3)))
            k.places = np.asarray(places, np.float64).reshape(-1, 3).copy()
            if len(k.labels) != len(k.ids) or len(k.places) != len(k.ids):
                raise ValueError(f"reid state of {name!r}: {len(k.ids)} ids but {len(k.labels)} labels and "
                                 f"{len(k.places)} places")
            k.mean, k.mean_count = mean.copy(), float(np.asarray(state[f"{name}/mean_count"]))
            kinds[name] = k
        self._kinds = kinds
        self._next_id = int(np.asarray(state["next_id"]))


def _add_place(k: "_Kind", row: int, place: tuple[float, float] | None, weight: float) -> None:
    """Fold a placement into the entity's resting place (a running weighted mean)."""
    if place is None:
        return
    x, y, w = k.places[row]
    total = w + weight
    k.places[row] = ((x * w + place[0] * weight) / total, (y * w + place[1] * weight) / total, total)


# ---------------------------------------------------------------------- face-voice binding

@dataclass(frozen=True)
class BinderConfig:
    # seconds a face must be alone on screen while a voice speaks before the two are bound
    min_seconds: float = 4.0
    # share of the voice's solo-face time (and of the face's time with a voice) the pair needs
    min_share: float = 0.6
    # a face sighting counts for this many seconds around its frame (the sampling interval)
    frame_s: float = 0.5

    def __post_init__(self) -> None:
        if self.min_seconds <= 0 or self.frame_s <= 0:
            raise ValueError(f"BinderConfig: expected min_seconds > 0 and frame_s > 0; got "
                             f"{self.min_seconds}, {self.frame_s}")
        if not 0.5 <= self.min_share <= 1.0:
            raise ValueError(f"BinderConfig.min_share={self.min_share!r}: expected a share in [0.5, 1]")


@dataclass(frozen=True)
class Binding:
    face: int  # entity id of the face
    voice: int  # entity id of the voice
    seconds: float  # time the face was alone on screen while the voice spoke
    share: float  # the smaller of the pair's shares of the voice's and the face's co-occurrence time


class FaceVoiceBinder:
    """Counts, per (face, voice), the time a face is the only one visible while a voice speaks."""

    def __init__(self, config: BinderConfig | None = None, **options: float) -> None:
        self.config = config or build_options(BinderConfig, "FaceVoiceBinder", options)
        self._faces: dict[float, set[int]] = defaultdict(set)  # frame time -> faces visible
        self._seconds: dict[tuple[int, int], float] = defaultdict(float)
        self._bound: set[tuple[int, int]] = set()

    def observe_faces(self, time: float, faces: Iterable[int]) -> None:
        """The face entities visible in the frame at ``time`` (call for frames with no face too)."""
        self._faces[float(time)].update(int(f) for f in faces)

    def observe_voice(self, voice: int, start: float, end: float) -> None:
        """A voice entity spoke from ``start`` to ``end``; frames already observed in that span count."""
        for time, faces in self._faces.items():
            if start <= time < end and len(faces) == 1:
                self._seconds[(next(iter(faces)), int(voice))] += self.config.frame_s

    def forget_before(self, time: float) -> None:
        """Drop face sightings before ``time`` (bounded memory on long streams)."""
        for t in [t for t in self._faces if t < time]:
            del self._faces[t]

    def bindings(self) -> list[Binding]:
        """Pairs newly past the thresholds (each pair is reported once)."""
        per_voice: dict[int, float] = defaultdict(float)
        per_face: dict[int, float] = defaultdict(float)
        for (face, voice), s in self._seconds.items():
            per_voice[voice] += s
            per_face[face] += s
        found = []
        for (face, voice), s in sorted(self._seconds.items(), key=lambda item: -item[1]):
            share = min(s / per_voice[voice], s / per_face[face])
            if s >= self.config.min_seconds and share >= self.config.min_share and (face, voice) not in self._bound:
                self._bound.add((face, voice))
                found.append(Binding(face, voice, s, share))
        return found


# ---------------------------------------------------------------------- scoring

def bcubed(pred_labels: Sequence[Hashable], true_labels: Sequence[Hashable],
           weights: Sequence[float] | None = None) -> tuple[float, float, float]:
    """B-cubed (precision, recall, F1) of a clustering against true classes (Bagga & Baldwin 1998).

    Per item: precision is the share of its cluster that shares its class, recall the share of its
    class that shares its cluster; both are averaged over items (weighted by ``weights``).
    """
    if len(pred_labels) != len(true_labels):
        raise ValueError(f"bcubed: {len(pred_labels)} predicted labels but {len(true_labels)} true ones")
    if not len(pred_labels):
        raise ValueError("bcubed: no items to score")
    w = np.ones(len(pred_labels)) if weights is None else np.asarray(weights, np.float64)
    if w.shape != (len(pred_labels),) or (w < 0).any() or w.sum() <= 0:
        raise ValueError("bcubed: weights must be one non-negative number per item, not all zero")
    joint: dict[tuple[Hashable, Hashable], float] = defaultdict(float)
    cluster: dict[Hashable, float] = defaultdict(float)
    klass: dict[Hashable, float] = defaultdict(float)
    for p, t, wi in zip(pred_labels, true_labels, w):
        joint[(p, t)] += wi
        cluster[p] += wi
        klass[t] += wi
    total = float(w.sum())
    precision = sum(n * n / cluster[p] for (p, _), n in joint.items() if n) / total
    recall = sum(n * n / klass[t] for (_, t), n in joint.items() if n) / total
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return float(precision), float(recall), float(f1)


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def reidentify(tracks: Sequence, clusterer: "ReidClusterer") -> list[tuple[Any, int]]:
    """(track, entity) for closed tracks, as ingest does it: tracks of one kind seen at the same time
    are kept apart, and proposed merges are applied after each track (union-find on the returned ids)."""
    parent: dict[int, int] = {}

    def root(e: int) -> int:
        while e in parent:
            e = parent[e]
        return e

    done: list[tuple[Any, int]] = []
    for track in tracks:  # in the order they closed
        if track.appearance is None:
            continue
        busy = [root(e) for other, e in done
                if other.kind == track.kind and other.start <= track.end and track.start <= other.end]
        entity = clusterer.assign(track.appearance, track.kind, space=track.space, weight=len(track), exclude=busy)
        done.append((track, entity))
        for a, b, _ in clusterer.merge_candidates():
            a, b = root(a), root(b)
            if a != b:
                clusterer.merge(a, b)
                parent[b] = a
    return [(track, root(e)) for track, e in done]
