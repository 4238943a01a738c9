"""One writer per memory: an advisory lock (``flock``) on ``writer.lock`` in the memory folder, held
while a process ingests into it. The kernel drops it when the process ends, even by ``kill -9``, so a
crash never leaves a stale lock; readers never take it."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from mnemo.errors import UserError

LOCK_FILE = "writer.lock"


class WriterBusy(UserError):
    """Another process is ingesting into this memory."""


class WriterLock:
    """The memory's writer lock, taken by ``acquire`` (an error naming the holder when it is taken)."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> "WriterLock":
        if self._fd is not None:
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise UserError(f"{self.path.parent}: cannot write to this memory ({err.strerror}); "
                            "is its folder read-only?") from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise WriterBusy(f"{self.path.parent}: another process (pid {holder}) is writing to this memory; "
                             "one writer at a time: wait for it to finish (readers may go on)") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "WriterLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
