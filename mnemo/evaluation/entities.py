"""Entity clustering quality: B-cubed precision, recall and F1 (Bagga and Baldwin, 1998), and its
measurement on what ingest stored of a simulated episode (the sightings' entities against the truth).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Hashable, Mapping


@dataclass(frozen=True)
class BCubed:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def to_dict(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


def bcubed(predicted: Mapping[Hashable, Hashable], true: Mapping[Hashable, Hashable]) -> BCubed:
    """B-cubed scores of a clustering (item -> cluster) against the truth (item -> identity),
    averaged over the items both name."""
    items = [i for i in predicted if i in true]
    if not items:
        raise ValueError("bcubed: the clustering and the truth share no item")
    pred_size = Counter(predicted[i] for i in items)
    true_size = Counter(true[i] for i in items)
    both = Counter((predicted[i], true[i]) for i in items)
    precision = sum(both[predicted[i], true[i]] / pred_size[predicted[i]] for i in items) / len(items)
    recall = sum(both[predicted[i], true[i]] / true_size[true[i]] for i in items) / len(items)
    return BCubed(precision, recall)


def score_stored_entities(store: Any, truth: Any, size: tuple[int, int], stream: str | None = None,
                          min_iou: float = 0.3, tolerance: float | None = None) -> dict:
    """B-cubed of the entities ingest stored on a simulated episode: every sighting is an item, its
    cluster the entity ingest gave it, its class the true entity whose box (from the renderer's id
    buffer at that frame, scaled to the ``size`` (width, height) of the frames the detector saw)
    overlaps its box best (IoU >= ``min_iou``, one-to-one per frame, best pairs first); a sighting
    matching no true box is a false detection, its own class per track. The frame is the truth's
    sampled frame nearest the sighting (within ``tolerance`` seconds, default half a sampling
    interval). Per sighting kind, per label and over all.
    """
    from memory.perceived import seen

    if tolerance is None:
        tolerance = 0.5 / float(truth.observation_rate)
    sx, sy = size[0] / float(truth.width), size[1] / float(truth.height)
    frames = {round(float(o.time), 3): o for o in truth.observations}
    rows = [r for r in seen(store, stream=stream) if r.box is not None and r.entity is not None]
    by_time: dict[float, list[int]] = {}
    for i, r in enumerate(rows):
        by_time.setdefault(round(r.time, 3), []).append(i)
    true_of: dict[int, Hashable] = {}
    matched = 0
    for time, members in by_time.items():
        observation = _observation(frames, time, tolerance)
        visible = [] if observation is None else [
            (e.entity, (e.box[0] * sx, e.box[1] * sy, e.box[2] * sx, e.box[3] * sy)) for e in observation.entities]
        pairs = _match([rows[i].box for i in members], [b for _, b in visible], min_iou)
        for k, i in enumerate(members):
            j = pairs.get(k)
            true_of[i] = visible[j][0] if j is not None else f"false:{rows[i].track}"
            matched += j is not None
    out: dict[str, Any] = {}
    pred_all: dict[Hashable, Hashable] = {}
    true_all: dict[Hashable, Hashable] = {}
    for kind in sorted({r.kind for r in rows}):
        pred = {i: rows[i].entity for i in range(len(rows)) if rows[i].kind == kind}
        true = {i: true_of[i] for i in pred}
        out[kind] = {**bcubed(pred, true).to_dict(), "found": len(set(pred.values())),
                     "true": len({v for v in true.values() if not str(v).startswith("false:")}), "sightings": len(pred)}
        pred_all.update(pred)
        true_all.update(true)
    overall = bcubed(pred_all, true_all) if pred_all else None
    return {"overall": overall.to_dict() if overall else None, "by_kind": out, "by_label": _by_label(rows, true_of),
            "sightings": len(rows), "matched": matched, "tracks": len({r.track for r in rows})}


def _by_label(rows: list, true_of: dict[int, Hashable]) -> dict[str, dict]:
    """B-cubed of the sightings of each detector label (which things of one label are split or merged)."""
    out = {}
    for label in sorted({r.label for r in rows}):
        pred = {i: r.entity for i, r in enumerate(rows) if r.label == label}
        out[label] = {**bcubed(pred, {i: true_of[i] for i in pred}).to_dict(), "sightings": len(pred)}
    return out


def _observation(frames: dict, time: float, tolerance: float):
    found = frames.get(round(time, 3))
    if found is not None:
        return found
    near = min(frames, key=lambda t: abs(t - time), default=None)
    return frames[near] if near is not None and abs(near - time) <= tolerance else None


def _match(boxes: list, true_boxes: list, min_iou: float) -> dict[int, int]:
    """Greedy one-to-one matching of boxes to true boxes, best IoU first: index -> true index."""
    import numpy as np

    from perception.detection.base import iou

    if not boxes or not true_boxes:
        return {}
    overlap = iou(np.asarray(boxes, float), np.asarray(true_boxes, float))
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for k, j in sorted(np.argwhere(overlap >= min_iou).tolist(), key=lambda p: -overlap[p[0], p[1]]):
        if k not in pairs and j not in taken:
            pairs[k] = j
            taken.add(j)
    return pairs
