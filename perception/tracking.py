"""Tracking within one stream: detections of consecutive frames linked into tracks.

Association is Roboflow's ByteTrack (the ``trackers`` package, successor of supervision's
``sv.ByteTrack``): Kalman-predicted boxes matched by IoU, high-confidence detections first,
then low-confidence ones to keep occluded tracks alive. It runs on media time stamps, so
irregular sampling is fine. One ByteTrack per kind (people, faces, objects) and label. Every detector's
boxes go through it, the simulator's too: no detector hands in identities.

A closed :class:`Track` is the unit that enters memory: its boxes over time, a mean appearance
vector and its best crop; re-identification (``perception.reid``) gives it an entity.

``trackers`` declares a dependency on the GUI build ``opencv-python``, which clashes with
``opencv-python-headless``; install it with ``pip install --no-deps 'trackers>=2.6'`` (its other
needs, supervision, scipy, rich, requests and pydeprecate, are mnemo dependencies).
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from perception.detection.base import Box, Detection, iou
from perception.options import build_options

logger = logging.getLogger(__name__)

_TRACKERS_FIX = ("the 'trackers' package is not installed: pip install --no-deps 'trackers>=2.6' "
                 "(--no-deps: it asks for the GUI opencv-python, which clashes with opencv-python-headless)")


@dataclass(frozen=True)
class TrackerConfig:
    # a track not matched for this many seconds of media time is closed (ByteTrack's lost budget);
    # never less than one and a half sampling intervals (1.5 / fps): one missed frame never ends a track
    lost_s: float = 1.5
    # IoU a detection needs with a track's predicted box to continue it
    min_iou: float = 0.1
    # detections scoring at least this start new tracks
    activation_score: float = 0.5
    # detections scoring at least this are matched first; lower ones only continue tracks
    high_score: float = 0.6
    # closed tracks with fewer detections are false alarms unless confirmed otherwise (below): dropped, or
    # returned unconfirmed with keep_short
    min_detections: int = 2
    # a shorter track whose best detection scores at least this is confirmed all the same (a thing seen once,
    # clearly); None: length alone confirms
    short_score: float | None = None
    # return unconfirmed short tracks too (Track.confirmed False), for re-identification to keep those that
    # are an entity already known (a thing seen once more where it rests); False: drop them
    keep_short: bool = False
    # the kinds ("person", "face", "object") whose short tracks short_score and keep_short apply to; the others
    # need min_detections (a person's lone box at 1 Hz is more often a jump than someone new)
    short_kinds: tuple[str, ...] = ("person", "face", "object")
    # a track running longer than this many seconds is closed and continued as a new track; None: never
    max_track_s: float | None = 300.0
    # nominal frames per second of the sampled stream (scales ByteTrack's motion model)
    fps: float = 5.0
    # one ByteTrack per label within a kind: a box never continues a track of another label (a sofa's track
    # does not jump onto the armchair beside it when the camera turns); False: one per kind
    per_label: bool = True

    @property
    def lost_budget(self) -> float:
        """Seconds without a match after which a track is lost: lost_s, or 1.5 sampling intervals."""
        return max(self.lost_s, 1.5 / self.fps)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lost_s) and self.lost_s >= 0):
            raise ValueError(f"TrackerConfig.lost_s={self.lost_s!r}: expected seconds >= 0")
        for name in ("min_iou", "activation_score", "high_score"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"TrackerConfig.{name}={value!r}: expected a value in [0, 1]")
        if self.short_score is not None and not 0.0 <= self.short_score <= 1.0:
            raise ValueError(f"TrackerConfig.short_score={self.short_score!r}: expected a score in [0, 1] or None")
        object.__setattr__(self, "short_kinds", tuple(self.short_kinds))
        unknown = sorted(set(self.short_kinds) - {"person", "face", "object"})
        if unknown:
            raise ValueError(f"TrackerConfig.short_kinds={self.short_kinds!r}: {unknown} are not kinds; expected "
                             "some of person, face, object")
        if self.min_detections < 1:
            raise ValueError(f"TrackerConfig.min_detections={self.min_detections!r}: expected >= 1")
        if self.max_track_s is not None and not self.max_track_s > 0:
            raise ValueError(f"TrackerConfig.max_track_s={self.max_track_s!r}: expected seconds > 0 or None")
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"TrackerConfig.fps={self.fps!r}: expected frames per second > 0")


@dataclass(eq=False)
class Track:
    """One thing followed through consecutive frames of one stream."""

    stream: str
    track_id: int  # unique within its Tracker
    kind: str  # "person", "face" or "object"
    label: str | None  # the most frequent label of its detections
    times: np.ndarray  # (n,) media times, seconds, increasing
    boxes: np.ndarray  # (n, 4) x0 y0 x1 y1 pixels
    scores: np.ndarray  # (n,) detector scores
    appearance: np.ndarray | None  # (dim,) unit mean of the detections' appearance vectors
    space: str | None  # vector space of ``appearance``
    crop: np.ndarray | None = None  # the best crop (highest score x sqrt(area)); biometric for faces
    crop_time: float | None = None
    crop_box: Box | None = None
    states: tuple[str, ...] = ()  # per-detection open/closed state as the detector read it ("" when not read)
    truths: tuple[str | None, ...] = ()  # per-detection true entity (synthetic tests only, for scoring)
    positions: tuple[tuple[float, float] | None, ...] = ()  # per-detection measured position (3-D detectors), or None
    confirmed: bool = True  # False: shorter than min_detections and not scoring short_score (kept by keep_short)

    @property
    def start(self) -> float:
        return float(self.times[0])

    @property
    def end(self) -> float:
        return float(self.times[-1])

    def __len__(self) -> int:
        return len(self.times)

    @property
    def truth(self) -> str | None:
        """The true entity of most of its detections (synthetic tests only)."""
        known = [t for t in self.truths if t is not None]
        return Counter(known).most_common(1)[0][0] if known else None

    def box_at(self, time: float) -> Box:
        """The box of the detection nearest to ``time``."""
        i = int(np.argmin(np.abs(self.times - time)))
        return tuple(float(v) for v in self.boxes[i])  # type: ignore[return-value]


@dataclass
class _Building:
    """An open track gathering detections."""

    track_id: int
    kind: str
    detections: list[Detection] = field(default_factory=list)

    @property
    def last(self) -> float:
        return self.detections[-1].time

    @property
    def first(self) -> float:
        return self.detections[0].time


class Tracker:
    """Tracks of one stream: ``update`` once per sampled frame (in time order), ``flush`` at the end."""

    def __init__(self, stream: str = "", config: TrackerConfig | None = None, **options: Any) -> None:
        if config is not None and options:
            raise TypeError("Tracker: pass either config= or options, not both")
        self.stream = stream
        self.config = config or build_options(TrackerConfig, "Tracker", options)
        self._next_id = 0
        self._open: dict[tuple, _Building] = {}  # (group, ByteTrack id) -> open track
        self._bytetrack: dict[tuple, Any] = {}  # group (kind, and label if per_label) -> ByteTrackTracker
        self._pending: dict[tuple, list[Detection]] = {}  # group -> detections not (yet) in a track
        self._time: float | None = None

    def update(self, time: float, detections: Sequence[Detection]) -> list[Track]:
        """Feed one frame's detections (all at ``time``); returns the tracks that closed."""
        time = float(time)
        if self._time is not None and time < self._time:
            raise ValueError(f"Tracker.update: time {time} is earlier than the previous frame's {self._time}")
        self._time = time
        by_group = self._split(detections)
        for group in sorted(set(by_group) | set(self._bytetrack)):  # sorted: set order follows the per-process string hash
            self._associate(group, time, by_group.get(group, []))
        return self._close_stale(time)

    def flush(self) -> list[Track]:
        """Close every open track (end of stream, or a checkpoint); the tracker starts afresh."""
        closed = [self._finish(b) for b in self._open.values()]
        closed += self._singletons(d for pending in self._pending.values() for d in pending)
        self._open.clear()
        self._pending.clear()
        self._bytetrack.clear()
        self._time = None
        return _kept(closed, self.config)

    # ------------------------------------------------------------------ association
    def _split(self, detections: Sequence[Detection]) -> dict[tuple, list[Detection]]:
        """The frame's detections by group: their kind, and their label where tracks keep labels apart."""
        by_group: dict[tuple, list[Detection]] = {}
        for d in detections:
            if abs(d.time - self._time) > 1e-6:  # type: ignore[operator]
                raise ValueError(f"Tracker.update: a detection at {d.time} in the frame at {self._time}")
            group = (d.kind, d.label or "") if self.config.per_label else (d.kind, "")
            by_group.setdefault(group, []).append(d)
        return by_group

    def _associate(self, group: tuple, time: float, detections: list[Detection]) -> None:
        import supervision as sv

        tracker = self._bytetrack[group] if group in self._bytetrack else self._new_bytetrack(group)
        if detections:
            boxes = np.asarray([d.box for d in detections], dtype=np.float64)
            given = sv.Detections(xyxy=boxes, confidence=np.asarray([d.score for d in detections], np.float64),
                                  data={"index": np.arange(len(detections))})
        else:
            given = sv.Detections.empty()
        result = tracker.update(given, timestamp=time)
        ids = np.asarray(result.tracker_id if result.tracker_id is not None else [], dtype=np.int64)
        indices = result.data.get("index", np.zeros(0, np.int64)) if len(result) else np.zeros(0, np.int64)
        pending = self._pending.setdefault(group, [])
        for index, track in zip(indices, ids):
            d = detections[int(index)]
            if track < 0:
                pending.append(d)
                continue
            key = (group, int(track))
            fresh = key not in self._open
            self._extend(key, d)
            if fresh:
                self._claim_prefix(self._open[key], pending)

    def _new_bytetrack(self, group: tuple) -> Any:
        try:
            from trackers import ByteTrackTracker
        except ImportError as error:
            raise ImportError(_TRACKERS_FIX) from error
        c = self.config
        tracker = ByteTrackTracker(
            lost_track_buffer=max(0, round(c.lost_budget * 30.0)),  # counted in 30 fps frames; seconds with time stamps
            frame_rate=c.fps, track_activation_threshold=c.activation_score, minimum_consecutive_frames=1,
            minimum_iou_threshold=c.min_iou, high_conf_det_threshold=c.high_score)
        self._bytetrack[group] = tracker
        return tracker

    def _claim_prefix(self, building: _Building, pending: list[Detection]) -> None:
        """Give a new track the unconfirmed detections that started it (ByteTrack reports a track
        from its second detection on): the chain of earlier unclaimed boxes overlapping it."""
        head = building.detections[0]
        while True:
            earlier = [d for d in pending if d.time < head.time and head.time - d.time <= self.config.lost_budget + 1e-9]
            if not earlier:
                return
            overlap = iou(np.asarray([head.box]), np.asarray([d.box for d in earlier]))[0]
            latest = max(d.time for d in earlier)
            best = max((i for i, d in enumerate(earlier) if d.time == latest), key=lambda i: overlap[i])
            if overlap[best] < self.config.min_iou:
                return
            head = earlier[best]
            pending.remove(head)
            building.detections.insert(0, head)

    def _extend(self, key: tuple, d: Detection) -> None:
        building = self._open.get(key)
        if building is None:
            building = self._open[key] = _Building(self._next_id, d.kind)
            self._next_id += 1
        building.detections.append(d)

    # ------------------------------------------------------------------ closing
    def _close_stale(self, time: float) -> list[Track]:
        c = self.config
        closed = []
        for key, building in list(self._open.items()):
            lost = time - building.last > c.lost_budget + 1e-9
            too_long = c.max_track_s is not None and building.last - building.first >= c.max_track_s
            if lost or too_long:
                closed.append(self._finish(self._open.pop(key)))
        for group, pending in self._pending.items():
            expired = [d for d in pending if time - d.time > c.lost_budget + 1e-9]
            if expired:
                self._pending[group] = [d for d in pending if time - d.time <= c.lost_budget + 1e-9]
                closed += self._singletons(expired)
        closed.sort(key=lambda t: (t.end, t.track_id))
        return _kept(closed, c)

    def _singletons(self, detections: Iterable[Detection]) -> list[Track]:
        """Detections that never joined a track, as one-detection tracks (dropped by _kept unless min_detections
        is 1, their score reaches short_score, or keep_short)."""
        out = []
        for d in detections:
            if _may_keep(self.config, d.kind, 1, d.score):
                out.append(self._finish(_Building(self._next_id, d.kind, [d])))
                self._next_id += 1
        return out

    def _finish(self, building: _Building) -> Track:
        return make_track(self.stream, building.track_id, building.kind, building.detections)


