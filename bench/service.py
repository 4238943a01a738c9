"""The HTTP service under load: latency of built-in answers with concurrent clients on loopback while an
ingest runs, the most questions per second it serves, and how much the questions slow the ingest.

    python bench/service.py [--clients 10] [--think-s 1.0] [--minutes 3] [--load both|interactive|closed]

Two load models, each reported under its own name (never one for the other):

* **interactive** (the targets' load: p99 <= 100 ms, ingest slowed <= 20%): --clients users who each ask,
  read the answer and ask again. A client's think time between an answer and its next question is drawn
  from an exponential distribution of mean --think-s (seeded per client), so questions arrive roughly as
  a Poisson stream of at most clients / think-s questions a second (10 q/s by default: the offered rate,
  printed). Latency then measures the service, and the slowdown what such users cost the ingest.
* **closed loop** (saturation: the most the server answers): --clients clients with no think time, each
  asking again the moment its answer arrives. They keep --clients questions in flight whatever a question
  costs, so the server's cores are always busy: its q/s is the service's maximum throughput, its latency
  is clients / throughput (Little's law), and the ingest's slowdown measures the bench's demand (2 cores
  shared with a saturating load), not a user's.

Starts ``mnemo serve`` (with a token) in a child process, makes a sample video of --minutes (the rooms of
mnemo/sample.py over and over, 640x360, 25 fps), then measures, each through the API:
  0. a short ingest and a question to each memory first, so that loading models is not timed,
  1. the ingest alone (wall time from the job record),
  2. per load model: its questions alone (--query-seconds) against a memory that holds the video, then
     the same video ingested into a new memory while the clients ask *that* memory,
  3. the ingest alone again after each load model. A loaded ingest's baseline is the mean of the two
     ingests alone on either side of it (the machine is shared: its speed drifts).
The built-in answerer answers; questions are paraphrases of lines said in the video, each text new (its
embedding is computed, not cached) unless --repeat.

It prints (and writes to --out/service.json) per phase: q/s, p50, p99, the server's CPU time per question
(the server process only: a figure the machine's other load moves far less than latency) and the load
average of the machine at the phase's end (``os.getloadavg``: on a shared machine, read every latency
beside it); per load model the ingest's slowdown (its wall time with questions over its baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
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
LOADS = {"both": ("interactive", "closed"), "interactive": ("interactive",), "closed": ("closed",)}


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


def load_average() -> list[float]:
    return [round(x, 1) for x in os.getloadavg()]


async def ask_loop(server: Server, memory: str, args, running, think_s: float) -> list[float]:
    """--clients clients asking until ``running()`` turns false, each waiting an exponential think time of
    mean ``think_s`` (0: none, a closed loop) before each question; every latency in seconds."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {server.token}"}

    async def one(index: int) -> None:
        rng = random.Random(1000 + index)
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as client:
            i = index
            while running():
                if think_s > 0:
                    await asyncio.sleep(rng.expovariate(1.0 / think_s))
                    if not running():
                        break
                question = QUESTIONS[i % len(QUESTIONS)]
                if not args.repeat:  # a text never asked before: its embedding is computed, not cached
                    question = f"{question[:-1]}, by client {index}, question {i}?"
                t0 = time.perf_counter()
                response = await client.post(f"/v1/memories/{memory}/ask", json={"question": question})
                latencies.append(time.perf_counter() - t0)
                response.raise_for_status()
                i += 1

    await asyncio.gather(*(one(i) for i in range(args.clients)))
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


def timed_questions(server: Server, memory: str, args, running, think_s: float) -> dict:
    """Clients asking until ``running()`` turns false: latency summary, server CPU per question, load."""
    cpu0, t0 = server_cpu_s(server), time.perf_counter()
    latencies = asyncio.run(ask_loop(server, memory, args, running, think_s))
    seconds, cpu = time.perf_counter() - t0, server_cpu_s(server) - cpu0
    return {**summary(latencies, seconds), "server_cpu_ms_per_question": round(cpu / max(len(latencies), 1) * 1000, 2),
            "load_average": load_average()}


def alone(c: httpx.Client, memory: str, video: Path) -> dict:
    """An ingest with no questions: its wall time and the load average at its end."""
    state = wait(c, ingest(c, memory, video))
    return {"seconds": round(ingest_seconds(state), 2), "load_average": load_average()}


