"""The ingest worker: a long-lived process that ingests one file at a time into one memory.

The service talks to it with JSON lines: a job in on stdin (``{"job", "memory", "source",
"profile"}``), progress and the outcome out on stdout (``{"job", "progress", "total"}``, then
``{"job", "done": report}``, ``{"job", "error": message}`` or ``{"job", "cancelled": true}``).
SIGINT cancels the job in hand cleanly (what was seen is committed, a live stream's open event
included; a second SIGINT aborts at once); the worker then waits for the next one. Running ingests in their
own process keeps them from contending with the server's threads for the interpreter lock, and the
models it loads stay warm from one job to the next. Ingestion resumes from the memory's checkpoints,
so a job cut short (cancelled, or the server stopped) continues where it stopped when run again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from mnemo.runtime.control import IngestControl

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 0.2  # seconds between progress lines
PARENT_POLL_S = 0.25  # seconds between checks that the service which started the worker is alive
from mnemo.service.options import SURPRISE_DIR


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class Worker:
    """Ingests jobs with encoders loaded once per profile."""

    def __init__(self, say: Callable[[dict[str, Any]], None] = _say) -> None:
        self._encoders: dict[str, Any] = {}
        self._say = say  # where progress messages go (stdout here; a Ray actor keeps them for polling)

    def warm(self, profile: str | None) -> None:
        """Load the encoders of ``profile`` (None: mnemo's default) before the first job."""
        from mnemo.api import DEFAULT_PROFILE
        from mnemo.config import load_profile

        self._encoders_for(load_profile(profile or DEFAULT_PROFILE))

    def _encoders_for(self, profile):
        from mnemo.config import profile_ref
        from mnemo.models import load_encoders

        key = profile_ref(profile)
        if key not in self._encoders:
            self._encoders[key] = load_encoders(profile)
        return self._encoders[key]

    def run(self, job: dict, control: IngestControl | None = None) -> dict:
        """Ingest one job's source; the outcome message. Without ``control`` a SIGINT cancels it (the
        worker process); with one, whoever holds it cancels through ``control.stop()`` (a Ray actor)."""
        import mnemo

        ident = job["job"]
        last = [0.0]

        def progress(done: float, total: float | None) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY:
                last[0] = now
                self._say({"job": ident, "progress": done, "total": total})

        from mnemo.runtime.control import IngestControl

        trace: list[tuple[float, float]] = []
        signals = control is None
        control = control or IngestControl()
        with mnemo.open(job["memory"], profile=job.get("profile"), create=True) as mem, \
                (_cancel_with(control) if signals else contextlib.nullcontext()):
            mem.use_encoders(self._encoders_for(mem.profile))
            try:
                report = mem.ingest(job["source"], progress=progress, trace=trace, control=control)
            finally:
                _save_trace(Path(job["memory"]), mem, job["source"], trace)
        if control.stopping:
            return {"job": ident, "cancelled": True}
        return {"job": ident, "done": {"stream": report.stream, "events": report.events,
                                       "media_seconds": report.media_seconds, "wall_seconds": report.wall_seconds,
                                       "skipped": report.skipped, "resumed_from": report.resumed_from}}


class _cancel_with:
    """While a job runs, the first SIGINT stops it cleanly through ``control``; a second aborts."""

    def __init__(self, control) -> None:
        self.control = control

    def _handle(self, signum, frame) -> None:
        if self.control.stopping:
            raise KeyboardInterrupt
        self.control.stop("cancelled by the service")

    def __enter__(self) -> "_cancel_with":
        signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _save_trace(directory: Path, mem, source: str, trace: list[tuple[float, float]]) -> None:
    """Append this run's (time, surprise) to the stream's trace file (a resumed run adds its part)."""
    from streams.identity import stream_id

    if not trace:
        return
    path = directory / SURPRISE_DIR / f"{stream_id(source)}.json"
    path.parent.mkdir(exist_ok=True)
    old = json.loads(path.read_text()) if path.is_file() else []
    start = trace[0][0]
    merged = [p for p in old if p[0] < start] + [[round(t, 3), round(float(z), 3)] for t, z in trace]
    path.write_text(json.dumps(merged))


def _outcome(worker: Worker, job: dict, control: IngestControl | None = None) -> dict:
    from mnemo.errors import user_message

    try:
        return worker.run(job, control)
    except KeyboardInterrupt:
        return {"job": job["job"], "cancelled": True}
    except Exception as error:  # noqa: BLE001 - reported to the service, which records the job as failed
        message = user_message(error)
        if message is None:
            logger.exception("ingest of %s failed", job.get("source"))
            message = f"internal error ({type(error).__name__}: {error})"
        return {"job": job["job"], "error": message}


def _die_with(parent: int) -> None:
    """End this process once ``parent`` is gone (a service killed by ``kill -9`` or a crash): an orphan
    would ingest on for nobody and hold the memory's writer lock, so the restarted service could not
    resume the job. Ending at once is what ``kill -9`` of an ingest does: what was committed is kept.
    On Linux the kernel kills it with its parent (``PR_SET_PDEATHSIG``); elsewhere a poll ends it."""
    _kill_with_parent()
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    logger.warning("the service (pid %d) is gone: the ingest worker stops; the job resumes when it restarts", parent)
    os._exit(1)


def _kill_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: SIGKILL when the thread that started us ends
    except (OSError, AttributeError) as error:
        logger.debug("no PR_SET_PDEATHSIG (%s): polling for the parent instead", error)


def main() -> None:
    """Read jobs from stdin until it closes (or the service that started the worker is gone)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="worker: %(levelname)s %(message)s")
    threading.Thread(target=_die_with, args=(os.getppid(),), name="mnemo-worker-parent", daemon=True).start()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    worker = Worker()
    while True:
        try:
            line = sys.stdin.readline()
            if not line:  # the service closed the pipe: stop
                break
            job = json.loads(line)
            if "warm" in job:
                if job.get("nice"):  # before the models load: their thread pools inherit it
                    os.nice(int(job["nice"]))
                worker.warm(job["warm"])
                _say({"warm": True})
                continue
            _say({"job": job["job"], "started": True})
            _say(_outcome(worker, job))
        except KeyboardInterrupt:  # a cancel that arrived between jobs
            continue


if __name__ == "__main__":
    main()
