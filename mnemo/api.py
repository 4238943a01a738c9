"""The Python API: ``mnemo.open(DIR)`` gives a Memory to ingest into, list and search."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Iterable

import numpy as np

from memory.event import Event, ScreenText, Utterance
from memory.store import MemoryStore
from mnemo.config import Profile, load_profile
from mnemo.errors import MemoryNotFound
from mnemo.pipeline import IngestReport, Ingestor, Progress

if TYPE_CHECKING:
    from memory.entities import EntityRegistry

logger = logging.getLogger(__name__)

DEFAULT_PROFILE = "standard"
_RRF_K = 60  # reciprocal-rank-fusion constant (Cormack et al.)
SCREEN_WORDS = "screen/words"  # the ranking of events by the query's words in their screen text (Hit.scores key)
CONSOLIDATE_EVERY = 1.0  # wall seconds between incremental consolidations while ingesting


@dataclass
class Hit:
    """One search result: an event and how well it matched."""

    event: int  # event id
    stream: str
    start: float  # media time, seconds
    end: float
    score: float  # cosine similarity when one space answered; reciprocal-rank fusion otherwise
    keyframe: str | None  # path of the event's main keyframe thumbnail
    text: str = ""
    scores: dict[str, float] = field(default_factory=dict)  # cosine per vector space; "screen/words": share found

    def to_dict(self) -> dict:
        return {"id": self.event, "stream": self.stream, "start": self.start, "end": self.end,
                "score": self.score, "keyframe": self.keyframe, "text": self.text, "scores": self.scores}


class Memory:
    """One memory directory, with the profile its vectors were made with."""

    def __init__(self, directory: str | Path, profile: str | Profile | None = None, create: bool = False,
                 readonly: bool = False):
        self.directory = Path(directory)
        self._created = create and not readonly and not (self.directory / "memory.db").exists()
        if not self._created and not (self.directory / "memory.db").is_file():
            raise MemoryNotFound(f"{self.directory}: no mnemo memory here (ingest into it first)")
        # read-only: a reader beside a writer in another process (the service's queries)
        self.store = MemoryStore(self.directory, create=self._created, readonly=readonly)
        self._profile = profile
        self._encoders = None
        self._registry = None
        self._writer = None  # the writer lock (mnemo/writer.py), taken by the first ingest, held until close
        self._said_no_text = False  # a search that nothing can answer was warned of once

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> "Memory":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store; a memory created by this handle that received nothing is removed."""
        empty = self._created and not self.store.streams()
        self.store.close()
        if self._writer is not None:
            self._writer.release()
        if empty:
            shutil.rmtree(self.directory, ignore_errors=True)

    # -- models ------------------------------------------------------------------------------

    @property
    def profile(self) -> Profile:
        """The profile in use: the one given, else the one the memory was built with, else standard."""
        if isinstance(self._profile, Profile):
            self.store.index_factory = self._profile.index
            return self._profile
        name = self._profile or self._recorded_profile() or DEFAULT_PROFILE
        self._profile = load_profile(name)
        self.store.index_factory = self._profile.index  # the FAISS factory string of the profile
        return self._profile

    def _recorded_profile(self) -> str | None:
        streams = self.store.streams()
        return streams[-1]["info"].get("profile") if streams else None

    def use_encoders(self, encoders) -> None:
        """Share encoders already loaded (by a service holding several memories) instead of loading them."""
        self._encoders = encoders

    @property
    def encoders(self):
        """The profile's encoders, loaded on first use."""
        if self._encoders is None:
            from mnemo.models import load_encoders

            self._encoders = load_encoders(self.profile)
        return self._encoders

    # -- ingest and read ---------------------------------------------------------------------

    def ingest(self, source: str, progress: Progress | None = None,
               trace: list[tuple[float, float]] | None = None,
               on_transcript: Callable[[Any, float], None] | None = None,
               control: Any = None) -> IngestReport:
        """Ingest one source (file, URL, device or image folder); resumes where it stopped.

        ``trace`` (a list) receives (media time, surprise z-score) for every observation.
        ``on_transcript``, with the profile's ``speech.live_asr`` on, is called with each
        ``perception.speech.Transcript`` as soon as it is final, and the media time reached then.
        ``control`` (``mnemo.runtime.control.IngestControl``) stops it from another thread (a live
        stream commits what it showed), sets how live streams reconnect, and reports their lag.
        """
        self.lock_writer()
        ingestor = Ingestor(self.store, self.encoders)
        ingestor.on_transcript = on_transcript
        report = ingestor.ingest(str(source), progress=self._consolidating(progress), trace=trace, control=control)
        self.consolidate()
        return report

    def lock_writer(self) -> None:
        """Become the memory's one writer until ``close`` (mnemo/writer.py); WriterBusy when another
        process is; ``ingest`` calls it, a batch may call it first to fail before loading models."""
        if self._writer is None:
            from mnemo.writer import WriterLock

            self._writer = WriterLock(self.directory).acquire()

    def _consolidating(self, progress: Progress | None) -> Progress:
        """The progress callback, also consolidating newly committed events every few seconds."""
        from memory.consolidation import consolidate

        last = [time.monotonic()]

        def step(done: float, total: float | None) -> None:
            if progress is not None:
                progress(done, total)
            if time.monotonic() - last[0] >= CONSOLIDATE_EVERY:
                consolidate(self.store, final=False)
                last[0] = time.monotonic()

        return step

    def consolidate(self, final: bool = True):
        """Bring episodes, sessions, places, state facts (and with ``final`` summaries and semantic
        facts) up to date with the events; incremental and idempotent. Returns a ConsolidationReport."""
        from memory.consolidation import consolidate

        return consolidate(self.store, final=final)

    def search_episodes(self, text: str, k: int = 5, stream: str | None = None) -> list[tuple[int, float]]:
        """Coarse retrieval: (episode id, cosine) of the episodes whose pooled text vector (else frame
        vector, with a text tower) is nearest the query; then ``memory.hierarchy.events_of``."""
        from memory.hierarchy import search_episodes

        for space, vector in self._query_vectors(text, None):
            found = search_episodes(self.store, space, vector, k=k, stream=stream)
            if found:
                return found
        return []

    def events(self, stream: str | None = None) -> list[Event]:
        """All events, ordered by stream and time, with keyframe thumbnail paths filled in."""
        events = self.store.events(stream=stream)
        unwritable = None
        for event in events:
            for ordinal, keyframe in enumerate(event.keyframes):
                try:
                    keyframe.path = str(self.store.keyframe_path(event.id, ordinal))
                except OSError as exc:  # thumbnails are a cache: a read-only memory is still read
                    keyframe.path, unwritable = None, exc
        if unwritable is not None:
            logger.warning("%s: keyframe thumbnails cannot be written (%s); events are listed without them",
                           self.directory, unwritable.strerror or unwritable)
        return events

    # -- entities ----------------------------------------------------------------------------

    @property
    def entities(self) -> "EntityRegistry":
        """The memory's entity registry (people, faces, voices, objects)."""
        if self._registry is None:
            from memory.entities import EntityRegistry

            self._registry = EntityRegistry(self.store)
        return self._registry

    def forget(self, entity: str | int):
        """Delete an entity's biometric data (vectors, crops, voice centroid) and its names everywhere.

        Events stay, anonymous. Returns the registry's ForgetReport after checking that nothing of
        the entity is left (raises RuntimeError naming what was left otherwise).
        """
        report = self.entities.forget(entity)
        voices = [key for key in report.keys if key.startswith("voice:")]
        if voices:
            self._forget_voices(voices)
        self._reembed(report.redacted_events)
        self.consolidate()  # summaries and facts are rewritten without the forgotten name
        left = self.entities.verify_forgotten(report.entity)
        if left:
            raise RuntimeError(f"forgetting entity:{report.entity} left {', '.join(left)}")
        return report

    def _reembed(self, event_ids) -> None:
        """Text vectors of events whose text lost a forgotten name: the old vectors still encode it."""
        text_spaces = [space for space in self.store.spaces() if space.startswith("text/")]
        if not event_ids or not text_spaces:
            return
        enc = self.encoders
        if enc.text_key not in text_spaces:
            logger.warning("cannot re-embed %d redacted events: the memory's text space is not the profile's %s",
                           len(event_ids), enc.text_key)
            return
        for event_id in event_ids:
            text = self.store.event(event_id).text
            self.store.replace_vector(event_id, enc.text_key, enc.text.embed([text or " "])[0])

    def _forget_voices(self, voices: list[str]) -> None:
        """Drop the voices' centroids from the persisted voice clusterer; their utterances lose the label."""
        from mnemo.speech import STATE_KEY, drop_voices

        state = self.store.state(STATE_KEY)
        self.store.forget_voices(voices, drop_voices(state, voices) if state else None, STATE_KEY)

    def transcript(self, stream: str | None = None, voice: str | None = None) -> list[Utterance]:
        """Who said what when: utterances ordered by stream and time (text empty when unknown)."""
        return self.store.utterances(stream=stream, voice=voice)

    def screen_text(self, stream: str | None = None, event: int | None = None) -> list[ScreenText]:
        """Lines read on screen (profile section ocr), each once, ordered by stream and the time first read."""
        return self.store.screen_text(stream=stream, event_id=event)

    # -- questions ---------------------------------------------------------------------------

    @property
    def reasoner(self):
        """The memory's long-lived reasoner (mnemo/reasoner.py), made on first use."""
        if getattr(self, "_reasoner", None) is None:
            from mnemo.reasoner import Reasoner

            self.profile  # noqa: B018  (sets the store's index factory)
            self._reasoner = Reasoner(self.store, _LazyEmbedders(self))
        return self._reasoner

    def ask(self, question: str, at: float | None = None, answerer: str = "builtin"):
        """Answer a question over this memory as asked at media time ``at`` (None: the end of memory):
        a planners.answer.Answer with evidence; ``mnemo ask --json`` prints its to_dict()."""
        return self.reasoner.ask(question, at=at, answerer=answerer)

    def plan(self, instruction: str, at: float | None = None):
        """Plan a robot instruction ("find the red mug", "bring the mug to the kitchen") over this memory:
        a planners.embodied.Plan (goal poses with their evidence, the rooms to pass, the steps), made from
        what memory holds as of media time ``at`` (None: its latest pose); ``mnemo plan --json`` prints
        its to_dict(). Running it on a robot, re-observing as it goes, is planners.embodied.Executor's."""
        from planners.embodied import make_plan

        return make_plan(self.store, instruction, at=at)

    def search(self, text: str | None = None, image: str | Path | np.ndarray | None = None, k: int = 10,
               stream: str | None = None) -> list[Hit]:
        """Events most like a text and/or an image query, best first."""
        if text is None and image is None:
            raise ValueError("search needs a text or an image query")
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        from mnemo.models import torch_threads

        with torch_threads(1):  # one short query: a pool of threads only spins against other work
            queries = list(self._query_vectors(text, image))
        # the query's words in screen text (OCR lines): names, numbers and rare words that vectors blur
        on_screen = [] if text is None else self.store.search_screen_text(text, k=max(4 * k, 50), stream=stream)
        if not queries and not on_screen:
            # said once per open memory: a program asking many questions gets one warning, then debug lines
            log = logger.debug if self._said_no_text else logger.warning
            self._said_no_text = True
            log("nothing in this memory can answer that query (no text was stored and the frame encoder %r has "
                "no text tower); try --image or the full profile", self.encoders.frame.space)
            return []
        ranked = [self.store.search(space, vector, k=max(4 * k, 50), stream=stream) for space, vector in queries]
        if on_screen:
            queries.append((SCREEN_WORDS, None))
            ranked.append(on_screen)
        hits = self._fuse(queries, ranked, k)
        self._touch([h.event for h in hits])
        return hits

    def _touch(self, event_ids: list[int]) -> None:
        """Count the retrievals (they keep events whole under a budget); a read-only or busy memory skips it."""
        from memory.budget import touch

        if not event_ids or self.store.readonly:
            return
        try:
            touch(self.store, event_ids)
        except sqlite3.OperationalError as exc:  # a writer holds the lock past the timeout
            logger.warning("retrievals not counted: %s", exc)

    def _query_vectors(self, text: str | None, image) -> Iterable[tuple[str, np.ndarray]]:
        """(stored key, query vector) for every vector space that can answer the query."""
        stored = self.store.spaces()
        enc = self.encoders
        if text is not None:
            if enc.text_key in stored:
                yield enc.text_key, enc.text.embed([text])[0]
            if enc.frame.supports_text and enc.image_key in stored:
                yield enc.image_key, enc.frame.encode_text([text])[0]
        if image is not None and enc.image_key in stored:
            yield enc.image_key, enc.frame.encode_frames([_load_image(image)])[0]

    def _fuse(self, queries, ranked: list[list[tuple[int, float]]], k: int) -> list[Hit]:
        fused: dict[int, float] = {}
        cosines: dict[int, dict[str, float]] = {}
        for (space, _), hits in zip(queries, ranked):
            for rank, (event_id, score) in enumerate(hits):
                fused[event_id] = fused.get(event_id, 0.0) + 1.0 / (_RRF_K + rank + 1)
                per_space = cosines.setdefault(event_id, {})
                per_space[space] = max(per_space.get(space, -1.0), float(score))
        single = len(queries) == 1
        order = sorted(fused, key=lambda i: (-(max(cosines[i].values()) if single else fused[i]), i))[:k]
        hits = []
        for event_id in order:
            event = self.store.event(event_id)
            score = max(cosines[event_id].values()) if single else fused[event_id]
            keyframe = str(self.store.keyframe_path(event_id, 0)) if event.keyframes else None
            hits.append(Hit(event_id, event.stream, event.start, event.end, float(score), keyframe,
                            event.text, cosines[event_id]))
        return hits


