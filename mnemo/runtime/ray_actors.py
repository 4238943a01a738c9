"""The Ray runtime: the stages of ``mnemo.runtime.stages`` as actors, and a scheduler that feeds them.

Per run: one memory writer (single writer of the memory), ``workers`` source readers and
``workers`` perception workers (with a share of a GPU each when the cluster has GPUs). Up to
``workers`` sources are read and encoded at once; their batches are committed one source after
another, so a run gives the same events, in the same order and with the same ids, as the inline
runtime. Frames go into the object store once (the reader's return value) and both the encoder and
the writer read them from there; at most ``inflight`` batches of the source being committed, and
``ahead`` of each source waiting its turn, are in flight (backpressure).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

if "RAY_AUTH_MODE" not in os.environ and (Path.home() / ".ray" / "auth_token").is_file():
    # `ray start` clusters use the token in ~/.ray; a driver that imports Ray without the mode set
    # connects without it and is refused (Ray 2.60 reads the mode when it is imported)
    os.environ["RAY_AUTH_MODE"] = "token"

import ray  # noqa: E402

from mnemo.config import Profile
from mnemo.runtime.records import IngestReport, Listener, Outcome, failure
from mnemo.runtime.stages import EncodeStage, Hosted, SourceReader, WriteStage

logger = logging.getLogger(__name__)

ACTOR_CPUS = 0.25  # fractional: actors that held whole CPUs would starve the next stage (deadlock)


def connect(address: str | None = None, num_cpus: int | None = None, object_store_mb: int | None = None) -> None:
    """Join the Ray cluster at ``address`` (``"auto"``: the local ``ray start`` one), or start one here."""
    if ray.is_initialized():
        return
    options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING,
                               "configure_logging": False}
    if address:
        _reachable(address)
        ray.init(address=address, **options)
    else:
        store = object_store_mb * 2**20 if object_store_mb else None
        ray.init(num_cpus=num_cpus, object_store_memory=store, **options)
    logger.info("ray: %s", ray.cluster_resources())


def _reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast when nothing listens at a HOST:PORT address (ray.init would retry for minutes)."""
    if address in ("auto", "local") or "://" in address:
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except (OSError, ValueError) as error:
        raise ConnectionError(f"nothing answers at {address} ({error})") from error


def actor(cls: type, num_cpus: float = ACTOR_CPUS, num_gpus: float = 0.0, **options: Any):
    """``cls`` as a Ray actor class: the stage's code unchanged, placed by its resource needs."""
    return ray.remote(num_cpus=num_cpus, num_gpus=num_gpus, **options)(cls)


def here() -> Any:
    """A scheduling strategy that keeps an actor on this driver's node (its files and memory are here)."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)


def host(factory, *args: Any, num_cpus: float = ACTOR_CPUS, num_gpus: float = 0.0, **kwargs: Any):
    """An actor hosting ``factory(*args, **kwargs)`` (e.g. a reasoner): ``handle.ask.remote(...)``."""
    return actor(Hosted, num_cpus, num_gpus).remote(factory, *args, **kwargs)


def gpu_share(workers: int) -> float:
    """The GPU fraction each perception worker asks for: the cluster's GPUs split between them."""
    gpus = float(ray.cluster_resources().get("GPU", 0.0))
    if gpus <= 0:
        return 0.0
    return min(1.0, gpus / max(1, workers))


class RayRuntime:
    """Ingests sources into one memory with Ray actors; ``run`` has the inline runtime's contract.

    The writer and the readers stay on this driver's node, where the memory directory and the
    files are; perception workers go wherever the scheduler finds their resources (GPUs, or the
    custom ``encoder_resources`` a cluster's perception nodes advertise).
    """

    def __init__(self, directory: str | Path, profile: str | Profile | None = None, workers: int = 1,
                 inflight: int = 4, ahead: int = 8, num_gpus: float | None = None,
                 encoder_resources: dict[str, float] | None = None):
        if workers < 1 or inflight < 1 or ahead < 1:
            raise ValueError(f"workers, inflight and ahead must be >= 1, got {workers}, {inflight}, {ahead}")
        self.workers, self.inflight, self.ahead = workers, inflight, ahead
        self.writer = actor(WriteStage, scheduling_strategy=here()).remote(str(Path(directory).resolve()), profile)
        self.settings = ray.get(self.writer.settings.remote())
        share = gpu_share(workers) if num_gpus is None else num_gpus
        encoder = actor(EncodeStage, num_gpus=share, resources=encoder_resources or {})
        self.encoders = [encoder.remote(self.settings["profile"]) for _ in range(workers)]
        self.readers = [self._reader() for _ in range(workers)]
        ray.get([handle.__ray_ready__.remote() for handle in [*self.encoders, *self.readers]])  # models loaded

    @staticmethod
    def _reader():
        return actor(SourceReader, scheduling_strategy=here()).remote()

    def run(self, uris: Iterable[str], listener: Listener | None = None) -> list[Outcome]:
        """Ingest each source; a source that fails is reported in its Outcome and the rest go on."""
        return _Schedule(self, list(uris), listener or Listener()).run()

    def close(self) -> None:
        """Close the memory and end the actors."""
        try:
            ray.get(self.writer.close.remote())
        finally:
            for handle in [self.writer, *self.encoders, *self.readers]:
                ray.kill(handle)


