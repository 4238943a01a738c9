"""The service as a user meets it: a real ``mnemo serve`` process on loopback, driven with httpx."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.mnemo.service.conftest import REPO, TOKEN, wait_job

# where the sample's lines are said (mnemo/sample.py: scene lengths 6, 7, 5, 6, 6, 5 s)
KEYS_AT = (6.0, 13.0)  # "In the living room Alice left her keys on the sofa."


@pytest.fixture
def long_spans(server, videos) -> list[tuple[float, float]]:
    """Event spans of an uninterrupted ingest of the long video (memory "long", made by the test
    of questions during an ingest, or here when that test did not run)."""
    with server.client() as c:
        if c.put("/v1/memories/long").status_code == 201:
            wait_job(c, c.post("/v1/memories/long/videos", json={"path": str(videos["long"].video)}).json()["job"])
        return [(e["start"], e["end"]) for e in c.get("/v1/memories/long/events").json()]


def upload(client: httpx.Client, memory: str, video, subtitles=None) -> str:
    files = {"file": (video.name, video.read_bytes(), "video/mp4")}
    if subtitles is not None:
        files["subtitles"] = (subtitles.name, subtitles.read_bytes(), "text/plain")
    response = client.post(f"/v1/memories/{memory}/videos", files=files)
    assert response.status_code == 202, response.text
    return response.json()["job"]


def sse_states(client: httpx.Client, job: str) -> list[dict]:
    """Every job state the server pushes until the job finishes."""
    seen = []
    with client.stream("GET", f"/v1/jobs/{job}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
    return seen


def test_upload_progress_then_ask_with_evidence_and_media(server, videos):
    with server.client() as c:
        assert c.put("/v1/memories/home").status_code == 201
        assert c.put("/v1/memories/home").status_code == 200  # idempotent
        short = videos["short"]
        job = upload(c, "home", short.video, short.subtitles)
        states = sse_states(c, job)
        assert states[-1]["state"] == "done", states[-1]
        assert "source" not in states[-1]  # no server paths in answers
        progress = [s["progress"] for s in states]
        assert progress == sorted(progress) and progress[-1] == 1.0
        assert states[-1]["result"]["events"] == 6  # one event per room: the sample's cuts

        answer = c.post("/v1/memories/home/ask", json={"question": "Where did Alice leave her keys?"}).json()
        assert "sofa" in answer["answer"] and answer["kind"] == "text"
        first = answer["evidence"][0]
        assert (first["start"], first["end"]) == KEYS_AT
        keyframe = c.get(first["keyframe"])
        assert keyframe.status_code == 200 and keyframe.content[:2] == b"\xff\xd8"  # a JPEG

        # the media, whole and by range, byte for byte the uploaded file
        data = short.video.read_bytes()
        whole = c.get(first["media"])
        assert whole.status_code == 200 and whole.content == data
        assert whole.headers["content-type"] == "video/mp4" and whole.headers["accept-ranges"] == "bytes"
        part = c.get(first["media"], headers={"Range": "bytes=100-1099"})
        assert part.status_code == 206 and part.content == data[100:1100]
        assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
        tail = c.get(first["media"], headers={"Range": "bytes=-500"})
        assert tail.status_code == 206 and tail.content == data[-500:]
        beyond = c.get(first["media"], headers={"Range": f"bytes={len(data) + 10}-"})
        assert beyond.status_code == 416

        events = c.get("/v1/memories/home/events").json()
        assert [(e["start"], e["end"]) for e in events][1] == KEYS_AT
        hits = c.get("/v1/memories/home/search", params={"q": "watering the tomato plants", "k": 2}).json()
        assert hits[0]["text"].startswith("Out in the garden")
        lines = [u for u in c.get("/v1/memories/home/transcript").json() if u["text"]]
        assert len(lines) == 6 and lines[1]["text"].startswith("In the living room")
        image = c.get(events[3]["keyframe"]).content  # the garden's keyframe finds the garden
        found = c.post("/v1/memories/home/search/image", files={"file": ("q.jpg", image, "image/jpeg")}).json()
        assert found[0]["id"] == events[3]["id"]
        for path in ("episodes", "places", "graph", "entities", "streams"):
            assert c.get(f"/v1/memories/home/{path}").status_code == 200, path
        listed = {m["name"]: m for m in c.get("/v1/memories").json()}
        assert listed["home"]["events"] == 6 and listed["home"]["streams"] == 1


def test_questions_during_an_ingest_see_new_events(server, videos):
    with server.client() as c:
        c.put("/v1/memories/long")
        job = c.post("/v1/memories/long/videos", json={"path": str(videos["long"].video)}).json()["job"]
        counts, latencies = [], []
        state = {"state": "queued"}
        while state["state"] in ("queued", "running"):
            t0 = time.perf_counter()
            answer = c.post("/v1/memories/long/ask", json={"question": "what is Bob watering?"})
            latencies.append(time.perf_counter() - t0)
            assert answer.status_code == 200, answer.text
            state = c.get(f"/v1/jobs/{job}").json()
            if state["state"] == "running":
                counts.append(len(c.get("/v1/memories/long/events").json()))
            time.sleep(0.1)
        assert state["state"] == "done", state
        growing = [n for n in counts if n > 0]
        assert len(set(growing)) >= 3, counts  # readers saw events arrive while the ingest ran
        assert len(c.get("/v1/memories/long/events").json()) >= 20  # 24 rooms (a kitchen follows a kitchen)
        assert sorted(latencies)[len(latencies) // 2] < 1.0


def test_cancel_keeps_what_was_stored_and_adding_again_resumes(server, videos, long_spans):
    """Oracle: the events of an ingest cancelled and resumed are those of one uninterrupted run."""
    with server.client() as c:
        c.put("/v1/memories/cut")
        body = {"path": str(videos["long"].video)}
        job = c.post("/v1/memories/cut/videos", json=body).json()["job"]
        deadline = time.monotonic() + 60
        while c.get(f"/v1/jobs/{job}").json()["progress"] < 0.2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert c.delete(f"/v1/jobs/{job}").status_code == 200
        cancelled = wait_job(c, job)
        assert cancelled["state"] == "cancelled", cancelled
        kept = c.get("/v1/memories/cut/events").json()
        again = wait_job(c, c.post("/v1/memories/cut/videos", json=body).json()["job"])
        assert again["state"] == "done" and again["result"]["resumed_from"] > 0
        spans = [(e["start"], e["end"]) for e in c.get("/v1/memories/cut/events").json()]
        assert 0 < len(kept) < len(long_spans) and spans == long_spans


def test_auth_is_required_and_constant(server):
    with httpx.Client(base_url=server.url) as anonymous:
        assert anonymous.get("/v1/health").status_code == 200  # public
        assert anonymous.get("/").status_code == 200  # the page holds no data
        for method, path in (("GET", "/v1/memories"), ("GET", "/openapi.json"), ("PUT", "/v1/memories/x"),
                             ("GET", "/v1/jobs"), ("POST", "/v1/memories/home/ask")):
            response = anonymous.request(method, path)
            assert response.status_code == 401 and "bearer" in response.json()["error"]["message"], path
        wrong = anonymous.get("/v1/memories", headers={"Authorization": "Bearer " + TOKEN[:-1] + "x"})
        assert wrong.status_code == 401
        assert anonymous.get("/v1/memories", headers={"Authorization": TOKEN}).status_code == 401  # no scheme
        # the page's session: the token for an HttpOnly cookie, which media elements then carry
        session = anonymous.post("/v1/session", headers={"Authorization": f"Bearer {TOKEN}"})
        assert "httponly" in session.headers["set-cookie"].lower()
        assert anonymous.get("/v1/memories").status_code == 200  # the cookie jar now holds it
    with server.client() as c:
        assert c.get("/openapi.json").json()["openapi"].startswith("3.")


def test_without_a_token_only_loopback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("MNEMO_TOKEN", None)
    refused = subprocess.run([sys.executable, "-m", "mnemo", "serve", "--root", str(tmp_path), "--host", "0.0.0.0"],
                             env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "refusing to serve without a token" in refused.stderr


def test_without_a_token_on_loopback_the_api_is_open(tmp_path):
    from fastapi.testclient import TestClient

    from mnemo.service import ServiceOptions, create_app

    app = create_app(ServiceOptions(root=tmp_path, token=None), background=False)
    with TestClient(app) as c:
        assert c.get("/v1/health").json()["auth"] is False
        assert c.put("/v1/memories/open").status_code == 201
        assert [m["name"] for m in c.get("/v1/memories").json()] == ["open"]


def test_an_ingest_resumes_after_a_server_restart(server, videos, long_spans):
    """Stopped mid-ingest, the server finds the job when it starts again and finishes it."""
    with server.client() as c:
        c.put("/v1/memories/restart")
        job = c.post("/v1/memories/restart/videos", json={"path": str(videos["long"].video)}).json()["job"]
        wait_job(c, job, until=("running",))
        deadline = time.monotonic() + 60
        while c.get(f"/v1/jobs/{job}").json()["progress"] < 0.2 and time.monotonic() < deadline:
            time.sleep(0.1)
    server.stop()
    record = json.loads((server.root / ".mnemo-service" / "jobs" / f"{job}.json").read_text())
    server.restart()  # first: the module's other tests share this server
    assert record["state"] == "running", record  # interrupted, not failed or cancelled
    with server.client() as c:
        done = wait_job(c, job)
        assert done["state"] == "done" and done["runs"] == 2 and done["result"]["resumed_from"] > 0, done
        spans = [(e["start"], e["end"]) for e in c.get("/v1/memories/restart/events").json()]
        assert spans == long_spans


def test_paths_are_confined_to_the_root(server, videos, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (server.root / "escape").symlink_to(outside)  # a symlinked memory folder leading out
    with server.client() as c:
        c.put("/v1/memories/paths")
        for name in ("..", ".hidden", "a%2Fb", "%2E%2E", "x" * 65):
            response = c.put(f"/v1/memories/{name}")
            assert response.status_code in (400, 404, 422), (name, response.status_code)
            assert "message" in response.json()["error"]
        assert c.put("/v1/memories/escape").status_code == 403
        assert not any(outside.iterdir())
        assert c.get("/v1/memories/..%2F..%2Fetc/events").status_code in (400, 404, 422)
        c.put("/v1/memories/paths")
        for file in ("..%2Fmemory.db", "memory.db", "%2E%2E", "x.jpg%00"):
            assert c.get(f"/v1/memories/paths/keyframes/{file}").status_code in (400, 404), file
        link = videos["folder"] / "link-out.mp4"  # inside the media root, pointing out of it
        if not link.exists():
            link.symlink_to("/etc/hostname")
        for path in ("/etc/hostname", str(link), str(videos["folder"]) + "/../../etc/hostname", "relative.mp4"):
            response = c.post("/v1/memories/paths/videos", json={"path": path})
            assert response.status_code in (400, 403), (path, response.text)


def test_limits_and_bad_input_are_json_errors(server, videos):
    with server.client() as c:
        c.put("/v1/memories/limits")
        long_question = c.post("/v1/memories/limits/ask", json={"question": "why " * 300})
        assert long_question.status_code == 413
        assert c.get("/v1/memories/limits/search", params={"q": "x", "k": 10_000}).status_code == 422
        assert c.post("/v1/memories/limits/ask", json={"question": "   "}).status_code == 422
        assert c.post("/v1/memories/limits/ask", json={"nope": 1}).status_code == 422
        assert c.post("/v1/memories/nowhere/ask", json={"question": "where?"}).status_code == 404
        too_big = c.post("/v1/memories/limits/videos", files={"file": ("big.mp4", os.urandom(6 * 2**20))})
        assert too_big.status_code == 413, too_big.text
        fake = c.post("/v1/memories/limits/videos", files={"file": ("video.mp4", b"not a video at all" * 100)})
        assert fake.status_code == 415, fake.text  # judged by content, not by name
        assert c.post("/v1/memories/limits/videos", content=b"{", headers={"content-type": "application/json"}
                      ).status_code == 400
        assert c.post("/v1/memories/limits/videos", content=b"x", headers={"content-type": "text/plain"}
                      ).status_code == 415
        assert not list((server.root / "limits" / "media").glob("*"))  # nothing rejected was kept
        assert c.get("/v1/jobs/nope").status_code == 404
        missing = c.get("/v1/memories/limits/entities/entity:99")
        assert missing.status_code == 404 and missing.json()["error"]["message"]
        assert c.get("/v1/no/such/route").json()["error"]["status"] == 404


def test_entities_rename_merge_forget(server):
    from memory.entities import EntityRegistry
    from memory.store import MemoryStore

    with server.client() as c:
        c.put("/v1/memories/people")
        with MemoryStore(server.root / "people", create=False) as store:  # what an ingest's voices would add
            registry = EntityRegistry(store)
            a, b = registry.entity_for("voice:1", "voice"), registry.entity_for("voice:2", "voice")
        listed = c.get("/v1/memories/people/entities").json()
        assert [e["id"] for e in listed] == [a, b] and all(e["name"] is None for e in listed)
        named = c.post(f"/v1/memories/people/entities/entity:{a}/name", json={"name": "  Zebediah  Smith "}).json()
        assert named["name"] == "Zebediah Smith"
        merged = c.post("/v1/memories/people/entities/merge", json={"keep": f"entity:{a}", "merge": f"entity:{b}"})
        assert merged.status_code == 200 and merged.json()["id"] == a
        assert [e["id"] for e in c.get("/v1/memories/people/entities").json()] == [a]
        forgotten = c.post(f"/v1/memories/people/entities/entity:{a}/forget").json()
        assert forgotten["forgotten"] and forgotten["names"] == ["Zebediah Smith"]
        after = c.get(f"/v1/memories/people/entities/entity:{a}").json()
        assert after["forgotten"] and after["name"] is None
        raw = b"".join(p.read_bytes() for p in (server.root / "people").glob("memory.db*"))
        assert b"Zebediah" not in raw
        again = c.post(f"/v1/memories/people/entities/entity:{a}/name", json={"name": "Zeb"})
        assert again.status_code == 409 and again.json()["error"]["message"]


def test_cors_is_closed_by_default(server):
    with server.client() as c:
        response = c.get("/v1/memories", headers={"Origin": "https://elsewhere.example"})
        assert response.status_code == 200 and "access-control-allow-origin" not in response.headers
        preflight = c.options("/v1/memories", headers={"Origin": "https://elsewhere.example",
                                                       "Access-Control-Request-Method": "DELETE"})
        assert "access-control-allow-origin" not in preflight.headers
