"""Ingest jobs on a Ray actor: the worker process's interface, with ``Worker.run`` on the cluster.

``RayWorker`` is what ``JobManager`` drives under ``mnemo serve --ray`` in place of ``WorkerProcess``
(``submit`` / ``cancel`` / ``stop``, the job in hand in ``job``, messages back through ``on_message``).
The actor runs the same ``Worker`` as the process does; it keeps the progress messages, which a thread
here polls while the job runs, and a cancel reaches it as a method call (actors have no SIGINT of
their own). Job records stay with the ``JobManager``, on disk, so a restarted service resumes them.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable

from mnemo.runtime.ray_actors import here  # first: it sets Ray's auth mode before Ray is imported

import ray  # noqa: E402

from mnemo.service.jobs import CANCEL_GRACE_S, Job  # noqa: E402

logger = logging.getLogger(__name__)

INGEST_CPUS = 1.0  # the actor's CPUs (Ray sets its threads from this): an ingest is the heavy work
POLL_S = 0.2  # how often progress is fetched from the actor while a job runs


class IngestActor:
    """The ingest ``Worker`` in an actor: ``run`` in its own thread, ``cancel`` and ``drain`` beside it."""

    def __init__(self) -> None:
        import mnemo.compat  # noqa: F401 - the torchvision shim, before any encoder is imported
        from mnemo.service.worker import Worker

        self._lock = threading.Lock()
        self._messages: list[dict] = []
        self._control = None
        self._worker = Worker(say=self._keep)

    def _keep(self, message: dict) -> None:
        with self._lock:
            self._messages.append(message)

    def warm(self, profile: str | None) -> bool:
        self._worker.warm(profile)
        return True

    def run(self, job: dict) -> dict:
        """Ingest one job; its outcome message (done, cancelled or error)."""
        from mnemo.runtime.control import IngestControl
        from mnemo.service.worker import _outcome

        control = IngestControl()
        with self._lock:
            self._control = control
        try:
            return _outcome(self._worker, job, control)
        finally:
            with self._lock:
                self._control = None

    @ray.method(concurrency_group="control")
    def cancel(self) -> None:
        with self._lock:
            if self._control is not None:
                self._control.stop("cancelled by the service")

    @ray.method(concurrency_group="control")
    def drain(self) -> list[dict]:
        """The progress messages since the last call."""
        with self._lock:
            messages, self._messages = self._messages, []
        return messages


def _actor_class():
    # warm and run share the default group (one at a time, in order); cancel and drain never wait for them
    return ray.remote(num_cpus=INGEST_CPUS, concurrency_groups={"control": 2})(IngestActor)


class RayWorker:
    """One ``IngestActor`` fed one job at a time, with ``WorkerProcess``'s interface."""

    def __init__(self, profile: str | None, on_message: Callable[[dict], None]):
        self._profile = profile
        self._on_message = on_message
        self._actor: Any = None
        self._run: Any = None  # the ObjectRef of the job in hand
        self.job: str | None = None  # the job in hand

    def start(self) -> None:
        self._actor = _actor_class().options(scheduling_strategy=here()).remote()  # on this node: its files
        self._actor.warm.remote(self._profile)  # a failure here shows again, as the first job's error

    @property
    def alive(self) -> bool:
        return self._actor is not None

    def submit(self, job: Job, memory_dir: Path, profile: str | None) -> None:
        if not self.alive:
            self.start()
        self.job = job.id
        actor = self._actor
        self._run = actor.run.remote({"job": job.id, "memory": str(memory_dir), "source": job.source,
                                      "profile": profile})
        threading.Thread(target=self._follow, args=(actor, job.id, self._run), name="mnemo-ray-follow",
                         daemon=True).start()

    def _follow(self, actor: Any, job_id: str, run: Any) -> None:
        """Pass on the job's progress until it ends, then its outcome."""
        while True:
            ready, _ = ray.wait([run], timeout=POLL_S)
            try:
                for message in ray.get(actor.drain.remote()):
                    self._on_message(message)
            except ray.exceptions.RayError:
                pass  # the actor is gone: the outcome below says so
            if ready:
                break
        try:
            outcome = ray.get(run)
        except ray.exceptions.RayError as error:
            if actor is self._actor:
                self._actor = None  # the next job starts a fresh actor
            outcome = {"job": job_id, "error": f"the ingest actor failed ({type(error).__name__})"}
            logger.warning("ingest actor: %s", error)
        self._on_message(outcome)

    def cancel(self) -> None:
        """Stop the job in hand cleanly; kill the actor if it does not stop in time."""
        actor, job = self._actor, self.job
        if actor is None or job is None:
            return
        actor.cancel.remote()
        run = self._run

        def reap() -> None:  # only if that same job is still in hand
            done, _ = ray.wait([run], timeout=CANCEL_GRACE_S)
            if not done and self.job == job and actor is self._actor:
                logger.warning("the ingest actor ignored a cancel for %.0f s: killing it", CANCEL_GRACE_S)
                ray.kill(actor)

        threading.Thread(target=reap, daemon=True).start()

    def stop(self) -> None:
        """Stop the job in hand (it stays running on disk, to resume) and end the actor."""
        actor, self._actor = self._actor, None
        if actor is None:
            return
        if self.job is not None and self._run is not None:
            actor.cancel.remote()
            ray.wait([self._run], timeout=CANCEL_GRACE_S)
        ray.kill(actor)
