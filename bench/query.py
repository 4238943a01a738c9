"""Latency of ``ask`` (p50/p99) and retrieval recall@10 at 10k, 100k and 1M events.

    python bench/query.py [--sizes 10000,100000,1000000] [--dim 128] [--questions 300] [--out out/bench]

Synthetic memories are built fast by bulk inserts (events of 5 s, clustered float16 vectors in one
text space, a perceived world of 40 things and 3 people at the start), each with the index type
chosen by size (INDEX_BY_SIZE: flat below 50k events, IVF1024 nprobe 32 below 400k, IVF4096 nprobe 128
above). A long-lived Reasoner answers a
mix of questions: rule-answered ones (where/when/who/how many over the perceived world) and free
text that falls back to retrieval (kNN + episodes + contiguity); the query encoder is a fixed random
projection of hashed words, so encoder time is not in the figures (MiniLM adds ~5-10 ms per query on
CPU). Recall@10 is the index's kNN against exhaustive search over the same vectors.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SPACE = "text/bench"
# (events below, FAISS factory, nprobe): flat while exhaustive search is cheap, then IVF with more lists
INDEX_BY_SIZE = [(50_000, "IDMap2,Flat", 1), (400_000, "IVF1024,Flat", 32), (None, "IVF4096,Flat", 128)]
ROOMS = [("kitchen", 0, 0, 5, 5), ("office", 5, 0, 10, 5), ("bedroom", 0, 5, 5, 10), ("hall", 5, 5, 10, 10)]
COLOURS = ["red", "blue", "green", "white", "black", "orange", "pink", "teal"]
LABELS = ["mug", "book", "phone", "box", "keys"]


def index_for(n: int) -> str:
    return next(f for limit, f, _ in INDEX_BY_SIZE if limit is None or n < limit)


def nprobe_for(n: int) -> int:
    return next(p for limit, _, p in INDEX_BY_SIZE if limit is None or n < limit)


def embed(text: str, dim: int) -> np.ndarray:
    """A fixed random projection of hashed words (a stand-in query encoder with no model cost)."""
    v = np.zeros(dim, np.float32)
    for word in text.lower().split():
        rng = np.random.default_rng(zlib.crc32(word.encode()))
        v += rng.standard_normal(dim).astype(np.float32)
    return v / max(float(np.linalg.norm(v)), 1e-9)


def build(directory: Path, n: int, dim: int, seed: int = 0) -> tuple[float, np.ndarray]:
    """A memory of n events with clustered vectors and a small perceived world; returns (seconds, vectors)."""
    from memory.perceived import Area, Heard, Sighting, add_heard, add_sightings, set_areas
    from memory.poses import Pose
    from memory.store import MemoryStore

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    store = MemoryStore(directory, create=True, index_factory=index_for(n), nprobe=nprobe_for(n))
    store.add_stream("s", "bench://s")
    centres = rng.standard_normal((256, dim)).astype(np.float32)
    vectors = np.empty((n, dim), np.float16)
    chunk = 100_000
    with store._write() as c:
        store._use_space(c, SPACE, dim)
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            v = centres[rng.integers(256, size=hi - lo)] + 0.7 * rng.standard_normal((hi - lo, dim)).astype(np.float32)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            vectors[lo:hi] = v.astype(np.float16)
            c.executemany('INSERT INTO events(id, stream, start, "end", text, surprise, created) '
                          "VALUES (?, 's', ?, ?, ?, 0, 0)",
                          [(i + 1, 5.0 * i, 5.0 * i + 5.0, f"event {i}") for i in range(lo, hi)])
            c.executemany("INSERT INTO vectors(event_id, space, data) VALUES (?, ?, ?)",
                          [(i + 1, SPACE, vectors[i].tobytes()) for i in range(lo, hi)])
        c.execute("UPDATE spaces SET generation = generation + ?, count = count + ? WHERE name = ?", (n, n, SPACE))
    end = 5.0 * n
    set_areas(store, [Area(*r) for r in ROOMS])
    store.add_poses([Pose("s", float(t), 2.0 + 5.0 * ((t // 600) % 2), 2.0) for t in np.arange(0, 3600, 1.0)])
    sightings = []
    for k in range(40):
        colour, label = COLOURS[k % len(COLOURS)], LABELS[k % len(LABELS)]
        for stay in range(3):
            x, y = rng.uniform(0.5, 9.5, 2)
            t0 = 60.0 * k + 900.0 * stay
            sightings += [Sighting("s", t0 + 0.2 * j, 1000 * k + stay, "object", label, 0.9, x, y, colour)
                          for j in range(20)]
    for p in range(3):
        vec = np.zeros(16, np.float16)
        vec[p] = 1
        sightings += [Sighting("s", 30.0 + 200.0 * p + 0.2 * j, 90_000 + p, "person", "person", 0.9,
                               1.0 + 0.02 * j, 2.0, appearance=vec.tobytes()) for j in range(100)]
    add_sightings(store, sightings)
    add_heard(store, [Heard("s", 40.0 + 200.0 * p, 42.0 + 200.0 * p, f"please bring the {COLOURS[p]} {LABELS[p]}",
                            name) for p, name in enumerate(["Alice", "Bob", "Carol"])])
    store.index(SPACE)  # build (and train) the index once, as a warm service would have
    store.close()
    del end
    return time.perf_counter() - started, vectors.astype(np.float32)


def questions(rng: np.random.Generator, count: int, n: int) -> list[tuple[str, float]]:
    forms = ["Where is the {c} {l} now?", "When did you first see the {c} {l}?",
             "How many times did you hear {p} speak?",
             "Who said \"please bring the {c} {l}\"?", "What did {p} last say about the {c} {l}?",
             "what was I doing near the {c} {l} with {p}", "tell me about the meeting in the {r}"]
    out = []
    for _ in range(count):
        form = forms[int(rng.integers(len(forms)))]
        text = form.format(c=COLOURS[int(rng.integers(len(COLOURS)))], l=LABELS[int(rng.integers(len(LABELS)))],
                           p=["Alice", "Bob", "Carol"][int(rng.integers(3))], r=ROOMS[int(rng.integers(4))][0])
        out.append((text, float(rng.uniform(3600.0, 5.0 * n))))
    return out


def measure(directory: Path, n: int, dim: int, vectors: np.ndarray, count: int) -> dict:
    from memory.store import MemoryStore
    from mnemo.reasoner import Reasoner

    rng = np.random.default_rng(1)
    store = MemoryStore(directory, create=False, readonly=True, index_factory=index_for(n),
                        nprobe=nprobe_for(n))
    reasoner = Reasoner(store, {SPACE: lambda text: embed(text, dim)})
    warm = time.perf_counter()
    reasoner.ask("Where is the red mug now?")
    first_ms = 1000 * (time.perf_counter() - warm)
    latencies, searched = [], []
    for text, at in questions(rng, count, n):
        t0 = time.perf_counter()
        answer = reasoner.ask(text, at=at)
        latencies.append(1000 * (time.perf_counter() - t0))
        if answer.detail.get("searched"):
            searched.append(latencies[-1])
    recall = _recall(store, vectors, rng)
    reasoner.close()
    store.close()
    return {"events": n, "index": index_for(n), "nprobe": nprobe_for(n), "dim": dim, "questions": count,
            "first_ms": round(first_ms, 1),
            "p50_ms": round(float(np.percentile(latencies, 50)), 2),
            "p99_ms": round(float(np.percentile(latencies, 99)), 2), "searched": len(searched),
            "searched_p50_ms": round(float(np.percentile(searched, 50)), 2) if searched else None,
            "searched_p99_ms": round(float(np.percentile(searched, 99)), 2) if searched else None,
            "recall_at_10": round(recall, 4)}


def _recall(store, vectors: np.ndarray, rng: np.random.Generator, queries: int = 100) -> float:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    hits = []
    for _ in range(queries):
        q = unit[int(rng.integers(len(unit)))] + 0.5 * rng.standard_normal(unit.shape[1]).astype(np.float32)
        q /= np.linalg.norm(q)
        exact = set((np.argpartition(-(unit @ q), 10)[:10] + 1).tolist())
        found = {e for e, _ in store.search(SPACE, q, k=10)}
        hits.append(len(exact & found) / 10)
    return float(np.mean(hits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench")
    args = parser.parse_args()
    results = []
    for n in [int(s) for s in args.sizes.split(",") if s]:
        with tempfile.TemporaryDirectory(prefix=f"mnemo-query-{n}-") as tmp:
            seconds, vectors = build(Path(tmp) / "memory", n, args.dim)
            result = measure(Path(tmp) / "memory", n, args.dim, vectors, args.questions)
            result["build_s"] = round(seconds, 1)
            results.append(result)
            print(json.dumps(result), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "query.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
