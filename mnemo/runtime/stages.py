"""The ingest stages as plain classes: a runtime runs them in one process or wraps them in actors.

- ``SourceReader``: opens a source and hands out its ``PacketBatch``es, one call at a time;
- ``EncodeStage``: a perception worker, the frame encoder over batches of several streams at once;
- ``WriteStage``: the single writer of one memory, which segments each stream and commits its events;
- ``Hosted``: any object (a reasoner) whose methods are called by name.

Records in and out are picklable dataclasses (``mnemo.runtime.records``), so the same code runs
inline and behind Ray.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from mnemo.config import Profile
from mnemo.runtime.reader import ReadStage
from mnemo.runtime.records import BatchHeader, IngestReport, PacketBatch
from streams.errors import SourceError
from streams.packets import StreamInfo
from streams.sampling import SamplingPolicy
import ros_bridge  # noqa: F401 - registers the bag source, so that a reader actor opens bags
from streams.schemes import open_source
from streams.source import Source

logger = logging.getLogger(__name__)


class SourceReader:
    """Reads one source at a time: ``open`` it, ``start`` at a position, then ``next`` batch by batch."""

    def __init__(self) -> None:
        import streams.av_source  # noqa: F401  - PyAV loaded now, not on the first file

        self._source: Source | None = None
        self._reader: ReadStage | None = None
        self._ended = False

    def open(self, uri: str, policy: SamplingPolicy, require_video: bool) -> StreamInfo:
        """Open ``uri`` (closing the previous source) and say what it holds."""
        self.close()
        source = open_source(uri, policy, require_video=require_video)
        if not (source.info.has_video or source.info.has_audio):
            source.close()
            raise SourceError(uri, "has no video or audio stream: nothing to remember")
        self._source = source
        return source.info

    def start(self, position: float, read_from: float, batch_size: int, prefetch: int) -> None:
        """Read from ``read_from``, dropping frames before ``position`` (the resume point)."""
        if self._source is None:
            raise RuntimeError("SourceReader.start before open")
        self._reader = ReadStage(self._source, position, read_from, batch_size, prefetch)
        self._ended = False

    def next(self) -> tuple[BatchHeader, PacketBatch]:
        """The next batch and its header; after the last one, empty batches marked last."""
        if self._reader is None or self._ended:
            stream = self._source.info.stream if self._source is not None else ""
            empty = PacketBatch(stream, -1, last=True)
            return empty.header, empty
        batch = next(self._reader)
        self._ended = batch.last
        return batch.header, batch

    def close(self) -> float:
        """Close the source; returns the seconds spent decoding it."""
        busy = 0.0
        if self._reader is not None:
            self._reader.close()
            busy = self._reader.busy
            self._reader = None
        if self._source is not None:
            self._source.close()
            self._source = None
        return busy


class EncodeStage:
    """A perception worker: one frame encoder call for batches of one or several streams."""

    def __init__(self, profile: Profile):
        from mnemo.models import torch_threads  # noqa: F401  - torch and the torchvision fix first
        from perception import create_frame_encoder

        self.encoder = create_frame_encoder(profile.frame_encoder.name, **dict(profile.frame_encoder.options))
        size = profile.sampling.frame_size or 224
        self.encoder.encode_frames([np.zeros((size, size, 3), np.uint8)])  # the first call pays lazy set-up
        self.busy = 0.0  # seconds spent encoding

    def __call__(self, *batches: PacketBatch) -> list[np.ndarray]:
        """One vector matrix per batch, in the order given."""
        images = [f.image for batch in batches for f in batch.frames]
        started = time.perf_counter()
        vectors = self.encoder.encode_frames(images)
        self.busy += time.perf_counter() - started
        bounds = np.cumsum([0] + [len(batch.frames) for batch in batches])
        return [np.asarray(vectors[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]

    def encode(self, *batches: PacketBatch) -> list[np.ndarray]:
        """The same as calling the stage (a name for actor calls)."""
        return self(*batches)

    def encode_one(self, batch: PacketBatch) -> np.ndarray:
        """The vectors of one batch (an actor call with one return value)."""
        return self(batch)[0]


class WriteStage:
    """The single writer of one memory: registers streams, segments their batches, commits events."""

    def __init__(self, directory: str | Path, profile: str | Profile | None):
        from mnemo.api import Memory
        from mnemo.pipeline import Ingestor

        self.memory = Memory(directory, profile=profile, create=True)
        self.ingestor = Ingestor(self.memory.store, self.memory.encoders)
        self._runs: dict[str, Any] = {}  # stream id -> its _StreamRun
        self._last: dict[str, float | None] = {}

    def settings(self) -> dict:
        """What readers and encoders need: the effective profile (after any fallback) and the sampling."""
        ing = self.ingestor
        return {"profile": ing.profile, "policy": ing.policy, "require_video": not ing.speech.enabled,
                "batch_size": ing.profile.ingest.batch_size, "prefetch": ing.profile.ingest.prefetch}

    def plan(self, stream: str) -> tuple[float, float] | None:
        """(resume position, where to start reading) of a stream, None when it is already done."""
        checkpoint = self.memory.store.checkpoint(stream)
        if checkpoint is not None and checkpoint.done:
            return None
        position = checkpoint.position if checkpoint is not None and checkpoint.state else 0.0
        return position, self.ingestor.read_start(position)

    def begin(self, uri: str, info: StreamInfo) -> bool:
        """Start committing a stream; False when it is already fully ingested."""
        report = IngestReport(uri=uri)
        run = self.ingestor.begin(uri, info, report, progress=self._progress(info.stream))
        if run is None:
            return False
        self._runs[info.stream] = run
        self._last[info.stream] = None
        return True

    def _progress(self, stream: str) -> Callable[[float, float | None], None]:
        def remember(done: float, total: float | None) -> None:
            self._last[stream] = done

        return remember

    def feed(self, stream: str, batch: PacketBatch, vectors: np.ndarray | None) -> float | None:
        """Segment and commit one batch; returns the media time reached (for progress)."""
        self._runs[stream].feed(batch, vectors)
        return self._last.get(stream)

    def finish(self, stream: str, decode_seconds: float = 0.0):
        """Flush the stream's last event and mark it done; returns its IngestReport (wall time unset)."""
        run = self._runs.pop(stream)
        self._last.pop(stream, None)
        run.stages["decode"] = decode_seconds
        run.finish()
        consolidate = getattr(self.memory, "consolidate", None)
        if consolidate is not None:  # as Memory.ingest does after each source
            consolidate()
        return run.report

    def abort(self, stream: str) -> None:
        """Forget a stream's run after its reader failed; what was committed stays, resumable."""
        self._runs.pop(stream, None)
        self._last.pop(stream, None)

    def close(self) -> None:
        self.memory.close()


class Hosted:
    """Any object behind a runtime: built from ``factory(*args, **kwargs)``; methods called by name.

    A reasoner is hosted this way (``ask``), so the runtime needs no class per reasoner.
    """

    def __init__(self, factory: Callable[..., Any], *args: Any, **kwargs: Any):
        self.target = factory(*args, **kwargs)

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``target.method(*args, **kwargs)``."""
        return getattr(self.target, method)(*args, **kwargs)

    def ask(self, *args: Any, **kwargs: Any) -> Any:
        """``target.ask(...)``: the question-answering entry point of a reasoner."""
        return self.target.ask(*args, **kwargs)
