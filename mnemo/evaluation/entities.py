"""Entity clustering quality: B-cubed precision, recall and F1 (Bagga and Baldwin, 1998), and its
measurement on simulated episodes through the tracker and re-identification that ingest uses.
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


def score_sim_entities(truth_path: str | Path, tracker: Mapping[str, Any] | None = None,
                       reid: Mapping[str, Any] | None = None, noise: Any = None, seed: int = 0) -> dict:
    """B-cubed of the entity chain ingest uses (tracker, then online re-identification with merges)
    on the simulator's noisy detections of an episode, per kind and over all detections.

    Every detection is an item: its cluster is the entity its track was given, its class the true
    identity (false detections are each their own class).
    """
    import sim.detector  # noqa: F401  (registers the detector "sim")
    from perception.detection import create_detector
    from perception.reid import ReidClusterer, reidentify
    from perception.tracking import Tracker

    detector = create_detector("sim", truth=str(truth_path), noise=noise, seed=seed)
    chain = Tracker("sim", **dict(tracker or {}))
    tracks = []
    for t in detector.times:
        tracks += chain.update(t, detector.detect([None], [t])[0])
    tracks += chain.flush()
    entities = reidentify(tracks, ReidClusterer(**dict(reid or {})))
    out: dict[str, Any] = {}
    everything_pred: dict[Hashable, Hashable] = {}
    everything_true: dict[Hashable, Hashable] = {}
    for kind in sorted({t.kind for t in tracks}):
        pred, true = _items([(t, e) for t, e in entities if t.kind == kind])
        if pred:
            out[kind] = {**bcubed(pred, true).to_dict(), "found": len(set(pred.values())),
                         "true": len({v for v in true.values() if not str(v).startswith("false:")})}
            everything_pred.update({(kind, k): (kind, v) for k, v in pred.items()})
            everything_true.update({(kind, k): v for k, v in true.items()})
    overall = bcubed(everything_pred, everything_true) if everything_pred else None
    return {"overall": overall.to_dict() if overall else None, "by_kind": out, "tracks": len(tracks)}


def _items(assigned) -> tuple[dict, dict]:
    pred, true = {}, {}
    for track, entity in assigned:
        for i, identity in enumerate(track.truths):
            key = (track.track_id, i)
            pred[key] = entity
            true[key] = identity or f"false:{track.track_id}"
    return pred, true
