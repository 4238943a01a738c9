"""Entities from ingest: voices heard in an event become voice entities, named when they say so."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from memory.entities import EntityRegistry, introduced_names, speaker_label
from memory.event import Event
from memory.perceived import Sighting, add_sightings, placed
from memory.store import MemoryStore
from mnemo.positions import estimate_positions
from perception.categories import is_furniture
from perception.colour import ColourNamer
from perception.detection.still import StillFrames
from perception.geometry import LevelCamera, cut_off

logger = logging.getLogger(__name__)

_NAME_SOURCE = {"asr": "transcript", "subtitle": "subtitle", "sidecar": "subtitle"}


class EntityLinker:
    """Links committed events to entities. Idempotent per event, so a resumed ingest can redo the
    last event's links (the event and its links are written in two transactions)."""

    def __init__(self, store: MemoryStore):
        self.store = store
        self._registry: EntityRegistry | None = None

    @property
    def registry(self) -> EntityRegistry:
        if self._registry is None:
            self._registry = EntityRegistry(self.store)
        return self._registry

    def link(self, event: Event) -> None:
        """Voice entities for the event's utterances: an appearance per utterance, names from labels."""
        if event.id is None or not any(u.voice for u in event.utterances) or self.registry.linked(event.id):
            return
        for u in event.utterances:
            if not u.voice:
                continue
            entity = self.registry.entity_for(u.voice, "voice")
            self.registry.add_appearance(entity, u.stream, u.start, u.end, event_id=event.id)
            for name in _names(u.text):  # known once the line is heard: at its end
                self.registry.name(entity, name, source=_NAME_SOURCE.get(u.origin, "transcript"), time=u.end,
                                   stream=u.stream)

    def reconcile(self, stream: str) -> None:
        """Link the stream's last committed event if a crash came between it and its links."""
        events = self.store.events(stream=stream, thumbnails=False)
        if events:
            last = events[-1]
            last.utterances = self.store.utterances(event_id=last.id)
            self.link(last)


# tracker options ingest sets unless the profile's entities.tracker does: a thing's short track (one detection)
# is kept when it scores this high, or, unconfirmed, when re-identification attaches it to a known entity;
# people and faces need two detections (a lone box at 1 Hz split or mixed people: B-cubed 0.81 -> 0.74)
_SHORT_TRACKS = {"short_score": 0.8, "keep_short": True, "short_kinds": ("object",)}


def _kind(track) -> str:
    """The sighting kind of a track: furniture for an object whose label names furniture."""
    return "furniture" if track.kind == "object" and is_furniture(track.label) else track.kind


def _resting(track, where: list) -> tuple[float, float] | None:
    """Where a piece of furniture rests (the median of its placed detections), None for anything that moves."""
    placed = [p for p in where if p is not None]
    if _kind(track) != "furniture" or not placed:
        return None
    xs, ys = zip(*placed)
    return float(np.median(xs)), float(np.median(ys))


def _other_space(state: Mapping[str, Any], space: str) -> str:
    """The vector space a saved re-identification state holds people or things in, where it is not ``space``."""
    kinds = {str(k) for k in np.asarray(state.get("kinds", [])).reshape(-1)}
    for kind in ("person", "object"):
        held = str(np.asarray(state.get(f"{kind}/space", ""))) if kind in kinds else ""
        if held and held != space:
            return held
    return ""


def _key(time: float, box) -> tuple:
    return (round(float(time), 3), *(round(float(v), 1) for v in box))


def _names(text: str) -> list[str]:
    """The speaker's own name: a line's label ("ALICE: ..."), else the first self-introduction."""
    labelled = speaker_label(text) if text else None
    if labelled:
        return [labelled[0]]
    return introduced_names(text or "")[:1]


