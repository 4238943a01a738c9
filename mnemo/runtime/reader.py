"""The source reader stage: a source's packets as batches, decoded ahead in a thread."""

from __future__ import annotations

from typing import Iterator

from mnemo.prefetch import Prefetcher
from mnemo.runtime.records import PacketBatch, batch_packets
from streams.source import Source


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
