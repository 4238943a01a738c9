"""Entities from ingest: voices heard in an event become voice entities, named when they say so."""

from __future__ import annotations

import logging

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