@dataclass(frozen=True)
class EntitiesConfig:
    """The entities section of a profile: who and what is seen."""

    detectors: tuple[str, ...] = ()  # detector names ("hog-people", "haar-faces", ...); empty: none
    detector_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # per detector name
    fps: float = 1.0  # sampled frames per second of media time that the detectors look at
    still: float = 1.0  # grey levels (of a 32x18 glance) under which a frame is unchanged: detections reused; 0: never
    tracker: Mapping[str, Any] = field(default_factory=dict)  # perception.tracking.TrackerConfig fields
    reid: Mapping[str, Any] = field(default_factory=dict)  # perception.reid.ReidConfig fields
    # the crop encoder of appearance vectors for re-identification: a registered frame encoder's name ("parts":
    # colours of a box's stripes, what people wear) or "frame" (the profile's frame encoder: descriptor, CLIP);
    # face detectors always use the profile's frame encoder
    appearance: str = "parts"
    # perception.geometry.LevelCamera fields (height_m, hfov_deg, ...) of a level camera: with a pose log,
    # sightings get a position from their box's ground contact; empty: no positions
    camera: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "detectors", tuple(self.detectors))
        if self.camera:
            try:
                LevelCamera(**dict(self.camera))
            except TypeError as error:
                raise ValueError(f"entities.camera={dict(self.camera)!r}: {error}; expected LevelCamera fields "
                                 "(height_m, hfov_deg, max_range_m, edge_px)") from error
        if not self.appearance or not isinstance(self.appearance, str):
            raise ValueError(f"entities.appearance={self.appearance!r}: expected 'frame' or a frame encoder's name")
        if not self.fps > 0:
            raise ValueError(f"entities.fps must be > 0, got {self.fps!r}")
        if not self.still >= 0:
            raise ValueError(f"entities.still must be >= 0 grey levels, got {self.still!r}")

    @property
    def enabled(self) -> bool:
        return bool(self.detectors)


