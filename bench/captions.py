"""Keyframe captions: what they cost an ingest and whether search finds what only the pictures show.

    python bench/captions.py [--rooms 12] [--seconds 5] [--keyframes 1] [--delay 0] [--out out/bench-captions]

Renders --rooms rooms of --seconds each (640x360, 10 fps, no audio or subtitles) whose walls and
floors take one colour of seven in turn, and ingests the video with lite three times: without
captions, with captions from the scripted vision server (tests/planners/scripted_llm_server.py, model
``vision``: it names the dominant colour of the JPEG it is sent, after --delay seconds, standing in
for a model's latency), and again from a copy in another container (every caption from the cache).
Prints wall seconds, requests, captions stored and skipped, and the share of rooms for which
``Memory.search("<colour> walls")`` returns first an event of a room of that colour. No vision-language
model runs here: the figures measure the machinery (requests, cache, search), not caption quality.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

COLOURS = {"red": (200, 40, 40), "green": (40, 160, 60), "blue": (40, 70, 200), "yellow": (220, 200, 40),
           "grey": (128, 128, 128), "white": (235, 235, 235), "black": (20, 20, 20)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--keyframes", type=int, default=1)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds the server waits before each answer")
    parser.add_argument("--out", type=Path, default=Path("out/bench-captions"))
    args = parser.parse_args()
    import mnemo
    from mnemo.captions import CaptionConfig
    from mnemo.config import load_profile
    from mnemo.sample import Scene, make_sample

    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    names = [list(COLOURS)[i % len(COLOURS)] for i in range(args.rooms)]
    scenes = tuple(Scene(f"{n} room {i}", COLOURS[n], tuple(int(c * 0.85) for c in COLOURS[n]), "", args.seconds)
                   for i, n in enumerate(names))
    video = make_sample(args.out, width=640, height=360, fps=10, scenes=scenes, audio=False, subtitles=False,
                        name="rooms").video
    copy = _remux(video, args.out / "rooms.mkv")
    server, url, log = _server(args.out, args.delay)
    try:
        lite = load_profile("lite")
        with_captions = dataclasses.replace(lite, captioner=CaptionConfig(url=url, model="vision",
                                                                           keyframes=args.keyframes))
        rows = []
        for label, profile, source, memory in (("no captions", lite, video, "plain"),
                                               ("captions", with_captions, video, "captioned"),
                                               ("captions, cached", with_captions, copy, "captioned")):
            before = _requests(log)
            with mnemo.open(args.out / memory, profile=profile, create=True) as mem:
                mem.encoders  # noqa: B018 - models load before the clock starts
                t0 = time.perf_counter()
                report = mem.ingest(str(source))
                wall = time.perf_counter() - t0
                found = _search(mem, report.stream, names, args.seconds)
            rows.append({"run": label, "events": report.events, "wall_s": round(wall, 2),
                         "requests": _requests(log) - before, **{k: v for k, v in report.captions.items()},
                         "search_first": found})
        for row in rows:
            print(json.dumps(row))
    finally:
        server.terminate()
        server.wait(timeout=10)


def _search(mem, stream: str, names: list[str], seconds: float) -> float:
    """Share of colours whose query ``"<colour> walls"`` first returns an event of a room of that colour."""
    hits = 0
    for colour in sorted(set(names)):
        results = mem.search(f"{colour} walls", k=1, stream=stream)
        if results:
            middle = (results[0].start + results[0].end) / 2
            hits += names[min(int(middle // seconds), len(names) - 1)] == colour
    return round(hits / len(set(names)), 3)


def _server(out: Path, delay: float):
    port_file, log = out / "port", out / "requests.jsonl"
    command = [sys.executable, str(REPO / "tests" / "planners" / "scripted_llm_server.py"), str(port_file), str(log)]
    proc = subprocess.Popen(command, env={**os.environ, "SCRIPTED_VISION_DELAY": str(delay)})
    deadline = time.monotonic() + 20
    while not port_file.exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit("the scripted server did not start")
        time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port_file.read_text()}/v1", log


def _requests(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def _remux(video: Path, out: Path) -> Path:
    import av

    with av.open(str(video)) as src, av.open(str(out), "w") as dst:
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams.video}
        for packet in src.demux(*src.streams.video):
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            dst.mux(packet)
    return out


if __name__ == "__main__":
    main()
