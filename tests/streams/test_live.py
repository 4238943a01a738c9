"""LiveSource against real senders on loopback: ffmpeg over UDP, and a live HLS playlist over HTTP."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from streams.errors import SourceError
from streams.live import LiveOptions, LiveSource
from streams.packets import AudioChunk, StreamGap, VideoFrame
from streams.sampling import SamplingPolicy
from streams.schemes import open_source

POLICY = SamplingPolicy(fps=2.0, frame_size=64, audio=True)


def _read(source) -> list:
    with source:
        return list(source.packets())


def _frames(items: list) -> list[VideoFrame]:
    return [p for p in items if isinstance(p, VideoFrame)]


def _check_order(items: list) -> None:
    """Frames strictly later each time; audio chunks never overlap (nothing delivered twice)."""
    times = [f.time for f in _frames(items)]
    assert all(b > a for a, b in zip(times, times[1:])), times
    chunks = [p for p in items if isinstance(p, AudioChunk)]
    assert all(b.time >= a.end - 1e-6 for a, b in zip(chunks, chunks[1:]))


def _open_while_sending(uri: str, start_sender, options: LiveOptions):
    """Open ``uri`` (which waits for data) while ``start_sender`` starts the sender just after."""
    timer = threading.Timer(0.5, start_sender)
    timer.start()
    try:
        return open_source(uri, POLICY, live=options)
    finally:
        timer.join()


def test_udp_sender_that_stops_and_comes_back_leaves_one_gap(senders, live_clip):
    port = senders.free_port()
    uri = f"udp://127.0.0.1:{port}"
    processes = []
    # reconnecting for 5 s: the sender back after its 2 s pause, with room for ffmpeg's start on a busy machine
    options = LiveOptions(stall=1.0, reconnect_for=5.0, backoff=0.2)
    source = _open_while_sending(uri, lambda: processes.append(senders.send_udp(live_clip.video, port, 3)), options)
    assert isinstance(source, LiveSource)

    def restart() -> None:  # the sender comes back 2 s after it stopped
        processes[0].wait()
        time.sleep(2.0)
        processes.append(senders.send_udp(live_clip.video, port, 3))

    threading.Thread(target=restart, daemon=True).start()
    try:
        items = _read(source)
    finally:
        for process in processes:
            senders.stop(process)
    gaps = [p for p in items if isinstance(p, StreamGap)]
    assert len(gaps) == 1 and source.gaps == gaps
    gap = gaps[0]
    before = [f.time for f in _frames(items) if f.time < gap.time + 1e-6]
    after = [f.time for f in _frames(items) if f.time >= gap.end - 1e-6]
    assert len(before) + len(after) == len(_frames(items))
    assert before[-1] - before[0] >= 2.0 and after[-1] - after[0] >= 2.0  # ~3 s sent each time
    assert 1.5 <= gap.seconds <= 6.0  # the 2 s pause, seen through the 1 s stall timeout
    assert "no data" in gap.reason
    _check_order(items)
    assert source.ending == "lost" and "gave up reconnecting" in source.reason
    assert source.info.wall_clock is not None and source.reconnects == 1


def test_without_reconnect_a_stream_that_stops_ends(senders, live_clip):
    port = senders.free_port()
    processes = []
    options = LiveOptions(reconnect=False, stall=1.0)
    source = _open_while_sending(f"udp://127.0.0.1:{port}",
                                 lambda: processes.append(senders.send_udp(live_clip.video, port, 3)), options)
    began = time.monotonic()
    try:
        items = _read(source)
    finally:
        senders.stop(processes[0])
    assert source.ending == "ended" and "no data" in source.reason
    assert time.monotonic() - began < 6.0  # 3 s sent, 1 s stall, no reconnect attempts
    frames = _frames(items)
    assert frames and frames[-1].time - frames[0].time >= 2.0
    _check_order(items)


def test_stop_drains_and_ends_promptly(senders, live_clip):
    port = senders.free_port()
    processes = []
    source = _open_while_sending(f"udp://127.0.0.1:{port}",
                                 lambda: processes.append(senders.send_udp(live_clip.video, port, loop=True)),
                                 LiveOptions(stall=2.0))
    try:
        with source:
            items, stopped_at = [], None
            for item in source.packets():
                items.append(item)
                if stopped_at is None and isinstance(item, VideoFrame) and item.time >= 2.0:
                    source.stop("test stop")
                    stopped_at = time.monotonic()
            assert time.monotonic() - stopped_at < 1.5
    finally:
        senders.stop(processes[0])
    assert source.ending == "stopped" and source.reason.startswith("test stop at")
    _check_order(items)


def _open_when_announced(url: str, options: LiveOptions, timeout: float = 10.0):
    """The relay answers 404 until the sender announced the stream: try until it has."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return open_source(url, POLICY, live=options)
        except SourceError as err:
            if "404" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _scene_at(clip, frame: VideoFrame) -> int:
    """Index of the clip's scene whose wall colour ``frame`` shows (its top rows)."""
    colour = frame.image[:20].reshape(-1, 3).mean(axis=0)
    return int(np.argmin([np.abs(colour - np.array(s.wall, float)).max() for s in clip.scenes]))