def loaded(server: Server, c: httpx.Client, name: str, video: Path, args, think_s: float) -> dict:
    """Questions alone against a memory holding the video, then questions to a new memory while the same
    video is ingested into it."""
    stop = time.monotonic() + args.query_seconds
    quiet = timed_questions(server, "full", args, lambda: time.monotonic() < stop, think_s)
    c.put(f"/v1/memories/{name}").raise_for_status()
    c.post(f"/v1/memories/{name}/ask", json={"question": QUESTIONS[0]}).raise_for_status()  # opens it
    job = ingest(c, name, video)
    while c.get(f"/v1/jobs/{job}").json()["state"] == "queued":
        time.sleep(0.05)
    flag = {"on": True, "last": 0.0}

    def running() -> bool:  # the job's state, looked up at most twice a second
        if flag["on"] and time.monotonic() - flag["last"] > 0.5:
            flag["last"] = time.monotonic()
            flag["on"] = c.get(f"/v1/jobs/{job}").json()["state"] == "running"
        return flag["on"]

    during = timed_questions(server, name, args, running, think_s)
    state = wait(c, job)
    return {"questions_alone": quiet, "questions_during_ingest": during,
            "ingest_s": round(ingest_seconds(state), 2), "events": state["result"]["events"],
            "video_minutes": round(state["media_total"] / 60, 2)}


def run(args) -> dict:
    loads = LOADS[args.load]
    with tempfile.TemporaryDirectory(prefix="mnemo-bench-service-") as tmp:
        tmp_path = Path(tmp)
        media, root = tmp_path / "media", tmp_path / "root"
        root.mkdir()
        video = make_video(media, args.minutes)
        load_start = load_average()
        server = Server(root, "--media-root", str(media))
        try:
            with server.client() as c:
                wait(c, ingest(c, "warm", make_sample_short(media)))  # the worker's models load before timing
                ingests = [alone(c, "full", video)]
                c.post("/v1/memories/full/ask", json={"question": QUESTIONS[0]}).raise_for_status()  # opens it
                phases = {}
                for name in loads:
                    think_s = args.think_s if name == "interactive" else 0.0
                    phases[name] = loaded(server, c, name, video, args, think_s)
                    ingests.append(alone(c, f"alone-after-{name}", video))
                    baseline = statistics.fmean([ingests[-2]["seconds"], ingests[-1]["seconds"]])
                    phases[name].update(think_s_mean=think_s, ingest_baseline_s=round(baseline, 2),
                                        ingest_slowdown=round(phases[name]["ingest_s"] / baseline - 1, 3))
                    if think_s:
                        phases[name]["offered_qps_at_most"] = round(args.clients / think_s, 1)
        finally:
            server.stop()
    return {"clients": args.clients, "repeated_questions": args.repeat, "cpu_count": os.cpu_count(),
            "load_average_at_start": load_start, "ingests_alone": ingests, **phases}


def headline(result: dict) -> str:
    """One line per load model: the figures the issue's targets name (p99 <= 100 ms during an ingest;
    slowdown <= 20%) for the interactive load, the maximum throughput for the closed loop."""
    lines = []
    for name in ("interactive", "closed"):
        if name not in result:
            continue
        phase = result[name]
        q, a = phase["questions_during_ingest"], phase["questions_alone"]
        label = (f"interactive (think {phase['think_s_mean']} s, offered <= {phase['offered_qps_at_most']} q/s)"
                 if name == "interactive" else "closed loop (saturation: max q/s)")
        lines.append(
            f"{label}, {result['clients']} clients | during ingest: {q['qps']} q/s, p50 {q['p50_ms']} ms, "
            f"p99 {q['p99_ms']} ms, {q['server_cpu_ms_per_question']} ms server CPU/question, load {q['load_average']}"
            f" | alone: {a['qps']} q/s, p50 {a['p50_ms']} ms, p99 {a['p99_ms']} ms, "
            f"{a['server_cpu_ms_per_question']} ms CPU/q | ingest {phase['ingest_s']} s vs {phase['ingest_baseline_s']}"
            f" s alone: slowdown {phase['ingest_slowdown']:+.1%}")
    alone_s = [(i["seconds"], i["load_average"][0]) for i in result["ingests_alone"]]
    lines.append(f"ingests alone (s, load): {alone_s}; load average at start {result['load_average_at_start']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--think-s", type=float, default=1.0, help="Mean think time of an interactive client "
                        "between an answer and its next question (exponential), in seconds.")
    parser.add_argument("--load", choices=sorted(LOADS), default="both", help="Which load models to run.")
    parser.add_argument("--minutes", type=float, default=3.0, help="Length of the ingested video.")
    parser.add_argument("--query-seconds", type=float, default=15.0, help="How long questions alone are asked.")
    parser.add_argument("--repeat", action="store_true", help="Ask the same six questions over and over "
                        "(their embeddings are then cached) instead of a new text each time.")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench")
    args = parser.parse_args()
    if args.clients < 1 or args.think_s <= 0 or args.minutes <= 0 or args.query_seconds <= 0:
        parser.error("--clients, --think-s, --minutes and --query-seconds must be positive")
    result = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "service.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    print(headline(result))


if __name__ == "__main__":
    main()
