"""Worker / call_within: blocking calls given up on in time, with a real FFmpeg open that blocks."""

from __future__ import annotations

import threading
import time

import av
import pytest

from streams.watchdog import Abandoned, Worker, call_within


def test_a_blocked_rtsp_open_is_abandoned_within_its_limit_and_cleaned_up_when_it_returns(senders):
    """av.open without timeouts on a server that never answers blocks in C until the server hangs up."""
    server = senders.SilentServer()
    returned, late = threading.Event(), []

    def on_late(container, error) -> None:
        late.append((container, error))
        returned.set()

    began = time.monotonic()
    try:
        with pytest.raises(Abandoned) as caught:
            call_within(lambda: av.open(server.url(), options={"timeout": "-1"}), 1.0, "opening", late=on_late)
        waited = time.monotonic() - began
        assert server.accepted.is_set() and not returned.is_set()  # it connected and is still blocked
    finally:
        server.close()  # the server hangs up: the blocked open returns, with an error
    assert 1.0 <= waited < 1.5 and caught.value.limit == 1.0 and "did not return within 1 s" in str(caught.value)
    assert returned.wait(10.0)
    container, error = late[0]
    assert container is None and isinstance(error, av.error.FFmpegError)


def test_a_worker_runs_calls_in_order_and_passes_results_and_errors_through():
    with Worker("w") as worker:
        names = [worker.call(lambda: threading.current_thread().name, 1.0, "name") for _ in range(3)]
        assert names == ["w"] * 3  # one thread, reused
        assert worker.call(lambda: 6 * 7, 1.0, "answer") == 42
        with pytest.raises(StopIteration):  # an iterator's end comes through as itself
            worker.call(lambda: next(iter(())), 1.0, "next")
        with pytest.raises(ZeroDivisionError):
            worker.call(lambda: 1 / 0, 1.0, "divide")


def test_a_worker_whose_call_is_abandoned_is_spent():
    release = threading.Event()
    worker = Worker("w")
    with pytest.raises(Abandoned):
        worker.call(lambda: release.wait(10.0), 0.2, "wait")
    assert worker.spent
    with pytest.raises(Abandoned):  # refused at once: its thread is still inside the abandoned call
        worker.call(lambda: 1, 5.0, "again")
    release.set()
    worker.close()
