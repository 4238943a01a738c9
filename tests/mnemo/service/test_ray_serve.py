"""``mnemo serve --ray``: a real server process on a local Ray, its ingest on a Ray actor."""

from __future__ import annotations

import os
import secrets
import signal
import time
from pathlib import Path

import httpx
import pytest

pytest.importorskip("ray.serve", reason="ray[serve] is not installed: pip install 'ray[default,serve]'")

from tests.mnemo.service.conftest import TOKEN, Server, wait_job  # noqa: E402
from tests.mnemo.service.test_server import KEYS_AT, sse_states, upload  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.slow]
MARK = "MNEMO_RAY_SERVE_TEST"  # set in the server's environment: every process it starts inherits it


class RayServer(Server):
    """A ``Server`` that gives Ray (and Serve, and the replica's models) longer to come up and to shut down: on
    a loaded 2-core machine Serve's shutdown once took over 30 s, and the test killed a server stopping clean."""

    stop_timeout = 120.0

    def _wait_up(self, timeout: float = 120.0) -> None:
        super()._wait_up(timeout)


def marked(mark: str) -> dict[int, str]:
    """pid -> command line of the live processes whose environment carries ``MARK=mark``."""
    found = {}
    needle = f"{MARK}={mark}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if needle in (proc / "environ").read_bytes().split(b"\0"):
                found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone, or not ours
            continue
    return found


def test_serve_under_ray_ingests_on_an_actor_cancels_and_stops_clean(tmp_path, videos, monkeypatch):
    mark = secrets.token_hex(6)
    monkeypatch.setenv(MARK, mark)
    root = tmp_path / "root"
    root.mkdir()
    server = RayServer(root, "--ray", "--media-root", str(videos["folder"]))
    try:
        assert httpx.get(f"{server.url}/v1/health").json() == {"ok": True, "version": "1", "auth": True}
        assert httpx.get(f"{server.url}/v1/memories").status_code == 401  # the same auth in front
        wrong = {"Authorization": "Bearer " + "x" * len(TOKEN)}
        assert httpx.get(f"{server.url}/v1/memories", headers=wrong).status_code == 401
        with server.client() as c:
            assert c.put("/v1/memories/home").status_code == 201
            refused = c.post("/v1/memories/home/videos", json={"path": "/etc/hostname"})  # outside the media root
            assert refused.status_code in (400, 403), refused.text

            short = videos["short"]
            job = upload(c, "home", short.video, short.subtitles)
            states = sse_states(c, job)  # server-sent events through Serve's proxy
            assert states[-1]["state"] == "done", states[-1]
            progress = [s["progress"] for s in states]
            assert progress == sorted(progress) and progress[-1] == 1.0
            assert states[-1]["result"]["events"] == 6  # one per room: the sample's cuts

            processes = marked(mark).values()
            assert any("IngestActor" in p for p in processes), processes  # it ran on the actor ...
            assert not any("mnemo.service.worker" in p for p in processes), processes  # ... not a local worker

            events = c.get("/v1/memories/home/events").json()
            assert len(events) == 6 and all(e["end"] > e["start"] for e in events)
            answer = c.post("/v1/memories/home/ask", json={"question": "Where did Alice leave her keys?"}).json()
            assert "sofa" in answer["answer"]
            assert (answer["evidence"][0]["start"], answer["evidence"][0]["end"]) == KEYS_AT

            job = c.post("/v1/memories/home/videos", json={"path": str(videos["long"].video)}).json()["job"]
            while (state := c.get(f"/v1/jobs/{job}").json())["progress"] < 0.05:  # under way on the actor
                assert state["state"] in ("queued", "running"), state
                time.sleep(0.2)
            assert c.delete(f"/v1/jobs/{job}").status_code == 200
            cancelled = wait_job(c, job, timeout=30)  # a method call on the actor, not a signal
            assert cancelled["state"] == "cancelled" and cancelled["media_done"] < cancelled["media_total"]
    finally:
        server.stop()
    assert server.proc.returncode == 0, server.log.read_text()[-3000:]
    deadline = time.monotonic() + 15
    while marked(mark) and time.monotonic() < deadline:  # Ray's processes end just after the driver
        time.sleep(0.5)
    leftovers = marked(mark)
    for pid in leftovers:  # do not leave them to the next test, then fail
        os.kill(pid, signal.SIGKILL)
    assert not leftovers, leftovers  # Ray shut down: nothing left behind