def test_rtsp_relay_sender_stopped_mid_stream_and_restarted_leaves_one_gap(senders, live_clip):
    """A pushed RTSP stream through a relay that speaks RTP over UDP only (mnemo asks for TCP first).

    The sender is stopped 4.5 s into the clip and, 2 s later, sends 5 s more (from 6 s): the
    frames cover both parts, one gap lies between, nothing is delivered twice.
    """
    server = senders.RtspServer()
    processes = [senders.push_rtsp(live_clip.video, server.push_url, 12)]
    # retried often while the sender is away (a doubling backoff could wait past its return)
    options = LiveOptions(stall=1.5, reconnect_for=8.0, backoff=0.3, max_backoff=0.6)
    try:
        source = _open_when_announced(server.url, options)
        began = time.monotonic()

        def sender() -> None:  # kill mid-stream, restart from 8 s, then end the test once it is read
            deadline = time.monotonic() + 10.0
            while (source.edge() or 0.0) < 4.5 and time.monotonic() < deadline:
                time.sleep(0.05)
            # as Ctrl-C does: ffmpeg tears its session down (the relay keeps a killed publisher's mount)
            processes[0].send_signal(signal.SIGINT)
            processes[0].wait()
            time.sleep(2.0)
            processes.append(senders.push_rtsp_until_accepted(live_clip.video, server, 5, start=6))
            processes[-1].wait()
            time.sleep(options.stall + 1.0)
            source.stop("the test is over")

        threading.Thread(target=sender, daemon=True).start()
        items = _read(source)
        took = time.monotonic() - began
    finally:
        for process in processes:
            senders.stop(process)
        server.close()
    assert source.info.extra["format"] == "rtsp" and source.reconnects == 1, (source.ending, source.reason)
    gaps = [p for p in items if isinstance(p, StreamGap)]
    assert len(gaps) == 1 and source.gaps == gaps, gaps
    gap = gaps[0]
    frames = _frames(items)
    before = [f for f in frames if f.time < gap.time + 1e-6]
    after = [f for f in frames if f.time >= gap.end - 1e-6]
    assert len(before) + len(after) == len(frames)
    # the reader joins the restarted sender once the relay has it (the first ~1-2 s of it are gone)
    assert before[-1].time - before[0].time >= 2.5 and after[-1].time - after[0].time >= 1.5
    assert len(after) <= 2 * 5 + 1  # 5 s sent at 2 fps: nothing twice
    # the stop is seen as silence, or as the end when the relay had to be restarted for the new sender
    assert 1.5 <= gap.seconds <= 8.0 and ("no data" in gap.reason or "ended" in gap.reason), gap.reason
    # what was sent: the first rooms before the gap, the third room then the garden after it
    assert _scene_at(live_clip, before[0]) == 0 and _scene_at(live_clip, before[-1]) == 1
    assert _scene_at(live_clip, after[0]) == 2 and _scene_at(live_clip, after[-1]) == 3
    _check_order(items)
    assert source.ending == "stopped" and took < 30.0


def test_rtsp_relay_that_describes_a_dead_stream_is_lost_in_time(senders, live_clip):
    """Issue #27's "hang": a killed publisher leaves its stream on the relay, which describes it and
    sets it up but sends nothing. Each reconnect opens and gets no data: those are failed attempts,
    so reconnecting ends with ``reconnect_for`` instead of looping forever."""
    server = senders.RtspServer()
    processes = [senders.push_rtsp(live_clip.video, server.push_url, 12)]
    options = LiveOptions(stall=1.0, reconnect_for=4.0, backoff=0.2)
    killed = None
    try:
        source = _open_when_announced(server.url, options)
        guard = threading.Timer(40.0, source.stop, args=("the test's guard",))  # the old loop: never ends
        guard.start()
        with source:
            items = []
            for item in source.packets():
                items.append(item)
                if killed is None and isinstance(item, VideoFrame) and item.time >= 2.0:
                    processes[0].kill()  # no TEARDOWN: the relay keeps describing the stream
                    killed = time.monotonic()
        took = time.monotonic() - killed
        guard.cancel()
    finally:
        for process in processes:
            senders.stop(process)
        server.close()
    assert source.ending == "lost" and source.reconnects == 0, source.reason
    assert "connected, but no data came" in source.reason
    # the drop (stall), then attempts of at most an open (2 x stall + margin) and a stall each, until 4 s are spent
    assert took < options.stall + options.reconnect_for + 2 * (3 * options.stall + 2.0)
    assert _frames(items)[-1].time >= 2.0
    _check_order(items)


