"""A real ``mnemo serve`` process on loopback, and small videos with known content for it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]
TOKEN = "test-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m mnemo serve`` in a child process; stop() ends it the way Ctrl-C would."""

    def __init__(self, root: Path, *args: str, token: str | None = TOKEN, port: int | None = None):
        self.root = root
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = token
        env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        env.pop("MNEMO_TOKEN", None)
        if token:
            env["MNEMO_TOKEN"] = token
        self.log = root.parent / f"server-{self.port}.log"
        self._command = [sys.executable, "-m", "mnemo", "serve", "--root", str(root), "--port", str(self.port), *args]
        self._env = env
        self.proc = self._start()

    def _start(self) -> subprocess.Popen:
        self.proc = subprocess.Popen(self._command, env=self._env, cwd=REPO, stdout=self.log.open("a"),
                                     stderr=subprocess.STDOUT)
        self._wait_up()
        return self.proc

    def restart(self) -> None:
        """Stop the server as Ctrl-C would and start it again on the same root and port."""
        self.stop()
        self._start()

    def kill_and_restart(self) -> int:
        """``kill -9`` the server (no handler runs: its worker is left to notice), then start it again
        on the same root and port; the pid of the killed server."""
        killed = self.proc.pid
        self.proc.kill()
        self.proc.wait()
        self._start()
        return killed

    def _wait_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mnemo serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"mnemo serve did not come up: {self.log.read_text()[-2000:]}")

    def client(self, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kwargs)

    stop_timeout = 30.0  # seconds the server gets to stop clean after SIGINT before it is killed

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def videos(tmp_path_factory):
    """A short sample (35 s, 6 rooms, subtitles) and a long one (the rooms 4 times over: 2 min 20 s)."""
    from mnemo.sample import SCENES, make_sample

    folder = tmp_path_factory.mktemp("media")
    short = make_sample(folder, width=320, height=180, fps=10, name="short")
    long = make_sample(folder, width=320, height=180, fps=10, scenes=SCENES * 4, name="long")
    return {"short": short, "long": long, "folder": folder}


@pytest.fixture(scope="module")
def server(tmp_path_factory, videos):
    """A server with a token, media root = the videos' folder, a 5 MB upload limit."""
    root = tmp_path_factory.mktemp("service") / "root"
    root.mkdir()
    srv = Server(root, "--media-root", str(videos["folder"]), "--max-upload-mb", "5")
    yield srv
    srv.stop()


def wait_job(client: httpx.Client, job: str, timeout: float = 90.0, until=("done", "failed", "cancelled")) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/v1/jobs/{job}").json()
        if state["state"] in until:
            return state
        time.sleep(0.2)
    raise AssertionError(f"job {job} still {state['state']} after {timeout} s")
