"""Real live senders on loopback for the live-stream tests: ffmpeg pushing MPEG-TS over UDP,
ffmpeg writing a live HLS playlist served over HTTP, and a short clip with known cuts."""

from __future__ import annotations

import functools
import http.server
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

FFMPEG = shutil.which("ffmpeg")
SCENE_SECONDS = 3.0  # each scene of the clip; cuts at 3, 6, 9 s
SCENES = 4
# encoded as a camera does it (no B-frames, a keyframe every 0.5 s); copying the MP4's own
# streams would carry its B-frame delay into the transport stream as a 1.4 s audio/video skew
LIVE_ENCODING = ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "12", "-c:a", "aac"]


def need_ffmpeg() -> str:
    if FFMPEG is None:
        pytest.skip("the ffmpeg CLI is not installed (apt-get install ffmpeg): the live senders need it")
    return FFMPEG


def make_clip(directory: Path):
    """12 s, 25 fps, 320x180 H.264 (GOP 0.5 s) + AAC: four rooms, hard cuts at 3, 6 and 9 s."""
    import dataclasses

    from mnemo.sample import SCENES as ROOMS
    from mnemo.sample import make_sample

    scenes = tuple(dataclasses.replace(s, seconds=SCENE_SECONDS) for s in ROOMS[:SCENES])
    return make_sample(directory, width=320, height=180, fps=25, scenes=scenes, gop=12, name="clip")


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def send_udp(video: Path, port: int, seconds: float | None = None, loop: bool = False,
             start: float = 0.0) -> subprocess.Popen:
    """ffmpeg sending ``video`` (from ``start`` s, for ``seconds``) in real time as MPEG-TS over UDP to ``port``."""
    args = [need_ffmpeg(), "-hide_banner", "-loglevel", "error", "-re"]
    if loop:
        args += ["-stream_loop", "-1"]
    if start:
        args += ["-ss", f"{start:g}"]
    args += ["-i", str(video)]
    if seconds is not None:
        args += ["-t", f"{seconds:g}"]
    args += [*LIVE_ENCODING, "-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"]
    return subprocess.Popen(args, stdin=subprocess.DEVNULL)


def write_hls(video: Path, directory: Path, start: float = 0.0) -> subprocess.Popen:
    """ffmpeg writing ``video`` (from ``start`` s) in real time as a live HLS playlist (1 s segments)."""
    directory.mkdir(parents=True, exist_ok=True)
    args = [need_ffmpeg(), "-hide_banner", "-loglevel", "error", "-re", "-ss", f"{start:g}", "-i", str(video),
            *LIVE_ENCODING,
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "0", str(directory / "live.m3u8")]
    return subprocess.Popen(args, stdin=subprocess.DEVNULL)


def wait_for_segments(playlist: Path, count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if playlist.exists() and playlist.read_text().count("#EXTINF") >= count:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{playlist} did not get {count} segments in {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def push_rtsp(video: Path, url: str, seconds: float, start: float = 0.0) -> subprocess.Popen:
    """ffmpeg pushing ``video`` (from ``start`` s, for ``seconds``) in real time to an RTSP server (ANNOUNCE/RECORD)."""
    args = [need_ffmpeg(), "-hide_banner", "-loglevel", "error", "-re", "-ss", f"{start:g}", "-i", str(video),
            "-t", f"{seconds:g}", *LIVE_ENCODING, "-f", "rtsp", url]
    return subprocess.Popen(args, stdin=subprocess.DEVNULL)


class RtspServer:
    """Debian's rtsp-server-perl relay on loopback: senders push to ``push_url``, readers play ``url``."""

    def __init__(self, name: str = "cam"):
        self._program = shutil.which("rtsp-server-perl")
        if self._program is None:
            pytest.skip("no RTSP server: apt-get install rtsp-server-perl")
        self.client_port, self.source_port = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM)
        self._rtp = free_port() & ~1
        self.url = f"rtsp://127.0.0.1:{self.client_port}/{name}"
        self.push_url = f"rtsp://127.0.0.1:{self.source_port}/{name}"
        self._start()

    def _start(self) -> None:
        # the relay resets its publishers' RTP ports to a fixed 20000 once it has no stream (a sender
        # that stopped): set that default too, or a restarted sender may collide with whatever holds
        # 20000-20003 (another relay on this machine)
        launcher = ("use RTSP::Server; $RTSP::Server::RTP_START_PORT = shift @ARGV; "
                    "my $program = shift @ARGV; do $program; die $@ if $@;")
        args = ["perl", "-e", launcher, str(self._rtp), self._program, "--clientport", str(self.client_port),
                "--serverport", str(self.source_port), "--rtp_start_port", str(self._rtp), "--loglevel", "1"]
        self._process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until it listens
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.source_port)) == 0:
                    return
            time.sleep(0.1)
        self.close()
        raise TimeoutError("rtsp-server-perl did not start listening in 10 s")

    def restart(self) -> None:
        """Stop the relay and start it again on the same ports (what an operator does to a stuck one)."""
        stop(self._process)
        self._start()

    def close(self) -> None:
        stop(self._process)


