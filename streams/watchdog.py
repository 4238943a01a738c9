"""Blocking calls into FFmpeg, run where the caller can give up on them.

PyAV's timeouts work through FFmpeg's interrupt callback, which FFmpeg checks only where its
authors put a check: a network open or read that waits anywhere else would hold its caller
forever. A :class:`Worker` runs such calls in a daemon thread and waits at most ``limit``
seconds for each; a call it gives up on is abandoned (it raises :class:`Abandoned`), left to
finish, or never, on its own, and what it returns then goes to ``late`` (to close a container
nobody reads any more).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Abandoned(Exception):
    """A call did not return within its limit; it goes on in a daemon thread."""

    def __init__(self, what: str, limit: float):
        self.what = what
        self.limit = limit
        super().__init__(f"{what} did not return within {limit:g} s")


@dataclass
class _Call(Generic[T]):
    run: Callable[[], T]
    late: Callable[[T | None, BaseException | None], None] | None
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    result: T | None = None
    error: BaseException | None = None
    abandoned: bool = False


class Worker:
    """A daemon thread that runs calls one at a time, each waited for at most its ``limit``.

    Once a call is abandoned the worker is spent: its thread ends when (if) that call returns,
    and further calls raise :class:`Abandoned` at once.
    """

    def __init__(self, name: str):
        self.name = name
        self.spent = False  # a call was abandoned
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def call(self, run: Callable[[], T], limit: float, what: str,
             late: Callable[[T | None, BaseException | None], None] | None = None) -> T:
        """``run()``'s result or exception; :class:`Abandoned` when it takes longer than ``limit`` seconds.

        ``late(result, error)`` runs in the worker's thread if an abandoned call returns after all.
        """
        if self.spent:
            raise Abandoned(what, 0.0)
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
            self._thread.start()
        job = _Call(run, late)
        self._calls.put(job)
        if not job.done.wait(limit):
            with job.lock:
                if not job.done.is_set():
                    job.abandoned = self.spent = True
                    raise Abandoned(what, limit)
        if job.error is not None:
            raise job.error
        return job.result

    def close(self) -> None:
        """Let the thread end after the call it runs (if any); safe to call twice."""
        if self._thread is not None and not self.spent:
            self._calls.put(None)
        self._thread = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _serve(self) -> None:
        while True:
            job = self._calls.get()
            if job is None:
                return
            result, error = None, None
            try:
                result = job.run()
            except BaseException as err:  # handed to the caller, which raises it
                error = err
            with job.lock:
                job.result, job.error, abandoned = result, error, job.abandoned
                job.done.set()
            if abandoned:
                self._finish_late(job, result, error)
                return

    def _finish_late(self, job: _Call, result, error: BaseException | None) -> None:
        log.info("%s: an abandoned call returned after all", self.name)
        if job.late is None:
            return
        try:
            job.late(result, error)
        except Exception:  # a daemon thread's clean-up: nothing is waiting for it
            log.exception("%s: cleaning up after an abandoned call failed", self.name)


def call_within(run: Callable[[], T], limit: float, what: str,
                late: Callable[[T | None, BaseException | None], None] | None = None) -> T:
    """``run()`` in a thread of its own, waited for at most ``limit`` seconds (see :class:`Worker`)."""
    with Worker(what) as worker:
        return worker.call(run, limit, what, late)