class EntityStage:
    """Frames -> detections -> tracks -> entities of the registry (re-identified across streams).

    Detections wait in a queue until the event they fall in is stored; then they go through the
    tracker, which is flushed at the event's end, so tracks never cross an event boundary. A
    resumed ingest therefore starts with a fresh tracker exactly where the uninterrupted one was
    flushed, and gives the same entities. Tracks of one event become appearances attached to it;
    a face alone on screen while a voice speaks in the event is bound to that voice (one person).
    The re-identification state is saved with every event.
    """

    def __init__(self, config: EntitiesConfig, stream: str, encoder, linker: EntityLinker):
        from perception.detection import create_detector
        from perception.encoders.registry import create_frame_encoder
        from perception.reid import ReidClusterer
        from perception.tracking import Tracker
        from streams.sampling import FrameClock

        self.stream = stream
        self.store = linker.store
        self.registry = linker.registry
        self.detectors = [create_detector(name, encoder=encoder, **dict(config.detector_options.get(name, {})))
                          for name in config.detectors]
        # re-identification vectors of people's and things' crops (faces keep the detector's: a face is who it
        # is, not what colours it has); None: the detectors' own (the profile's frame encoder)
        self.crops = None if config.appearance == "frame" else create_frame_encoder(config.appearance)
        # ingest keeps short tracks that re-identification attaches to a known entity (_known), and confident ones
        self.tracker = Tracker(stream, fps=config.fps, **{**_SHORT_TRACKS, **dict(config.tracker)})
        state = self.registry.load_reid()
        if state is not None and self.crops is not None and _other_space(state, self.crops.space):
            logger.warning("entities: this memory's people and things were re-identified on %s vectors, not %s: "
                           "it goes on with the profile's frame encoder (entities.appearance: frame)",
                           _other_space(state, self.crops.space), self.crops.space)
            self.crops = None
        # thresholds that suit the crop encoder's space, unless the profile sets its own
        reid = {**getattr(self.crops, "reid_options", {}), **dict(config.reid)}
        self.reid = ReidClusterer(id_source=lambda kind: self.registry.add_entity(kind), **reid)
        if state is not None:
            self.reid.load_state_dict(state)
        self.clock = FrameClock(config.fps)
        self.still = StillFrames(config.still)
        self.colours = ColourNamer()
        self.camera = LevelCamera(**dict(config.camera)) if config.camera else None
        self.size: tuple[int, int] | None = None  # (width, height) of the frames the detectors saw
        self.queue: list[tuple[float, list]] = []  # (time, detections) of frames not yet in a stored event
        self.read_colours: dict[tuple, str] = {}  # (time, box) of an object detection -> its colour
        self.recent: list[tuple[int, str, float, float]] = []  # (entity, kind, start, end) of closed tracks
        self.now: float | None = None  # the end of the event whose tracks are entered: the time of their merges
        # hook for the segmenter's entities channel: called with (time, detections) of every analysed frame
        self.on_detections: Callable[[float, list], None] | None = None

    def observe(self, frames: Sequence) -> None:
        """Detect in the frames (VideoFrames) the detection rate keeps; queue the detections."""
        chosen = [f for f in frames if self.clock.keep(f.time)]
        if not chosen:
            return
        found = self.still.detect([f.image for f in chosen], [f.time for f in chosen], self._detect)
        self.size = (int(chosen[-1].image.shape[1]), int(chosen[-1].image.shape[0]))
        for frame, detections in zip(chosen, found):
            for d in detections:
                if d.kind == "object":
                    self.read_colours[_key(d.time, d.box)] = self.colours.of_box(frame.image, d.box)
        self.queue += [(frame.time, detections) for frame, detections in zip(chosen, found)]
        if self.on_detections is not None:
            for frame, detections in zip(chosen, found):
                self.on_detections(frame.time, detections)

    def _detect(self, images: list, times: list[float]) -> list[list]:
        found: list[list] = [[] for _ in images]
        for detector in self.detectors:
            for i, detections in enumerate(detector.detect(images, times)):
                found[i] += detections
        return found if self.crops is None else self._reid_vectors(found)

    def _reid_vectors(self, found: list[list]) -> list[list]:
        """People's and things' appearance vectors from the re-identification crop encoder (faces keep theirs)."""
        from perception.detection.base import with_appearance

        kept = [[d for d in frame if d.kind == "face"] for frame in found]
        encoded = with_appearance([[d for d in frame if d.kind != "face"] for frame in found], self.crops)
        return [faces + others for faces, others in zip(kept, encoded)]

    def committed(self, event: Event) -> None:
        """An event was stored: track its detections, enter its tracks, bind faces to voices, save."""
        self.now = float(event.end)  # what this event's tracks merge is known once it is over
        inside = [item for item in self.queue if item[0] < event.end]
        self.queue = self.queue[len(inside):]
        tracks = []
        for time, detections in inside:
            tracks += self.tracker.update(time, detections)
        tracks += self.tracker.flush()  # tracks end with their event
        tracks = [track for track in tracks if track.appearance is not None]
        places = self._places(tracks)
        entered = []
        for track, where in zip(tracks, places):
            place = _resting(track, where)
            known = None if track.confirmed else self._known(track, place)
            if track.confirmed or known is not None:
                entered.append((track, *self._enter(track, place, known), where))
        self._sightings(entered)
        self.read_colours = {k: v for k, v in self.read_colours.items() if k[0] >= event.end}
        self.registry.link_events(self.stream, event.id, event.start, event.end)
        self._bind([(track, entity) for track, entity, _, _ in entered], event)
        self.registry.save_reid(self.reid.state_dict())

    def _busy(self, track) -> list[int]:
        """Entities of the track's kind seen while it was in view (two in view at once are two)."""
        return [self.registry.resolve(e) for e, kind, start, end in self.recent
                if kind == track.kind and start < track.end and end > track.start]

    def _known(self, track, place: tuple[float, float] | None) -> int | None:
        """The entity already known that re-identification (label, resting place, appearance) attaches an
        unconfirmed short track to, or None: it is a thing seen once more, or else dropped as a false alarm.
        It does not move the entity's centroid."""
        entity = self.reid.assign(track.appearance, track.kind, space=track.space, weight=len(track),
                                  exclude=self._busy(track), label=track.label or "", place=place, update=False)
        return entity if entity >= 0 else None

    def _enter(self, track, place: tuple[float, float] | None, known: int | None = None) -> tuple[int, int]:
        """(entity, appearance id) of a closed track, entered into the registry; ``place``: where a thing
        that stays put rests on the map (re-identification keeps lookalikes in other places apart)."""
        entity = known if known is not None else self.reid.assign(
            track.appearance, track.kind, space=track.space, weight=len(track), exclude=self._busy(track),
            label=track.label or "", place=place)
        appearance = self.registry.add_track(track, entity, keyframe=track.crop)  # the track's best view
        self.recent = [r for r in self.recent if r[3] > track.start - 600.0] + [(entity, track.kind, track.start,
                                                                                  track.end)]
        for a, b, _ in self.reid.merge_candidates(views=self._views()):
            if not self.registry.overlapping(a, b):
                keep = self.registry.merge(a, b, time=self.now, stream=self.stream)
                self.reid.merge(keep, b if keep == a else a)
        return entity, appearance

    def _views(self) -> dict[int, np.ndarray]:
        """The gallery vectors (views of earlier tracks) of the entities of the kinds re-identification
        compares on their views, in the crop encoder's space."""
        space = getattr(self.crops, "space", None)
        views: dict[int, np.ndarray] = {}
        for kind in self.reid.config.view_kinds if space else ():
            views |= self.registry.gallery_views(kind, space)
        return views

    def _sightings(self, entered: list) -> None:
        """One sighting per detection of the entered tracks: label, score, box, colour (objects), state
        (containers, where the detector reads it), the track (its appearance id) and entity, the track's
        vector on its best view, and a position where one can be estimated (mnemo/positions.py)."""
        rows = []
        for track, entity, appearance, where in entered:
            kind = _kind(track)
            best = int(np.argmin(np.abs(track.times - track.crop_time))) if track.crop_time is not None else 0
            vector = np.asarray(track.appearance, np.float16).tobytes()
            states = track.states or ("",) * len(track)
            for i, (time, box, score) in enumerate(zip(track.times, track.boxes, track.scores)):
                box = tuple(float(v) for v in box)
                x, y = where[i] if where[i] is not None else (None, None)
                rows.append(Sighting(self.stream, float(time), int(appearance), kind,
                                     track.label or track.kind, float(score), x, y,
                                     entity=int(entity),  # as entered: merges resolve it when read
                                     colour=self.read_colours.pop(_key(time, box), ""), box=box,
                                     appearance=vector if i == best else None, state=states[i]))
        add_sightings(self.store, rows)

    def _places(self, tracks: list) -> list[list[tuple[float, float] | None]]:
        """Per track, per detection: its map position, measured by the detector (3-D) or else estimated where
        the profile gives a camera and the pose log covers it (mnemo/positions.py; the detections of one frame
        together, as small things rest on others; the furniture memory placed before, for things seen from near,
        read only when a frame cuts a piece of furniture off)."""
        places = [list(track.positions or (None,) * len(track)) for track in tracks]
        if self.camera is None or self.size is None or not tracks:
            return places
        items = [(float(t), _kind(track), tuple(float(v) for v in box)) for track in tracks
                 for t, box in zip(track.times, track.boxes)]
        labels = [track.label or track.kind for track in tracks for _ in track.times]
        times = [t for t, _, _ in items]
        poses = self.store.poses(self.stream, min(times) - 1.0, max(times) + 1.0)
        if not len(poses):
            return places
        cut = {label for (_, kind, box), label in zip(items, labels)
               if kind == "furniture" and cut_off(self.camera, self.size, box)}
        known = placed(self.store, "furniture", sorted(cut))
        flat = iter(estimate_positions(self.camera, self.size, poses, items, labels, known))
        # zip stops at the track's last detection before drawing from flat: each track takes its own
        return [[estimated if measured is None else measured for measured, estimated in zip(where, flat)]
                for where in places]

    def _bind(self, entered: list, event: Event) -> None:
        """Bind a face to the voice that speaks while it is alone on screen, within this event."""
        voices = [(u.voice, u.start, u.end) for u in event.utterances if u.voice]
        faces = [(track, entity) for track, entity in entered if track.kind == "face"]
        if not voices or not faces:
            return
        from perception.reid import FaceVoiceBinder

        binder = FaceVoiceBinder(frame_s=1.0 / max(self.clock.fps or 1.0, 1e-6))
        for time in sorted({t for track, _ in faces for t in track.times}):
            binder.observe_faces(time, {self.registry.resolve(e) for track, e in faces if time in track.times})
        for voice, start, end in voices:
            binder.observe_voice(self.registry.entity_for(voice, "voice"), start, end)
        for binding in binder.bindings():
            face, voice = self.registry.resolve(binding.face), self.registry.resolve(binding.voice)
            if face != voice:
                logger.info("%s speaks with the voice of %s: bound", face, voice)
                self.registry.bind(face, voice, time=float(event.end), stream=self.stream)
