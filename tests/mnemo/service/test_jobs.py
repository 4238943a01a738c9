"""The job manager with its real worker process, in this process (no HTTP)."""

from __future__ import annotations

import time

from mnemo.service import jobs as jobs_module
from mnemo.service.jobs import CANCELLED, DONE, FINISHED, RUNNING, JobManager


def wait_state(manager: JobManager, job_id: str, states, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = manager.get(job_id)
        if job.state in states and (job.state != RUNNING or job.media_done > 0):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {manager.get(job_id).state} after {timeout} s")


def test_a_cancel_does_not_reach_the_next_job(tmp_path, videos, monkeypatch):
    """The worker that stopped a cancelled job in time and went on to the next keeps the next
    one: the grace timer of the old cancel must not kill it."""
    monkeypatch.setattr(jobs_module, "CANCEL_GRACE_S", 2.0)
    manager = JobManager(tmp_path / "jobs", lambda name: tmp_path / name, profile="lite")
    manager.start()
    try:
        first = manager.submit("first", videos["long"].video, "long.mp4")
        wait_state(manager, first.id, (RUNNING,))
        manager.cancel(first.id)
        assert wait_state(manager, first.id, FINISHED).state == CANCELLED
        second = manager.submit("second", videos["long"].video, "long.mp4")
        wait_state(manager, second.id, (RUNNING, *FINISHED))
        assert manager.get(second.id).state == RUNNING  # the 2 min video takes longer than the grace
        time.sleep(jobs_module.CANCEL_GRACE_S + 1.0)  # past the first cancel's grace
        done = wait_state(manager, second.id, FINISHED)
        assert done.state == DONE, done.error
    finally:
        manager.stop()

