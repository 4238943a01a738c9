"""Run an iterator in a background thread with a bounded buffer (decode overlaps encoding)."""

from __future__ import annotations

import queue
import threading
import time
from typing import Iterator, TypeVar

T = TypeVar("T")
_END = object()


class Prefetcher(Iterator[T]):
    """Iterate ``source`` in a daemon thread, at most ``size`` items ahead of the consumer.

    Exceptions raised by the source are re-raised in the consumer; ``busy`` accumulates the
    seconds the thread spent producing items (the decode time of a media source).
    """

    def __init__(self, source: Iterator[T], size: int = 64):
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, size))
        self._stop = threading.Event()
        self.busy = 0.0
        self._thread = threading.Thread(target=self._run, args=(source,), name="mnemo-prefetch", daemon=True)
        self._thread.start()

    def _run(self, source: Iterator[T]) -> None:
        try:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    item = next(source)
                except StopIteration:
                    break
                self.busy += time.perf_counter() - started
                self._put(item)
        except BaseException as err:  # handed to the consumer, which re-raises it
            self._put(_Failure(err))
            return
        self._put(_END)

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def __next__(self) -> T:
        item = self._queue.get()
        if item is _END:
            self._stop.set()
            raise StopIteration
        if isinstance(item, _Failure):
            self._stop.set()
            raise item.error
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the thread (it ends after its current item) and wait briefly for it."""
        self._stop.set()
        self._thread.join(timeout=5.0)


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error