def test_a_read_that_hangs_is_a_drop_and_a_reconnect_that_hangs_a_failed_attempt(senders, live_clip, tmp_path):
    """A device whose reads block where FFmpeg's timeouts do not reach: MPEG-TS from a named pipe
    whose writer freezes (SIGSTOP) without closing it. The watchdog ends the read and the retry."""
    from streams.av_source import WATCHDOG_MARGIN

    fifo = tmp_path / "feed.ts"
    os.mkfifo(fifo)
    uri = f"device:mpegts:{fifo}"
    writer = senders.write_fifo(live_clip.video, fifo)
    options = LiveOptions(stall=1.0, reconnect_for=3.0, backoff=0.2)
    frozen = None
    try:
        source = open_source(uri, POLICY, live=options)
        with source:
            items = []
            for item in source.packets():
                items.append(item)
                if frozen is None and isinstance(item, VideoFrame) and item.time >= 2.0:
                    writer.send_signal(signal.SIGSTOP)
                    frozen = time.monotonic()
        took = time.monotonic() - frozen
    finally:
        writer.kill()  # the abandoned read and open return (end of file) and close what they held
        writer.wait()
    assert source.ending == "lost" and source.reconnects == 0
    assert "the read hung past 3 s" in source.reason and "the open hung past 4 s" in source.reason
    # the hung read (stall + margin), a backoff, one hung open (2 x stall + margin): then it gives up
    read_limit, open_limit = options.stall + WATCHDOG_MARGIN, 2 * options.stall + WATCHDOG_MARGIN
    assert read_limit + open_limit <= took < read_limit + open_limit + 3.0
    frames = _frames(items)
    assert frames[-1].time >= 2.0 and not [p for p in items if isinstance(p, StreamGap)]
    _check_order(items)
    deadline = time.monotonic() + 5.0
    while any(t.name.endswith(str(fifo)) for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [t.name for t in threading.enumerate() if t.name.endswith(str(fifo))]  # the abandoned threads ended


def test_hls_live_playlist_over_http_ends_when_the_playlist_does(senders, live_clip, tmp_path):
    writer = senders.write_hls(live_clip.video, tmp_path / "hls", start=5.0)
    server = senders.HttpServer(tmp_path / "hls")
    try:
        senders.wait_for_segments(tmp_path / "hls" / "live.m3u8", 2)
        source = open_source(server.url("live.m3u8"), POLICY, live=LiveOptions(stall=3.0, backoff=0.2))
        assert isinstance(source, LiveSource) and source.info.extra["format"] == "hls"
        items = _read(source)
    finally:
        senders.stop(writer)
        server.close()
    frames = _frames(items)
    _check_order(items)
    assert source.ending == "ended" and "finished recording" in source.reason
    # joined near the live edge of the 7 s sent, read to the end: the garden (last scene) is seen
    assert frames[-1].time - frames[0].time >= 3.0
    garden = np.array(live_clip.scenes[-1].wall, float)
    assert np.abs(frames[-1].image[:20].reshape(-1, 3).mean(axis=0) - garden).max() < 40


def test_a_webcam_like_device_is_read_at_its_own_pace():
    """FFmpeg's lavfi test source throttled to real time: a capture device without v4l2loopback."""
    import av

    if "lavfi" not in av.formats_available:
        pytest.skip("this FFmpeg build has no lavfi input device")
    source = open_source("device:lavfi:testsrc2=size=320x180:rate=25,realtime", SamplingPolicy(fps=2.0, frame_size=64),
                         live=LiveOptions(stall=2.0))
    assert isinstance(source, LiveSource) and source.info.kind == "device"
    began, seen = time.monotonic(), []
    with source:
        for item in source.packets():
            if isinstance(item, VideoFrame):
                seen.append((item.time, time.monotonic() - began))
                if item.time >= 2.5:
                    source.stop("enough")
    assert source.ending == "stopped"
    times = [t for t, _ in seen]
    assert times == sorted(times) and times[-1] >= 2.5
    # frames come as the device makes them (real time), not as fast as they can be decoded
    assert all(abs((wall - seen[0][1]) - (t - times[0])) < 0.8 for t, wall in seen)
