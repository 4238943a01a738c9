"""Background ingests: jobs kept on disk, run one per memory at a time in a worker process.

A job is queued, then running, then done, failed or cancelled. Records are JSON files under the
service root, written on every change of state, so a restarted server finds its queued and
interrupted jobs and runs them again (the memory's checkpoints make the ingest resume, not restart).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

from memory.files import atomic_write

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
CANCEL_GRACE_S = 10.0  # after this long a worker that ignores a cancel is killed


@dataclass
class Job:
    """One ingest: a file into a memory."""

    id: str
    memory: str  # the memory's name
    source: str  # the file ingested (absolute path on the server)
    name: str  # what to show for it (the uploaded file's name)
    state: str = QUEUED
    progress: float = 0.0  # 0-1 (media time ingested / duration; 1 when done)
    media_done: float = 0.0  # media seconds ingested
    media_total: float | None = None  # media seconds in the file, when known
    error: str | None = None
    result: dict = field(default_factory=dict)  # the ingest report, when done
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    runs: int = 0  # how many times it was started (resumed after a restart: > 1)
    version: int = 0  # bumped on every change (server-sent events follow it)

    def public(self) -> dict:
        """What the API shows: everything but the server-side path."""
        data = asdict(self)
        data.pop("source")
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Job":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class WorkerProcess:
    """One ``python -m mnemo.service.worker`` child, fed one job at a time."""

    def __init__(self, profile: str | None, on_message: Callable[[dict], None], nice: int = 0):
        self._profile = profile
        self._nice = nice  # the worker lowers its CPU priority by this much before it loads models
        self._on_message = on_message
        self._proc: subprocess.Popen | None = None
        self.job: str | None = None  # the job in hand

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen([sys.executable, "-m", "mnemo.service.worker"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True, bufsize=1, env=env,
                                      start_new_session=True)  # a terminal's Ctrl-C is the server's to pass on
        threading.Thread(target=self._read, args=(self._proc,), name="mnemo-worker-reader", daemon=True).start()
        self._send({"warm": self._profile, "nice": self._nice})

    def _send(self, message: dict) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(message) + "\n")
        self._proc.stdin.flush()

    def _read(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                logger.warning("worker: %s", line.rstrip())
                continue
            self._on_message(message)
        code = proc.wait()
        if self.job is not None and proc is self._proc:  # it died in the middle of a job
            self._on_message({"job": self.job, "error": f"the ingest worker exited (status {code})"})

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def submit(self, job: Job, memory_dir: Path, profile: str | None) -> None:
        if not self.alive:
            self.start()
        self.job = job.id
        self._send({"job": job.id, "memory": str(memory_dir), "source": job.source, "profile": profile})

    def cancel(self) -> None:
        """Interrupt the job in hand (SIGINT); kill the worker if it does not stop in time."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        job = self.job
        proc.send_signal(signal.SIGINT)

        def reap() -> None:  # only if that same job is still in hand: the worker may have gone on to the next
            time.sleep(CANCEL_GRACE_S)
            if job is not None and self.job == job and proc.poll() is None and proc is self._proc:
                logger.warning("the ingest worker ignored a cancel for %.0f s: killing it", CANCEL_GRACE_S)
                proc.kill()

        threading.Thread(target=reap, daemon=True).start()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if self.job is None:  # idle (or still loading its models): nothing to finish
            proc.terminate()
        else:
            proc.send_signal(signal.SIGINT)  # the job stays "running" on disk and resumes on restart
        try:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=CANCEL_GRACE_S)
        except (subprocess.TimeoutExpired, OSError):
            proc.kill()
            proc.wait()


