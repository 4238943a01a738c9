"""The screen channel's cost: standard ingests of real clips with and without it, alternated.

    python bench/screen_channel.py [VIDEO ...] [--reps 3] [--work /tmp/screen-channel-bench]

Each clip is ingested ``--reps`` times with standard as shipped and with standard less the
``screen`` channel, the order alternating between repetitions; the first repetition includes model
loading (leave it out). Prints wall and process CPU seconds, the OCR seconds (the event stage and
the channel together), the frames the channel read and the events, per run, and the CPU ratio of
the later repetitions. Defaults to the clips of ``../shared/data/video``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _profiles():
    from mnemo.config import load_profile

    standard = load_profile("standard")
    channels = {k: v for k, v in standard.segmenter.channels.items() if k != "screen"}
    without = dataclasses.replace(standard, segmenter=dataclasses.replace(standard.segmenter, channels=channels))
    return {"with": standard, "without": without}


def _run(video: Path, profile, directory: Path) -> dict:
    import mnemo

    shutil.rmtree(directory, ignore_errors=True)
    with mnemo.open(directory, profile=profile, create=True) as memory:
        cpu, wall = time.process_time(), time.perf_counter()
        report = memory.ingest(video)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        events = len(memory.events())
    ocr = report.stages.get("ocr", 0.0) + report.stages.get("screen", 0.0)
    return {"wall": wall, "cpu": cpu, "ocr": ocr, "events": events}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("videos", nargs="*", type=Path)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/screen-channel-bench"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    videos = args.videos or sorted((REPO.parent / "shared" / "data" / "video").glob("*.mp4"))
    profiles = _profiles()
    runs: dict[tuple[str, str], list[dict]] = {}
    for rep in range(args.reps):
        for video in videos:
            order = ("with", "without") if rep % 2 == 0 else ("without", "with")
            for label in order:
                run = _run(video, profiles[label], args.work / label)
                runs.setdefault((video.name, label), []).append(run)
                sys.stdout.write(f"rep {rep} {video.name} {label}: wall {run['wall']:.2f} s, cpu {run['cpu']:.2f} s, "
                                 f"ocr {run['ocr']:.2f} s, events {run['events']}\n")
    for video in videos:
        cpu = {label: sum(r["cpu"] for r in runs[(video.name, label)][1:]) for label in profiles}
        if cpu["without"] > 0:
            sys.stdout.write(f"{video.name}: cpu with / without the screen channel (reps 2-): "
                             f"{cpu['with']:.2f} / {cpu['without']:.2f} s = {cpu['with'] / cpu['without']:.2f}\n")


if __name__ == "__main__":
    main()
