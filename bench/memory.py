"""Memory on disk per hour of stream, RSS as the memory grows, and the size held under a budget.

    python bench/memory.py [--hours 3] [--clip-minutes 10] [--budget-mb 8] [--out out/bench-memory]

What it ingests (honestly): rendering hours of the simulator is too slow here, so it generates one
low-resolution clip with ``mnemo.sample.make_sample`` (320x180, 5 fps, H.264 + AAC + sidecar
subtitles; rooms with distinct looks in random order, scene lengths 5-60 s) and ingests it with
the lite profile as many distinct streams (copies that differ in a few trailing bytes, so each has
its own stream id) until --hours of media are in one memory. Consolidation (places, episodes,
sessions, state facts, semantic facts) runs as part of every ingest. After each stream it records
media hours, bytes on disk (database + WAL; thumbnail files written by listing the events counted
apart), current and peak RSS. At the end it enforces --budget-mb and reports the size held.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import resource
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MB = 2**20


def make_clip(out: Path, minutes: float, seed: int = 0) -> Path:
    from mnemo.sample import SCENES, make_sample

    path = out / "clip.mp4"
    if path.exists():
        return path
    rng = random.Random(seed)
    scenes, total = [], 0.0
    while total < minutes * 60:
        scene = dataclasses.replace(rng.choice(SCENES), seconds=round(rng.uniform(5, 60), 1))
        scenes.append(scene)
        total += scene.seconds
    make_sample(out, width=320, height=180, fps=5, scenes=tuple(scenes), bitrate=200_000, gop=50, name="clip")
    return path


def stream_copy(clip: Path, folder: Path, number: int) -> Path:
    """A copy of the clip with its own stream id (stream ids hash a file's size and last MiB)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"stream{number:03d}.mp4"
    shutil.copyfile(clip, target)
    with open(target, "ab") as f:
        f.write(number.to_bytes(4, "little") * 4)
    shutil.copyfile(clip.with_suffix(".srt"), target.with_suffix(".srt"))
    return target


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB."""
    current = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def db_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.glob("memory.db*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--clip-minutes", type=float, default=10.0)
    parser.add_argument("--budget-mb", type=float, default=8.0)
    parser.add_argument("--out", type=Path, default=Path("out/bench-memory"))
    args = parser.parse_args()

    import mnemo
    from memory import budget, facts, hierarchy, places

    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    clip = make_clip(args.out / "clip", args.clip_minutes)
    print(f"clip: {clip} ({clip.stat().st_size / MB:.1f} MB) made in {time.perf_counter() - started:.0f} s")
    memory_dir = args.out / "memory"
    shutil.rmtree(memory_dir, ignore_errors=True)
    rows, media = [], 0.0
    with mnemo.open(memory_dir, profile="lite", create=True) as mem:
        number = 0
        while media < args.hours * 3600 - 1:
            source = stream_copy(clip, args.out / "streams", number)
            t0 = time.perf_counter()
            report = mem.ingest(source)
            media += report.media_seconds
            source.unlink()
            current, peak = rss_mb()
            row = {"stream": number, "media_hours": round(media / 3600, 3), "events": mem.store.count_events(),
                   "episodes": len(hierarchy.episodes(mem.store)), "places": len(places.places(mem.store)),
                   "db_mb": round(db_bytes(memory_dir) / MB, 2), "rss_mb": round(current, 1),
                   "peak_rss_mb": round(peak, 1), "ingest_s": round(time.perf_counter() - t0, 1)}
            rows.append(row)
            print(json.dumps(row), flush=True)
            number += 1
        mem.store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db = db_bytes(memory_dir)
        mem.events()  # writes every thumbnail file
        thumbs = sum(p.stat().st_size for p in (memory_dir / "thumbs").glob("*.jpg"))
        jpeg_in_db = mem.store._conn.execute("SELECT COALESCE(SUM(LENGTH(jpeg)), 0) FROM keyframes").fetchone()[0]
        total = budget.disk_bytes(memory_dir)
        n_facts = len(facts.facts(mem.store))
        hours = media / 3600
        summary = {"media_hours": round(hours, 3), "streams": len(rows), "events": mem.store.count_events(),
                   "episodes": len(hierarchy.episodes(mem.store)), "sessions": len(hierarchy.sessions(mem.store)),
                   "places": len(places.places(mem.store)), "facts": n_facts,
                   "db_mb_per_hour": round(db / MB / hours, 2), "keyframe_jpeg_mb_per_hour": round(jpeg_in_db / MB / hours, 2),
                   "with_thumbnail_files_mb_per_hour": round(total / MB / hours, 2),
                   "rss_mb_first_last": [rows[0]["rss_mb"], rows[-1]["rss_mb"]],
                   "peak_rss_mb_first_last": [rows[0]["peak_rss_mb"], rows[-1]["peak_rss_mb"]]}
        t0 = time.perf_counter()
        held = budget.enforce(mem.store, int(args.budget_mb * MB))
        summary.update({"budget_mb": args.budget_mb, "before_budget_mb": round(held.before / MB, 2),
                        "after_budget_mb": round(held.after / MB, 2), "compacted_events": len(held.compacted),
                        "over_budget": held.over_budget, "budget_s": round(time.perf_counter() - t0, 1)})
        summary["search_after_budget"] = len(mem.search(text="keys on the sofa", k=5))
    summary["wall_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(summary, indent=1))
    (args.out / "memory-bench.json").write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))


if __name__ == "__main__":
    main()