class _LazyEmbedders(Mapping):
    """Text-query encoders per vector space, loaded with the profile's encoders on first use."""

    def __init__(self, memory: "Memory") -> None:
        self._memory = memory
        self._encoders: dict[str, Callable[[str], np.ndarray]] | None = None

    def _loaded(self) -> dict[str, Callable[[str], np.ndarray]]:
        if self._encoders is None:
            enc = self._memory.encoders
            self._encoders = {enc.text_key: _Cached(lambda text: enc.text.embed([text])[0])}
            if enc.frame.supports_text:
                self._encoders[enc.image_key] = _Cached(lambda text: enc.frame.encode_text([text])[0])
        return self._encoders

    def __getitem__(self, space: str) -> Callable[[str], np.ndarray]:
        return self._loaded()[space]

    def __iter__(self):
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


class _Cached:
    """A text encoder remembering its last ``size`` texts: answering re-reads the same event
    sentences question after question (a MiniLM call costs 10-50 ms on 2 busy cores)."""

    def __init__(self, encode: Callable[[str], np.ndarray], size: int = 4096):
        from collections import OrderedDict

        self._encode = encode
        self._size = size
        self._seen: OrderedDict[str, np.ndarray] = OrderedDict()

    def __call__(self, text: str) -> np.ndarray:
        vector = self._seen.get(text)
        if vector is None:
            from mnemo.models import torch_threads

            with torch_threads(1):  # one short text: more threads only spin against other work
                vector = self._seen[text] = np.asarray(self._encode(text))
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)
        else:
            self._seen.move_to_end(text)
        return vector.copy()


def _load_image(image) -> np.ndarray:
    if isinstance(image, np.ndarray):
        return image
    import cv2

    path = Path(image)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such image file")
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"{path}: not an image OpenCV can read")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def open(directory: str | Path, profile: str | Profile | None = None, create: bool = False,  # noqa: A001
         readonly: bool = False) -> Memory:
    """Open the memory in ``directory`` (``create=True`` makes it if missing; ``readonly`` never writes)."""
    return Memory(directory, profile=profile, create=create, readonly=readonly)
