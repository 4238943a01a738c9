"""Entities from ingest: voices heard in an event become voice entities, named when they say so."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from memory.entities import EntityRegistry, introduced_names, speaker_label
from memory.event import Event
from memory.store import MemoryStore

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
            for name in _names(u.text):
                self.registry.name(entity, name, source=_NAME_SOURCE.get(u.origin, "transcript"))

    def reconcile(self, stream: str) -> None:
        """Link the stream's last committed event if a crash came between it and its links."""
        events = self.store.events(stream=stream, thumbnails=False)
        if events:
            last = events[-1]
            last.utterances = self.store.utterances(event_id=last.id)
            self.link(last)


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
    tracker: Mapping[str, Any] = field(default_factory=dict)  # perception.tracking.TrackerConfig fields
    reid: Mapping[str, Any] = field(default_factory=dict)  # perception.reid.ReidConfig fields

    def __post_init__(self) -> None:
        object.__setattr__(self, "detectors", tuple(self.detectors))
        if not self.fps > 0:
            raise ValueError(f"entities.fps must be > 0, got {self.fps!r}")

    @property
    def enabled(self) -> bool:
        return bool(self.detectors)


class EntityStage:
    """Frames -> detections -> tracks -> entities of the registry (re-identified across streams).

    Tracks enter the memory when they close; their appearances are attached to the events they
    fall in. The re-identification state is saved with every event, so entity ids persist across
    streams and runs. Tracks still open when a run is interrupted are lost with it.
    """

    def __init__(self, config: EntitiesConfig, stream: str, encoder, linker: EntityLinker):
        from perception.detection import create_detector
        from perception.reid import ReidClusterer
        from perception.tracking import Tracker
        from streams.sampling import FrameClock

        self.stream = stream
        self.store = linker.store
        self.registry = linker.registry
        self.detectors = [create_detector(name, encoder=encoder, **dict(config.detector_options.get(name, {})))
                          for name in config.detectors]
        self.tracker = Tracker(stream, fps=config.fps, **dict(config.tracker))
        self.reid = ReidClusterer(id_source=lambda kind: self.registry.add_entity(kind), **dict(config.reid))
        state = self.registry.load_reid()
        if state is not None:
            self.reid.load_state_dict(state)
        self.clock = FrameClock(config.fps)
        self.recent: list[tuple[int, str, float, float]] = []  # (entity, kind, start, end) of closed tracks

    def observe(self, frames: Sequence) -> None:
        """Look at the frames (VideoFrames) the detection rate keeps."""
        chosen = [f for f in frames if self.clock.keep(f.time)]
        if not chosen:
            return
        found: list[list] = [[] for _ in chosen]
        for detector in self.detectors:
            for i, detections in enumerate(detector.detect([f.image for f in chosen], [f.time for f in chosen])):
                found[i] += detections
        for frame, detections in zip(chosen, found):
            for track in self.tracker.update(frame.time, detections):
                self._enter(track)

    def committed(self, event: Event) -> None:
        """An event was stored: attach the appearances inside it, save the re-identification state."""
        self.registry.link_events(self.stream, event.id, event.start, event.end)
        self.registry.save_reid(self.reid.state_dict())

    def finish(self) -> None:
        """End of stream: close every track and attach it."""
        for track in self.tracker.flush():
            self._enter(track)
        self.registry.save_reid(self.reid.state_dict())

    def _enter(self, track) -> None:
        if track.appearance is None:
            return
        busy = [e for e, kind, start, end in self.recent if kind == track.kind and start < track.end and end > track.start]
        entity = self.reid.assign(track.appearance, track.kind, space=track.space, weight=len(track), exclude=busy)
        self.registry.add_track(track, entity)
        self.recent = [r for r in self.recent if r[3] > track.start - 600.0] + [(entity, track.kind, track.start,
                                                                                  track.end)]
        self._attach(track)
        for a, b, _ in self.reid.merge_candidates():
            if not self.registry.overlapping(a, b):
                keep = self.registry.merge(a, b)
                self.reid.merge(keep, b if keep == a else a)

    def _attach(self, track) -> None:
        """A track that closed after its event was stored is attached to that event now."""
        middle = (track.start + track.end) / 2
        for event in self.store.events(stream=self.stream, start=middle, end=middle + 1e-6, thumbnails=False):
            self.registry.link_events(self.stream, event.id, event.start, event.end)
