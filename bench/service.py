"""The HTTP service under load: questions per second and p50/p99 latency with concurrent clients on
loopback while an ingest runs, and how much those questions slow the ingest.

    python bench/service.py [--clients 10] [--minutes 6] [--out out/bench]

Starts ``mnemo serve`` (with a token) in a child process, makes a sample video of --minutes (the
rooms of mnemo/sample.py over and over, 640x360, 25 fps), then measures, each through the API:
  0. a short ingest and a question to each memory first, so that loading models is not timed,
  1. the ingest alone (wall time from the job record),
  2. questions alone: --clients closed-loop clients asking a memory that holds the video,
  3. the ingest again into a new memory while the clients ask *that* memory questions,
  4. the ingest alone once more (the baseline is the mean of 1 and 4: the machine is shared).
The built-in answerer answers; questions are paraphrases of lines said in the video.

It prints (and writes to --out/service.json) q/s, p50 and p99 of each phase, the ingest's slowdown
(its wall time with questions over the mean of 1 and 4), the server's CPU time per question (the
server process only: a figure the machine's other load moves far less than latency) and the load
average of the machine at each phase's end (``os.getloadavg``: on a shared machine, read latencies
beside it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.mnemo.service.conftest import Server  # noqa: E402  (a real server process, as the tests use)

QUESTIONS = ("Where did Alice leave her keys?", "What is Bob watering?", "Which lamp is broken?",
             "What is next to the kettle?", "What does the garage hold?", "Who is making coffee?")


def make_video(folder: Path, minutes: float) -> Path:
    from mnemo.sample import SCENES, make_sample

    repeats = max(1, round(minutes * 60 / sum(s.seconds for s in SCENES)))
    return make_sample(folder, width=640, height=360, fps=25, scenes=SCENES * repeats, name="bench").video


def make_sample_short(folder: Path) -> Path:
    from mnemo.sample import make_sample

    return make_sample(folder, width=320, height=180, fps=10, name="warm").video


def ingest(client: httpx.Client, memory: str, video: Path) -> str:
    client.put(f"/v1/memories/{memory}").raise_for_status()
    response = client.post(f"/v1/memories/{memory}/videos", json={"path": str(video)})
    response.raise_for_status()
    return response.json()["job"]


def wait(client: httpx.Client, job: str) -> dict:
    while True:
        state = client.get(f"/v1/jobs/{job}").json()
        if state["state"] in ("done", "failed", "cancelled"):
            if state["state"] != "done":
                raise RuntimeError(f"job {job}: {state['state']} ({state['error']})")
            return state
        time.sleep(0.2)


def ingest_seconds(state: dict) -> float:
    return state["finished"] - state["started"]


async def ask_loop(server: Server, memory: str, clients: int, running, repeat: bool = False) -> list[float]:
    """Closed-loop clients asking until ``running()`` turns false; every latency in seconds."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {server.token}"}

    async def one(index: int) -> None:
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as client:
            i = index
            while running():
                t0 = time.perf_counter()
                question = QUESTIONS[i % len(QUESTIONS)]
                if not repeat:  # a text never asked before: its embedding is computed, not cached
                    question = f"{question[:-1]}, by client {index}, question {i}?"
                response = await client.post(f"/v1/memories/{memory}/ask", json={"question": question})
                latencies.append(time.perf_counter() - t0)
                response.raise_for_status()
                i += 1

    await asyncio.gather(*(one(i) for i in range(clients)))
    return latencies


def summary(latencies: list[float], seconds: float) -> dict:
    ordered = sorted(latencies)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"questions": len(ordered), "seconds": round(seconds, 2), "qps": round(len(ordered) / seconds, 1),
            "p50_ms": round(pick(0.50), 1), "p99_ms": round(pick(0.99), 1),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 1)}


