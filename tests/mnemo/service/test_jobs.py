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



def test_the_worker_runs_at_the_niceness_asked_for():
    """Ingests give way to questions: the worker lowers its own CPU priority before its models load."""
    import os

    from mnemo.service.jobs import WorkerProcess

    messages: list[dict] = []
    worker = WorkerProcess("test", messages.append, nice=7)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while not any(m.get("warm") for m in messages):
            assert time.monotonic() < deadline, "the worker did not warm up"
            time.sleep(0.05)
        child = worker._proc.pid
        assert os.getpriority(os.PRIO_PROCESS, child) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 7)
    finally:
        worker.stop()


def test_a_niceness_out_of_range_is_refused(tmp_path):
    import pytest

    from mnemo.service.options import ServiceOptions

    for bad in (-1, 20, 2.5):
        with pytest.raises(ValueError, match=f"ingest_nice={bad!r}: expected a niceness from 0 to 19"):
            ServiceOptions(root=tmp_path, ingest_nice=bad)
    assert ServiceOptions(root=tmp_path).ingest_nice == 10


def test_a_text_backend_must_be_known(tmp_path):
    import pytest

    from mnemo.service.options import ServiceOptions

    with pytest.raises(ValueError, match="text_backend='tf': expected one of onnx, torch"):
        ServiceOptions(root=tmp_path, text_backend="tf")
    assert ServiceOptions(root=tmp_path).text_backend == "onnx"