class JobManager:
    """Queues ingests, runs them on worker processes (one writer per memory) and records them."""

    def __init__(self, jobs_dir: Path, memory_dir: Callable[[str], Path], profile: str | None = None,
                 workers: int = 1, worker_class: Callable[..., WorkerProcess] = WorkerProcess):
        self._dir = jobs_dir
        self._dir.mkdir(parents=True, exist_ok=True)
        self._memory_dir = memory_dir
        self._profile = profile
        self._lock = threading.Condition()
        self._jobs: dict[str, Job] = {}
        # worker_class(profile, on_message): a process here, or a Ray actor under Ray Serve (ray_worker.py)
        self._workers = [worker_class(profile, self._on_message) for _ in range(workers)]
        self._stopped = False
        self._cancelling: set[str] = set()
        self._load()

    # ----------------------------------------------------------------------------- lifecycle
    def _load(self) -> None:
        for path in sorted(self._dir.glob("*.json")):
            try:
                job = Job.from_dict(json.loads(path.read_text()))
            except (OSError, ValueError, TypeError) as error:
                logger.warning("%s: unreadable job record skipped (%s)", path, error)
                continue
            if job.state == RUNNING:  # the server stopped during it: run it again (it resumes)
                job.state = QUEUED
                logger.info("job %s (%s) was interrupted: queued to resume", job.id, job.name)
            self._jobs[job.id] = job

    def start(self) -> None:
        """Start the workers (they load their models now) and the dispatcher."""
        for worker in self._workers:
            worker.start()
        threading.Thread(target=self._dispatch, name="mnemo-jobs", daemon=True).start()

    def stop(self) -> None:
        """Stop dispatching; running jobs are interrupted and stay queued on disk to resume."""
        with self._lock:
            self._stopped = True
            self._lock.notify_all()
        for worker in self._workers:
            worker.stop()

    @property
    def stopped(self) -> bool:
        return self._stopped

    # ----------------------------------------------------------------------------- requests
    def submit(self, memory: str, source: Path, name: str) -> Job:
        job = Job(id=secrets.token_hex(8), memory=memory, source=str(source), name=name)
        with self._lock:
            self._jobs[job.id] = job
            self._save(job)
            self._lock.notify_all()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else Job.from_dict(asdict(job))

    def jobs(self, memory: str | None = None) -> list[Job]:
        with self._lock:
            return [Job.from_dict(asdict(j)) for j in sorted(self._jobs.values(), key=lambda j: j.created)
                    if memory is None or j.memory == memory]

    def busy(self, memory: str) -> bool:
        """True while a job of ``memory`` is queued or running."""
        with self._lock:
            return any(j.memory == memory and j.state not in FINISHED for j in self._jobs.values())

    def cancel(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state in FINISHED:
                return job
            if job.state == QUEUED:
                self._finish(job, CANCELLED, error="cancelled")
                return job
            worker = next((w for w in self._workers if w.job == job_id), None)
            self._cancelling.add(job_id)
        if worker is not None:
            worker.cancel()
        return job

    def forget(self, memory: str) -> None:
        """Drop the finished job records of a deleted memory."""
        with self._lock:
            for job in [j for j in self._jobs.values() if j.memory == memory and j.state in FINISHED]:
                del self._jobs[job.id]
                (self._dir / f"{job.id}.json").unlink(missing_ok=True)

    def wait_change(self, job_id: str, version: int, timeout: float) -> Job | None:
        """The job once its version differs from ``version`` (or after ``timeout``)."""
        with self._lock:
            self._lock.wait_for(lambda: self._jobs.get(job_id) is None or self._jobs[job_id].version != version
                                or self._stopped, timeout=timeout)
            job = self._jobs.get(job_id)
            return None if job is None else Job.from_dict(asdict(job))

    # ----------------------------------------------------------------------------- running
    def _dispatch(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._stopped or self._next() is not None)
                if self._stopped:
                    return
                job, worker = self._next()
                job.state, job.started, job.runs, job.error = RUNNING, time.time(), job.runs + 1, None
                self._save(job)
                worker.job = job.id
            try:
                worker.submit(job, self._memory_dir(job.memory), self._profile)
            except OSError as error:
                self._on_message({"job": job.id, "error": f"cannot start the ingest worker: {error}"})

    def _next(self) -> tuple[Job, WorkerProcess] | None:
        idle = [w for w in self._workers if w.job is None]
        if not idle:
            return None
        busy = {self._jobs[w.job].memory for w in self._workers if w.job in self._jobs}
        for job in sorted(self._jobs.values(), key=lambda j: j.created):
            if job.state == QUEUED and job.memory not in busy:
                return job, idle[0]
        return None

    def _on_message(self, message: dict) -> None:
        job_id = message.get("job")
        with self._lock:
            job = self._jobs.get(job_id) if job_id else None
            if job is None or job.state in FINISHED or self._stopped:  # stopping: running jobs stay to resume
                return
            if "progress" in message:
                job.media_done = float(message["progress"])
                job.media_total = message.get("total")
                if job.media_total:
                    job.progress = max(job.progress, min(0.999, job.media_done / float(job.media_total)))
                job.version += 1  # progress is not written to disk: only states are
                self._lock.notify_all()
                return
            if "done" in message:
                job.result = message["done"]
                job.progress = 1.0
                job.media_done = float(job.result.get("media_seconds") or job.media_done)
                self._finish(job, DONE)
            elif "cancelled" in message or job_id in self._cancelling:  # a killed worker's error too
                self._finish(job, CANCELLED, error="cancelled")
            elif "error" in message:
                self._finish(job, FAILED, error=str(message["error"]))
            else:
                return
            for worker in self._workers:
                if worker.job == job_id:
                    worker.job = None

    def _finish(self, job: Job, state: str, error: str | None = None) -> None:
        job.state, job.error, job.finished = state, error, time.time()
        self._save(job)
        logger.info("job %s (%s): %s%s", job.id, job.name, state, f" ({error})" if error else "")

    def _save(self, job: Job) -> None:
        job.version += 1
        atomic_write(self._dir / f"{job.id}.json", json.dumps(asdict(job)).encode(), durable=True)
        self._lock.notify_all()
