"""What every route reaches: the options, the memories under the root, their readers, the jobs."""

from __future__ import annotations

import functools
import logging
import os
import shutil
import stat
import threading
from pathlib import Path

from fastapi import Request

from memory.store import DB_NAME, MemoryStore
from mnemo.service.errors import ApiError
from mnemo.service.jobs import JobManager, WorkerProcess
from mnemo.service.options import ServiceOptions
from mnemo.service.paths import check_name, confined
from mnemo.service.readers import Reader, Readers

logger = logging.getLogger(__name__)


class Service:
    """The service's state, shared by its routes (``request.app.state.service``)."""

    def __init__(self, options: ServiceOptions, background: bool = True, worker_class=WorkerProcess):
        self.options = options
        self.readers = Readers(options.refresh_s, options.text_backend)
        if worker_class is WorkerProcess:  # a process of its own, at the options' lower CPU priority
            worker_class = functools.partial(WorkerProcess, nice=options.ingest_nice)
        self.jobs = JobManager(options.jobs_dir, self.directory, profile=options.profile, workers=options.max_ingests,
                               worker_class=worker_class)
        self._background = background
        self._existing: dict[str, Path] = {}  # memory name -> its folder, resolved (questions skip resolving)

    def start(self) -> None:
        """Start the ingest worker and load the models questions need (not with ``background=False``)."""
        if self._background:
            self.jobs.start()
            threading.Thread(target=self._warm, name="mnemo-warm", daemon=True).start()

    def _warm(self) -> None:
        """Load the default profile's encoders now, so that the first question does not wait for them."""
        from mnemo.api import DEFAULT_PROFILE
        from mnemo.config import load_profile

        try:
            self.readers.encoders.get(load_profile(self.options.profile or DEFAULT_PROFILE))
        except Exception as error:  # noqa: BLE001 - the first question will report it
            logger.warning("could not load the encoders ahead of the first question: %s", error)

    def stop(self) -> None:
        self.jobs.stop()
        self.readers.close()

    # ------------------------------------------------------------------------------ memories
    def directory(self, name: str) -> Path:
        """The folder of memory ``name`` (it may not exist yet), confined to the root."""
        return confined(self.options.root, check_name(name))

    def existing(self, name: str) -> Path:
        """The folder of an existing memory; 404 otherwise."""
        known = self._existing.get(name)
        if known is not None and _plain_folder(known) and (known / DB_NAME).is_file():
            return known  # resolved before and still a folder, not a link: resolving again finds the same
        directory = self.directory(name)
        if not (directory / DB_NAME).is_file():
            raise ApiError(404, f"no memory named {name!r} (create it with PUT /v1/memories/{name})")
        self._existing[name] = directory
        return directory

    def reader(self, name: str) -> Reader:
        return self.readers.get(self.existing(name))

    def names(self) -> list[str]:
        root = self.options.root
        return sorted(d.name for d in root.iterdir() if not d.name.startswith(".") and (d / DB_NAME).is_file()
                      and d.resolve().is_relative_to(root))

    def create(self, name: str) -> bool:
        """Make memory ``name``; False when it already exists."""
        directory = self.directory(name)
        if (directory / DB_NAME).is_file():
            return False
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise ApiError(409, f"{name!r} exists under the root and is not a memory")
        MemoryStore(directory, create=True).close()
        return True

    def delete(self, name: str) -> None:
        directory = self.existing(name)
        if self.jobs.busy(name):
            raise ApiError(409, f"memory {name!r} has an ingest queued or running: cancel it first")
        self.readers.drop(directory)
        self._existing.pop(name, None)
        shutil.rmtree(directory)
        self.jobs.forget(name)


def _plain_folder(path: Path) -> bool:
    """True when ``path`` is a folder itself (one lstat), not a link to one: a folder resolved before and
    swapped for a link since must be resolved, and confined, again."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


async def service(request: Request) -> Service:
    """The service of the app serving ``request`` (async: FastAPI would run a plain function on a thread
    of its pool, a hop per request)."""
    return request.app.state.service