def make_track(stream: str, track_id: int, kind: str, detections: Sequence[Detection]) -> Track:
    """A Track from its detections (in time order): mean appearance, majority label, best crop."""
    detections = sorted(detections, key=lambda d: d.time)
    labels = Counter(d.label for d in detections if d.label is not None)
    with_vectors = [d for d in detections if d.appearance is not None]
    mean, space = None, None
    if with_vectors:
        spaces = {d.space for d in with_vectors}
        if len(spaces) > 1:
            raise ValueError(f"track {track_id}: appearance vectors of several spaces {sorted(spaces)}")
        space = with_vectors[0].space
        total = np.sum([np.asarray(d.appearance, np.float64) for d in with_vectors], axis=0)
        mean = (total / max(float(np.linalg.norm(total)), 1e-12)).astype(np.float32)
    cropped = [d for d in detections if d.crop is not None]
    best = max(cropped, key=lambda d: d.score * math.sqrt(d.area)) if cropped else None
    return Track(stream=stream, track_id=track_id, kind=kind,
                 label=labels.most_common(1)[0][0] if labels else None,
                 times=np.asarray([d.time for d in detections], np.float64),
                 boxes=np.asarray([d.box for d in detections], np.float64).reshape(-1, 4),
                 scores=np.asarray([d.score for d in detections], np.float64),
                 appearance=mean, space=space,
                 crop=None if best is None else best.crop, crop_time=None if best is None else best.time,
                 crop_box=None if best is None else best.box,
                 states=tuple(d.state for d in detections), truths=tuple(d.truth for d in detections),
                 positions=tuple(d.position for d in detections))


def _may_keep(config: TrackerConfig, kind: str, length: int, best_score: float) -> bool:
    """A track of ``kind`` and ``length`` detections whose best scores ``best_score`` is kept (confirmed or not)."""
    return (config.keep_short and kind in config.short_kinds) or _confirmed(config, kind, length, best_score)


def _confirmed(config: TrackerConfig, kind: str, length: int, best_score: float) -> bool:
    """Long enough, or short (of a kind in short_kinds) but scored at least short_score."""
    return length >= config.min_detections or (
        kind in config.short_kinds and config.short_score is not None and best_score >= config.short_score)


def _kept(tracks: list[Track], config: TrackerConfig) -> list[Track]:
    """The tracks to return: confirmed ones; with keep_short, unconfirmed ones too, marked."""
    kept = []
    for t in tracks:
        t.confirmed = _confirmed(config, t.kind, len(t), float(np.max(t.scores)))
        if t.confirmed or _may_keep(config, t.kind, len(t), float(np.max(t.scores))):
            kept.append(t)
    if len(kept) < len(tracks):
        logger.debug("dropped %d tracks shorter than %d detections", len(tracks) - len(kept), config.min_detections)
    return kept
