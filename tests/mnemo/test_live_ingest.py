"""Live ingest end to end with real senders on loopback (ffmpeg over UDP), lite profile.

The clip has hard cuts at 3, 6 and 9 s; the memory's events must cover what was sent, cut
near those changes, commit however the stream ends, and never run across a reconnect gap.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from memory.store import MemoryStore
from mnemo.config import load_profile
from mnemo.runtime.control import IngestControl
from streams.live import LiveOptions

ROOT = Path(__file__).resolve().parents[2]





@pytest.fixture(scope="module")
def encoders():
    from mnemo.models import load_encoders

    return load_encoders(load_profile("lite"))


def _ingest(store: MemoryStore, encoders, uri: str, options: LiveOptions, start_sender, delay: float = 0.5):
    """Ingest ``uri`` while ``start_sender`` starts sending ``delay`` s after the ingest began listening."""
    from mnemo.pipeline import Ingestor

    timer = threading.Timer(delay, start_sender)
    timer.start()
    try:
        return Ingestor(store, encoders).ingest(uri, control=IngestControl(live=options))
    finally:
        timer.join()


def _contiguous(events) -> None:
    for a, b in zip(events, events[1:]):
        assert b.start >= a.end - 1e-6, (a.start, a.end, b.start, b.end)


def test_a_stream_that_ends_commits_events_covering_what_was_sent(senders, tmp_path, live_clip, encoders):
    port = senders.free_port()
    processes = []
    with MemoryStore(tmp_path / "m") as store:
        report = _ingest(store, encoders, f"udp://127.0.0.1:{port}", LiveOptions(reconnect=False, stall=1.5),
                         lambda: processes.append(senders.send_udp(live_clip.video, port)))
        senders.stop(processes[0])
        events = store.events(stream=report.stream)
        checkpoint = store.checkpoint(report.stream)
    assert report.live and report.ending == "ended" and "no data" in report.end_reason
    assert report.events == len(events) >= 3
    _contiguous(events)
    assert events[0].start <= 1.0 and events[-1].end >= 11.0  # the 12 s sent, to the last frame read
    assert checkpoint.done and checkpoint.position == pytest.approx(events[-1].end)
    boundaries = [e.start for e in events[1:]]
    for cut in (6.0, 9.0):  # the cut at 3 s falls in the segmenter's warm-up
        assert min(abs(b - cut) for b in boundaries) <= 1.0, (cut, boundaries)
    assert report.lag["p50"] < 1.5 and report.lag["max"] < 4.0 and report.gaps == []


def test_a_drop_and_reconnect_leaves_a_gap_no_event_spans(senders, tmp_path, live_clip, encoders):
    port = senders.free_port()
    processes = []

    def send() -> None:  # the first 5 s, a 2 s outage, then the last 4 s of the clip
        processes.append(senders.send_udp(live_clip.video, port, seconds=5))
        processes[0].wait()
        time.sleep(2.0)
        processes.append(senders.send_udp(live_clip.video, port, start=8))

    options = LiveOptions(stall=1.0, reconnect_for=2.0, backoff=0.2)
    with MemoryStore(tmp_path / "m") as store:
        try:
            report = _ingest(store, encoders, f"udp://127.0.0.1:{port}", options,
                             lambda: threading.Thread(target=send, daemon=True).start())
        finally:
            for process in processes:
                senders.stop(process)
        events = store.events(stream=report.stream)
        info = next(s["info"] for s in store.streams() if s["id"] == report.stream)
    assert report.ending == "lost" and "gave up reconnecting" in report.end_reason
    assert len(report.gaps) == 1
    start, end, reason = report.gaps[0]
    assert 1.5 <= end - start <= 6.0 and "no data" in reason
    assert info["extra"]["gaps"] == [[start, end, reason]] and info["wall_clock"] is not None
    _contiguous(events)
    before = [e for e in events if e.end <= start + 1e-6]
    after = [e for e in events if e.start >= end - 1e-6]
    assert len(before) + len(after) == len(events) and before and after  # none runs across the gap
    assert before[-1].end >= 4.0 and after[-1].end - after[0].start >= 2.5  # ~5 s, then ~4 s


def test_an_rtsp_sender_stopped_and_restarted_leaves_a_gap_no_event_spans(senders, tmp_path, live_clip, encoders):
    """Through Debian's rtsp-server-perl relay (RTP over UDP: it refuses TCP): the sender stops 4.5 s
    into the clip, comes back 2 s later with its last 6 s; the test stops the ingest once that is read."""
    server = senders.RtspServer()
    processes = [senders.push_rtsp(live_clip.video, server.push_url, 12)]
    options = LiveOptions(stall=1.5, reconnect_for=8.0, backoff=0.3, max_backoff=0.6)  # retried often
    control = IngestControl(live=options)

    def sender() -> None:
        deadline = time.monotonic() + 20.0
        while (control.status.media_time or 0.0) < 4.5 and time.monotonic() < deadline:
            time.sleep(0.05)
        processes[0].send_signal(signal.SIGINT)  # tears its session down (a killed one keeps the mount)
        processes[0].wait()
        time.sleep(2.0)
        processes.append(senders.push_rtsp_until_accepted(live_clip.video, server, 6, start=6))
        processes[-1].wait()
        time.sleep(options.stall + 1.0)
        control.stop("the test is over")

    from mnemo.pipeline import Ingestor

    with MemoryStore(tmp_path / "m") as store:
        try:
            senders.wait_until_announced(server.url)
            threading.Thread(target=sender, daemon=True).start()
            report = Ingestor(store, encoders).ingest(server.url, control=control)
        finally:
            for process in processes:
                senders.stop(process)
            server.close()
        events = store.events(stream=report.stream)
        info = next(s["info"] for s in store.streams() if s["id"] == report.stream)
    assert report.ending == "stopped" and len(report.gaps) == 1, (report.ending, report.end_reason, report.gaps)
    start, end, reason = report.gaps[0]
    # silence, or the end when the relay had to be restarted for the new sender (push_rtsp_until_accepted)
    assert 1.5 <= end - start <= 8.0 and ("no data" in reason or "ended" in reason), reason
    assert info["extra"]["gaps"] == [[start, end, reason]]
    _contiguous(events)
    before = [e for e in events if e.end <= start + 1e-6]
    after = [e for e in events if e.start >= end - 1e-6]
    assert len(before) + len(after) == len(events) and before and after  # none runs across the gap
    assert before[-1].end - before[0].start >= 3.0  # ~4.5 s before the stop
    assert 2.0 <= after[-1].end - after[0].start <= 6.5  # of the 6 s sent after it (joined late), nothing twice


def test_a_second_session_continues_on_the_wall_clock(senders, tmp_path, live_clip, encoders):
    port = senders.free_port()
    uri = f"udp://127.0.0.1:{port}"
    options = LiveOptions(reconnect=False, stall=1.0)
    processes = []
    with MemoryStore(tmp_path / "m") as store:
        try:
            first = _ingest(store, encoders, uri, options,
                            lambda: processes.append(senders.send_udp(live_clip.video, port, seconds=3)))
            time.sleep(1.0)
            second = _ingest(store, encoders, uri, options,
                             lambda: processes.append(senders.send_udp(live_clip.video, port, seconds=3)))
        finally:
            for process in processes:
                senders.stop(process)
        events = store.events(stream=first.stream)
    assert not second.skipped and second.stream == first.stream
    assert first.events >= 1 and second.events >= 1
    _contiguous(events)
    assert len(second.gaps) == 1 and second.gaps[0][2].startswith("not recording")
    # the second session starts where the wall clock says: after the first, the pause between them
    assert events[first.events].start - events[first.events - 1].end >= 1.5


def test_ctrl_c_commits_what_was_seen_and_exits_130(senders, tmp_path, live_clip):
    port = senders.free_port()
    sender = senders.send_udp(live_clip.video, port, loop=True)
    memory = tmp_path / "m"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "mnemo", "-v", "ingest", f"udp://127.0.0.1:{port}", "--memory", str(memory),
               "--profile", "lite", "--quiet", "--stall", "2"]
    cli = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    lines: list[str] = []
    connected = threading.Event()

    def watch() -> None:
        for line in cli.stderr:
            lines.append(line)
            if "connected" in line:
                connected.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert connected.wait(60), "".join(lines)
        time.sleep(6.0)
        cli.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        assert cli.wait(timeout=30) == 130, "".join(lines)
        took = time.monotonic() - stopped
    finally:
        senders.stop(cli)
        senders.stop(sender)
    text = " ".join("".join(lines).split())
    assert "stopped (interrupted (Ctrl-C) at" in text
    assert took < 10.0  # commits and exits within a few seconds (most of it: the interpreter's exit)
    with MemoryStore(memory, create=False) as store:
        events = store.events()
    assert events and events[-1].end - events[0].start >= 4.0  # the ~6 s seen before Ctrl-C