class HttpServer:
    """A threaded HTTP server for ``directory`` on loopback; ``url(name)`` addresses a file."""

    def __init__(self, directory: Path, port: int | None = None):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port or 0), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request lines on stderr
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()


def push_rtsp_until_accepted(video: Path, server: RtspServer, seconds: float, start: float = 0.0,
                             tries: int = 4) -> subprocess.Popen:
    """``push_rtsp`` to ``server``, restarting the relay when it refuses the sender.

    Now and then (about one run in ten here) the relay answers a restarted sender's RECORD with
    404 after accepting its ANNOUNCE, and keeps that stream: every later sender gets 403 and every
    reader a stream with no data. Only restarting the relay clears it.
    """
    for _ in range(tries):
        process = push_rtsp(video, server.push_url, seconds, start)
        try:
            process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return process  # still sending: accepted
        server.restart()
    raise RuntimeError(f"the RTSP relay refused {tries} senders in a row, even after restarts")


class SilentServer:
    """A TCP server on loopback that accepts connections, reads what comes and never answers
    (an RTSP camera that hangs after the handshake); ``close()`` drops every connection."""

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.accepted = threading.Event()
        self._connections: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, scheme: str = "rtsp") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/cam"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            self._connections.append(connection)
            self.accepted.set()
            threading.Thread(target=self._swallow, args=(connection,), daemon=True).start()

    @staticmethod
    def _swallow(connection: socket.socket) -> None:
        try:
            while connection.recv(4096):
                pass
        except OSError:
            pass

    def close(self) -> None:
        self._listener.close()
        for connection in self._connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()


def write_fifo(video: Path, fifo: Path, seconds: float | None = None) -> subprocess.Popen:
    """ffmpeg writing ``video`` in real time as MPEG-TS into the named pipe ``fifo`` (blocks until a reader opens it)."""
    args = [need_ffmpeg(), "-hide_banner", "-loglevel", "error", "-re", "-i", str(video)]
    if seconds is not None:
        args += ["-t", f"{seconds:g}"]
    args += [*LIVE_ENCODING, "-f", "mpegts", "-y", str(fifo)]
    return subprocess.Popen(args, stdin=subprocess.DEVNULL)


def wait_until_announced(url: str, timeout: float = 10.0) -> None:
    """Until the RTSP server at ``url`` describes the stream (200 to DESCRIBE): a sender has announced it."""
    host, port = url.split("://", 1)[1].split("/", 1)[0].split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.create_connection((host, int(port)), timeout=2.0) as s:
            s.sendall(f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n".encode())
            if s.recv(64).startswith(b"RTSP/1.0 200"):
                return
        time.sleep(0.2)
    raise TimeoutError(f"{url} was not announced in {timeout} s")
