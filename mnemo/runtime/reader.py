"""The source reader stages: a file's packets as batches decoded ahead in a thread; a live
stream's read at its own pace, with bounded lag."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Iterator

import numpy as np

from mnemo.prefetch import Prefetcher
from mnemo.runtime.records import PacketBatch, batch_packets
from streams.packets import AudioChunk, PoseReading, StreamGap, TextCue, VideoFrame
from streams.source import Source

logger = logging.getLogger(__name__)


class ReadStage:
    """Batches of one source from ``read_from`` on; frames before ``position`` are dropped.

    Decoding runs in a prefetch thread at most ``prefetch`` packets ahead; ``busy`` is the
    seconds it spent decoding. Close it (or use it as a context manager) to stop the thread.
    """

    def __init__(self, source: Source, position: float, read_from: float, batch_size: int, prefetch: int):
        self.stream = source.info.stream
        self._packets = Prefetcher(source.packets(read_from), prefetch)
        self._batches = batch_packets(self._packets, self.stream, position, batch_size)

    @property
    def busy(self) -> float:
        return self._packets.busy

    def __iter__(self) -> Iterator[PacketBatch]:
        return self._batches

    def __next__(self) -> PacketBatch:
        return next(self._batches)

    def close(self) -> None:
        self._packets.close()

    def __enter__(self) -> "ReadStage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LiveReadStage:
    """Batches of a live source read at its own pace, with bounded lag.

    A thread reads the source without ever waiting for the analysis, into a queue. Each batch
    takes what is queued (so a batch holds the frames that arrived while the last one was
    analysed). Frames already more than half of ``max_lag`` behind the live edge when a batch is
    formed are *stale* and skipped (the newest frame is always kept): after a stall (a slow
    commit, models loading, the machine busy) the analysis resumes at the live edge instead of
    working through a backlog. When analysing the rest would put the analysis more than
    ``max_lag`` behind, the batch is thinned evenly in time (a lower sampling rate). Frames left
    out either way are counted in ``dropped`` (the stale ones also in ``stale``); the queue holds
    at most ``max_lag`` s of frames. A :class:`streams.packets.StreamGap` comes alone, between
    batches; an empty batch comes every ``heartbeat`` seconds while nothing arrives.
    """

    def __init__(self, source, position: float, batch_size: int, max_lag: float,
                 heartbeat: float = 0.5, max_queued: float = 30.0):
        self.stream = source.info.stream
        self._source = source
        self._position = position
        self._batch_size = batch_size
        self._max_lag = max_lag
        self._heartbeat = heartbeat
        self._max_queued = max_queued  # seconds of frames queued at most (a stalled analysis)
        self._queue: deque = deque()
        self._cond = threading.Condition()
        self._done = False
        self._error: BaseException | None = None
        self._index = 0
        self._handed: tuple[list, float] | None = None  # the last batch's frames and when it was handed out
        self._cost = 0.0  # seconds of analysis per frame (moving average)
        self.busy = 0.0
        self.dropped = 0  # frames left out to keep up (stale or thinned)
        self.stale = 0  # of those, frames skipped because they were already too far behind the live edge
        self._warned_stale = False
        self.audio_dropped = 0.0  # seconds of audio left out when the analysis stalled for max_queued
        self.lags: list[float] = []  # seconds behind the live edge of each analysed frame, when analysed
        self._thread = threading.Thread(target=self._read, name="mnemo-live-reader", daemon=True)
        self._thread.start()

    @property
    def lag(self) -> float | None:
        """Seconds behind the live edge of the latest analysed frame."""
        return self.lags[-1] if self.lags else None

    def _read(self) -> None:
        packets = self._source.packets()
        try:
            while True:
                started = time.perf_counter()
                try:
                    packet = next(packets)
                except StopIteration:
                    break
                self.busy += time.perf_counter() - started
                with self._cond:
                    self._queue.append(packet)
                    self._bound()
                    self._cond.notify()
        except BaseException as err:  # handed to the consumer, which re-raises it
            self._error = err
        finally:
            with self._cond:
                self._done = True
                self._cond.notify()

    def _bound(self) -> None:
        """At most ``max_lag`` s of frames (older ones are stale: dropped) and ``max_queued`` s of audio (else
        the oldest is dropped)."""
        frames = [p for p in self._queue if isinstance(p, VideoFrame)]
        old = {id(f) for f in frames[:-1] if frames[-1].time - f.time > self._max_lag}
        if old:
            self._queue = deque(p for p in self._queue if id(p) not in old)
            self.stale += len(old)
            self.dropped += len(old)
            frames = [f for f in frames if id(f) not in old]
        if len(frames) >= 2 and frames[-1].time - frames[0].time > self._max_queued:
            thinned = set(map(id, frames[1: len(frames) // 2: 2]))
            self._queue = deque(p for p in self._queue if id(p) not in thinned)
            self.dropped += len(thinned)
        chunks = [p for p in self._queue if isinstance(p, AudioChunk)]
        if len(chunks) >= 2 and chunks[-1].end - chunks[0].time > self._max_queued:
            self._queue.remove(chunks[0])
            self.audio_dropped += chunks[0].end - chunks[0].time

    def __iter__(self) -> Iterator["PacketBatch | StreamGap"]:
        return self

    def __next__(self) -> "PacketBatch | StreamGap":
        self._measure()
        with self._cond:
            if not self._queue and not self._done:
                self._cond.wait(self._heartbeat)
            if not self._queue:
                if self._error is not None:
                    raise self._error
                if self._done:
                    raise StopIteration
                return self._batch([])
            if isinstance(self._queue[0], StreamGap):
                return self._queue.popleft()
            taken = []
            while self._queue and not isinstance(self._queue[0], StreamGap):
                taken.append(self._queue.popleft())
        return self._batch(taken)

    def _batch(self, packets: list) -> PacketBatch:
        batch = PacketBatch(self.stream, self._index)
        self._index += 1
        frames = [p for p in packets if isinstance(p, VideoFrame) and p.time >= self._position]
        batch.others = [p for p in packets if isinstance(p, (AudioChunk, TextCue, PoseReading))]
        batch.frames = self._thin(self._skip_stale(frames))
        self._handed = (batch.frames, time.perf_counter())
        return batch

    def _skip_stale(self, frames: list) -> list:
        """The frames at most half of ``max_lag`` behind the live edge now, and the newest in any case."""
        edge = self._source.edge()
        if edge is None or len(frames) < 2:
            return frames
        limit = edge - self._max_lag / 2
        fresh = [f for f in frames[:-1] if f.time >= limit] + [frames[-1]]
        skipped = len(frames) - len(fresh)
        if skipped:
            self.stale += skipped
            self.dropped += skipped
            log = logger.debug if self._warned_stale else logger.warning
            log("%s: the analysis fell behind: %d frame(s) up to %.1f s behind the live edge skipped, resuming at "
                "the newest (%d skipped so far; later skips are logged at debug level)", self.stream, skipped,
                edge - frames[0].time, self.stale)
            self._warned_stale = True
        return fresh

    def _thin(self, frames: list) -> list:
        """The frames the analysis can take within the lag allowed, evenly spread in time."""
        budget = self._max_lag / 2  # half waiting in the queue, half being analysed
        # the cost not known yet (the first batch, often the slowest: models warming up): the newest frame only
        keep = 1 if self._cost <= 0 else max(1, int(budget / self._cost + 1e-9))
        keep = min(keep, self._batch_size)
        if len(frames) <= keep:
            return frames
        # the last frame of each of ``keep`` equal runs: evenly spread, the newest always kept
        chosen = np.unique(np.ceil(np.arange(1, keep + 1) * len(frames) / keep).astype(int) - 1)
        self.dropped += len(frames) - len(chosen)
        return [frames[i] for i in chosen]

    def _measure(self) -> None:
        """The last batch is analysed: note each frame's lag and the analysis cost per frame."""
        if self._handed is None:
            return
        frames, handed = self._handed
        self._handed = None
        if not frames:
            return
        spent = time.perf_counter() - handed
        cost = spent / len(frames)
        self._cost = cost if self._cost <= 0 else 0.7 * self._cost + 0.3 * cost
        edge = self._source.edge()
        if edge is not None and len(self.lags) < _MAX_LAGS:
            self.lags.extend(max(0.0, edge - f.time) for f in frames)

    def stop(self) -> None:
        """Stop reading: the source drains what its decoders hold, then the batches end."""
        self._source.stop("stopped")

    def close(self) -> None:
        """Stop the reading thread; it ends after the packet it waits for (at most the source's stall)."""
        if self._thread.is_alive():
            self._source.stop("stopped")
            self._thread.join(timeout=0.5)

    def __enter__(self) -> "LiveReadStage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_MAX_LAGS = 1_000_000  # lag samples kept (about six days at 2 frames per second)
