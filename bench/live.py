"""Live ingest lag: a 720p30 stream sent in real time over UDP, ingested as it arrives.

    python bench/live.py [--seconds 60] [--profiles lite standard] [--video PATH] [--out out/bench]

Makes a 720p30 H.264 + AAC video (the sample rooms, hard cuts, one keyframe per second), then
for each profile, in a fresh child process: loads the encoders, starts ffmpeg sending the video
in real time as MPEG-TS to udp://127.0.0.1 (stream copy: the sender costs almost nothing), and
ingests it live. Prints the lag behind the live edge (p50, p99, max: seconds between the newest
media received and a frame's analysis), the frames analysed and dropped to keep the lag bounded,
and the events committed. ``--video`` sends a file of your own instead (e.g. one with speech,
for the standard profile's recogniser). Needs the ffmpeg CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_video(out: Path, seconds: float) -> Path:
    from mnemo.sample import SCENES, Scene, make_sample

    scale = seconds / sum(s.seconds for s in SCENES)
    scenes = tuple(Scene(s.name, s.wall, s.floor, s.line, s.seconds * scale) for s in SCENES)
    path = out / f"live720p-{seconds:g}.mp4"
    if not path.exists():
        make_sample(out, width=1280, height=720, fps=30, scenes=scenes, bitrate=1_500_000, gop=30,
                    name=path.stem)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child(video: str, profile_name: str, memory: str, max_lag: float) -> dict:
    """One profile: encoders loaded, then the sender started and the stream ingested live."""
    from memory.store import MemoryStore
    from mnemo.config import load_profile
    from mnemo.models import load_encoders
    from mnemo.pipeline import Ingestor
    from mnemo.runtime.control import IngestControl
    from streams.live import LiveOptions

    profile = load_profile(profile_name)
    encoders = load_encoders(profile)
    port = free_port()
    sender: list[subprocess.Popen] = []
    args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", video, "-c", "copy",
            "-f", "mpegts", f"udp://127.0.0.1:{port}?pkt_size=1316"]
    timer = threading.Timer(0.5, lambda: sender.append(subprocess.Popen(args, stdin=subprocess.DEVNULL)))
    timer.start()
    control = IngestControl(live=LiveOptions(reconnect=False, stall=2.0, max_lag=max_lag))
    cpu0 = os.times()
    try:
        with MemoryStore(memory) as store:
            report = Ingestor(store, encoders).ingest(f"udp://127.0.0.1:{port}", control=control)
    finally:
        timer.join()
        for process in sender:
            process.wait(timeout=30)
    cpu1 = os.times()
    return {
        "profile": profile_name,
        "profile_used": encoders.profile.name,
        "lag_p50": round(report.lag.get("p50", float("nan")), 2),
        "lag_p99": round(report.lag.get("p99", float("nan")), 2),
        "lag_max": round(report.lag.get("max", float("nan")), 2),
        "frames": report.frames,
        "dropped": report.dropped,
        "events": report.events,
        "media_s": round(report.media_seconds, 1),
        "ending": report.ending,
        "cpu_s": round((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the stream sent")
    parser.add_argument("--profiles", nargs="+", default=["lite", "standard"])
    parser.add_argument("--max-lag", type=float, default=2.0, help="lag allowed before frames are thinned")
    parser.add_argument("--video", type=Path, help="send this file instead of the synthetic 720p30 one")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench")
    parser.add_argument("--child", nargs=4, metavar=("VIDEO", "PROFILE", "MEMORY", "MAX_LAG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        video, profile, memory, max_lag = args.child
        print(json.dumps(child(video, profile, memory, float(max_lag))))
        return
    if shutil.which("ffmpeg") is None:
        sys.exit("bench/live.py needs the ffmpeg CLI (apt-get install ffmpeg) to send the stream")
    args.out.mkdir(parents=True, exist_ok=True)
    video = args.video.resolve() if args.video else make_video(args.out, args.seconds)
    what = video.name if args.video else f"{args.seconds:g} s of 720p30 H.264 + AAC"
    print(f"{what} sent in real time over UDP; {os.cpu_count()} CPUs; max lag {args.max_lag:g} s")
    print(f"{'profile':10} {'lag p50':>8} {'lag p99':>8} {'lag max':>8} {'frames':>7} {'dropped':>8} "
          f"{'events':>7} {'cpu s':>6}  ending")
    for profile in args.profiles:
        with tempfile.TemporaryDirectory() as memory:
            done = subprocess.run([sys.executable, __file__, "--child", str(video), profile, memory,
                                   str(args.max_lag)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{profile:10} failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        name = r["profile"] if r["profile_used"] == r["profile"] else f"{r['profile']}->{r['profile_used']}"
        print(f"{name:10} {r['lag_p50']:8.2f} {r['lag_p99']:8.2f} {r['lag_max']:8.2f} {r['frames']:7d} "
              f"{r['dropped']:8d} {r['events']:7d} {r['cpu_s']:6.1f}  {r['ending']}")


if __name__ == "__main__":
    main()