def server_cpu_s(server: Server) -> float:
    """CPU seconds (user + system) the server process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_questions(server: Server, memory: str, args, running) -> dict:
    """Closed-loop clients asking until ``running()`` turns false: latency summary, server CPU, load."""
    cpu0, t0 = server_cpu_s(server), time.perf_counter()
    latencies = asyncio.run(ask_loop(server, memory, args.clients, running, args.repeat))
    seconds, cpu = time.perf_counter() - t0, server_cpu_s(server) - cpu0
    return {**summary(latencies, seconds), "server_cpu_ms_per_question": round(cpu / max(len(latencies), 1) * 1000, 2),
            "load_average": [round(x, 1) for x in os.getloadavg()]}


def run(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="mnemo-bench-service-") as tmp:
        tmp_path = Path(tmp)
        media, root = tmp_path / "media", tmp_path / "root"
        root.mkdir()
        video = make_video(media, args.minutes)
        load_start = [round(x, 1) for x in os.getloadavg()]
        server = Server(root, "--media-root", str(media))
        try:
            with server.client() as c:
                warm = make_sample_short(media)
                wait(c, ingest(c, "warm", warm))  # the worker's models are loaded before anything is timed
                alone1 = wait(c, ingest(c, "alone1", video))
                c.post("/v1/memories/alone1/ask", json={"question": QUESTIONS[0]}).raise_for_status()  # opens it
                # questions alone, against a memory holding the whole video
                stop = time.monotonic() + args.query_seconds
                quiet = timed_questions(server, "alone1", args, lambda: time.monotonic() < stop)
                # questions while the same video is ingested into a new memory (asked of that memory)
                c.put("/v1/memories/loaded").raise_for_status()
                c.post("/v1/memories/loaded/ask", json={"question": QUESTIONS[0]}).raise_for_status()  # opens it
                job = ingest(c, "loaded", video)
                while c.get(f"/v1/jobs/{job}").json()["state"] == "queued":
                    time.sleep(0.05)
                running = lambda: c.get(f"/v1/jobs/{job}").json()["state"] == "running"  # noqa: E731
                flag = {"on": True}

                def watch() -> bool:
                    if flag["on"] and time.monotonic() - watch.last > 0.5:
                        watch.last = time.monotonic()
                        flag["on"] = running()
                    return flag["on"]

                watch.last = 0.0
                loaded = timed_questions(server, "loaded", args, watch)
                loaded_job = wait(c, job)
                alone2 = wait(c, ingest(c, "alone2", video))
        finally:
            server.stop()
    baseline = statistics.fmean([ingest_seconds(alone1), ingest_seconds(alone2)])
    return {
        "clients": args.clients, "repeated_questions": args.repeat, "video_minutes": round(loaded_job["media_total"] / 60, 2),
        "cpu_count": os.cpu_count(), "load_average_at_start": load_start,
        "ingest_alone_s": [round(ingest_seconds(alone1), 2), round(ingest_seconds(alone2), 2)],
        "ingest_with_questions_s": round(ingest_seconds(loaded_job), 2),
        "ingest_slowdown": round(ingest_seconds(loaded_job) / baseline - 1, 3),
        "questions_alone": quiet,
        "questions_during_ingest": loaded,
        "events": loaded_job["result"]["events"],
    }


def headline(result: dict) -> str:
    """One line: the figures the issue's targets name (p99 <= 100 ms during an ingest; slowdown <= 20%)."""
    q, a = result["questions_during_ingest"], result["questions_alone"]
    return (f"during ingest: {q['qps']} q/s, p50 {q['p50_ms']} ms, p99 {q['p99_ms']} ms, "
            f"{q['server_cpu_ms_per_question']} ms server CPU/question | alone: {a['qps']} q/s, p50 {a['p50_ms']} ms, "
            f"p99 {a['p99_ms']} ms | ingest {result['ingest_with_questions_s']} s vs {result['ingest_alone_s']} s alone: "
            f"slowdown {result['ingest_slowdown']:+.1%} | load average {result['load_average_at_start']} -> "
            f"{q['load_average']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--minutes", type=float, default=6.0, help="Length of the ingested video.")
    parser.add_argument("--query-seconds", type=float, default=15.0, help="How long questions alone are asked.")
    parser.add_argument("--repeat", action="store_true", help="Ask the same six questions over and over "
                        "(their embeddings are then cached) instead of a new text each time.")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench")
    args = parser.parse_args()
    result = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "service.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    print(headline(result))


if __name__ == "__main__":
    main()