@dataclass(eq=False)
class _Flow:
    """One source going through the actors."""

    uri: str
    reader: Any  # its SourceReader actor; None once the whole source is read (the reader is free again)
    info_ref: Any  # ObjectRef of SourceReader.open
    started: float = field(default_factory=time.perf_counter)
    info: Any = None  # StreamInfo once open
    reading: bool = False
    read_done: bool = False  # the last batch's header has been seen
    begun: bool = False  # the writer has registered the stream
    reads: deque = field(default_factory=deque)  # (header ref, batch ref) in read order
    ready: deque = field(default_factory=deque)  # (header, batch ref, vectors ref or None) awaiting the writer
    feeds: deque = field(default_factory=deque)  # writer.feed refs in flight
    report_ref: Any = None  # writer.finish, once the last batch is fed
    decode_ref: Any = None  # SourceReader.close (decode seconds), once the last batch is read


class _Schedule:
    """The driver loop: keeps each actor busy within the in-flight bounds, commits sources in order."""

    def __init__(self, runtime: RayRuntime, uris: list[str], listener: Listener):
        self.rt, self.listener = runtime, listener
        self.todo = deque(uris)
        self.free = list(runtime.readers)
        self.flows: list[_Flow] = []
        self.next_encoder = 0
        self.index: dict[int, int] = {}  # id(flow) -> position of its uri in the input
        self.results: list[Outcome | None] = [None] * len(uris)
        self.opened = 0

    def run(self) -> list[Outcome]:
        while self.todo or self.flows:
            self._open_more()
            moved = False
            for number, flow in enumerate(list(self.flows)):
                moved |= self._step(flow, head=number == 0)
            moved |= self._encode_ready()
            if not moved:
                self._wait()
        return [r for r in self.results if r is not None]

    # -- flows -------------------------------------------------------------------------------

    def _open_more(self) -> None:
        s = self.rt.settings
        while self.todo and self.free:
            uri = self.todo.popleft()
            reader = self.free.pop()
            local = Path(uri)  # the reader runs in another process: name files absolutely
            path = str(local.resolve()) if local.exists() else uri
            flow = _Flow(uri, reader, reader.open.remote(path, s["policy"], s["require_video"]))
            self.index[id(flow)] = self.opened
            self.opened += 1
            self.flows.append(flow)
            self.listener.started(uri)

    def _step(self, flow: _Flow, head: bool) -> bool:
        """Advance one flow as far as it can go without blocking; True when something moved."""
        try:
            moved = self._start(flow, head) if not flow.reading else False
            if not flow.reading:
                return moved
            moved |= self._read(flow, head)
            if head:
                moved |= self._commit(flow)
            return moved
        except ray.exceptions.RayError as error:
            self._fail(flow, _cause(error))
            return True

    def _start(self, flow: _Flow, head: bool) -> bool:
        if flow.info is None:
            if not _done(flow.info_ref):
                return False
            flow.info = ray.get(flow.info_ref)
        if any(other.info is not None and other.info.stream == flow.info.stream
               for other in self.flows[: self.flows.index(flow)]):
            return False  # the same content is already on its way: wait for it to be done
        plan = ray.get(self.rt.writer.plan.remote(flow.info.stream))
        if plan is None:  # already fully ingested
            report = IngestReport(uri=flow.uri, stream=flow.info.stream, skipped=True)
            self._end(flow, Outcome(flow.uri, report=report))
            return True
        s = self.rt.settings
        flow.reader.start.remote(plan[0], plan[1], s["batch_size"], s["prefetch"])
        flow.reading = True
        return True

    def _read(self, flow: _Flow, head: bool) -> bool:
        moved = False
        limit = self.rt.inflight if head else self.rt.ahead
        while not flow.read_done and len(flow.reads) + len(flow.ready) + len(flow.feeds) < limit:
            flow.reads.append(tuple(flow.reader.next.options(num_returns=2).remote()))
            moved = True
        return moved

    def _encode_ready(self) -> bool:
        """Send every batch whose header is in to an encoder, several streams in one call."""
        waiting: list[tuple[_Flow, Any, Any]] = []  # (flow, header, batch ref)
        for flow in list(self.flows):
            try:
                while flow.reads and not flow.read_done and _done(flow.reads[0][0]):
                    header_ref, batch_ref = flow.reads.popleft()
                    header = ray.get(header_ref)
                    flow.read_done = header.last
                    waiting.append((flow, header, batch_ref))
                if flow.read_done and flow.reader is not None:
                    flow.reads.clear()  # reads past the end return empty batches
                    self._release(flow)  # the next source can be opened while this one is committed
            except ray.exceptions.RayError as error:
                self._fail(flow, _cause(error))
        with_frames = [(f, h, b) for f, h, b in waiting if h.frames and f in self.flows]
        vectors: dict[int, Any] = {}
        if with_frames:
            encoder = self.rt.encoders[self.next_encoder % len(self.rt.encoders)]
            self.next_encoder += 1
            batches = [b for _, _, b in with_frames]
            refs = ([encoder.encode_one.remote(batches[0])] if len(batches) == 1
                    else encoder.encode.options(num_returns=len(batches)).remote(*batches))
            vectors = {id(b): ref for (_, _, b), ref in zip(with_frames, refs)}
        for flow, header, batch_ref in waiting:
            if flow in self.flows:
                flow.ready.append((header, batch_ref, vectors.get(id(batch_ref))))
        return bool(waiting)

    def _commit(self, flow: _Flow) -> bool:
        """The head flow: feed the writer in order, report progress, finish at the end."""
        moved = False
        if not flow.begun:
            if not ray.get(self.rt.writer.begin.remote(flow.uri, flow.info)):
                self._end(flow, Outcome(flow.uri, report=IngestReport(flow.uri, flow.info.stream, skipped=True)))
                return True
            flow.begun = True
        while flow.feeds and _done(flow.feeds[0]):
            done = ray.get(flow.feeds.popleft())
            if done is not None:
                self.listener.progress(flow.uri, done, flow.info.duration)
            moved = True
        while flow.ready and len(flow.feeds) < self.rt.inflight:
            header, batch_ref, vectors_ref = flow.ready.popleft()
            flow.feeds.append(self.rt.writer.feed.remote(flow.info.stream, batch_ref, vectors_ref))
            if header.last:
                flow.report_ref = self.rt.writer.finish.remote(flow.info.stream, flow.decode_ref)
            moved = True
        if flow.report_ref is not None and _done(flow.report_ref):
            ray.get(list(flow.feeds))
            report = ray.get(flow.report_ref)
            report.wall_seconds = time.perf_counter() - flow.started
            if flow.info.duration:
                self.listener.progress(flow.uri, flow.info.duration, flow.info.duration)
            self._end(flow, Outcome(flow.uri, report=report))
            moved = True
        return moved

    def _fail(self, flow: _Flow, error: BaseException) -> None:
        logger.debug("%s failed: %r", flow.uri, error)
        if flow.begun and flow.info is not None:
            self.rt.writer.abort.remote(flow.info.stream)
        _drain([ref for pair in flow.reads for ref in pair] + list(flow.feeds))
        self._end(flow, failure(flow.uri, error))

    def _release(self, flow: _Flow) -> None:
        flow.decode_ref = flow.reader.close.remote()
        self.free.append(flow.reader)
        flow.reader = None

    def _end(self, flow: _Flow, outcome: Outcome) -> None:
        if flow not in self.flows:
            return
        self.flows.remove(flow)
        if flow.reader is not None:
            try:
                ray.get(flow.reader.close.remote())
                self.free.append(flow.reader)
            except ray.exceptions.RayError:  # the reader died (a decoder crash): a fresh one takes its place
                ray.kill(flow.reader)
                replacement = self.rt._reader()
                self.rt.readers[self.rt.readers.index(flow.reader)] = replacement
                self.free.append(replacement)
        self.results[self.index.pop(id(flow))] = outcome
        self.listener.finished(outcome)

    def _wait(self) -> None:
        """Block until any reference this loop waits on is ready (or a short timeout)."""
        refs = []
        for flow in self.flows:
            if flow.info is None:
                refs.append(flow.info_ref)
            refs += [r for r, _ in list(flow.reads)[:1]] + list(flow.feeds)[:1]
            if flow.report_ref is not None:
                refs.append(flow.report_ref)
        if refs:
            ray.wait(refs, num_returns=1, timeout=0.5)
        else:
            time.sleep(0.01)


def _drain(refs: list) -> None:
    """Collect the calls a failed source left in flight, so that their errors are not reported twice."""
    ray.wait(refs, num_returns=len(refs), timeout=10)
    for ref in refs:
        try:
            ray.get(ref, timeout=0)
        except (ray.exceptions.RayError, TimeoutError):
            pass


def _done(ref) -> bool:
    ready, _ = ray.wait([ref], num_returns=1, timeout=0)
    return bool(ready)


def _cause(error: BaseException) -> BaseException:
    """The exception a stage raised, out of Ray's wrapper when it came through whole."""
    cause = getattr(error, "cause", None)
    return cause if isinstance(cause, BaseException) else error
