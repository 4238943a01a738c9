"""Throughput of an offline job of N files: inline, and on Ray with 1 and 2 workers.

    python bench/job.py [--files 6] [--seconds 30] [--profile lite] [--out out/bench-job]

Makes N distinct 640x360 H.264 + AAC videos with mnemo/sample.py, then runs the same job into a
fresh memory in a fresh child process per runtime: inline, Ray with 1 worker, Ray with 2 workers
(a local Ray started in the child: num_cpus = this machine's cores, 1 GB object store). Reports
start-up seconds (models, actors) apart from the run itself, media seconds per wall second, and
Ray's overhead over inline at one worker (target: <= 15% on the run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_files(out: Path, files: int, seconds: float) -> list[str]:
    from mnemo.sample import SCENES, Scene, make_sample

    scale = seconds / sum(s.seconds for s in SCENES)
    paths = []
    for n in range(files):
        rooms = SCENES[n % len(SCENES):] + SCENES[: n % len(SCENES)]  # a different room order per file
        scenes = tuple(Scene(s.name, s.wall, s.floor, s.line, s.seconds * scale) for s in rooms)
        name = f"job{n:02d}-{seconds:g}s"
        path = out / f"{name}.mp4"
        if not path.exists():
            make_sample(out, scenes=scenes, seed=n, name=name)
        paths.append(str(path))
    return paths


def child(kind: str, workers: int, profile: str, files: list[str]) -> dict:
    """One job in this process: start-up (models / actors) and the run timed apart."""
    with tempfile.TemporaryDirectory() as tmp:
        memory = Path(tmp) / "m"
        started = time.perf_counter()
        if kind == "inline":
            from mnemo.runtime.inline import InlineRuntime

            runtime = InlineRuntime(memory, profile)
            runtime.memory.encoders  # load the models before the clock starts, as the actors do
        else:
            from mnemo.runtime.ray_actors import RayRuntime, connect

            connect(num_cpus=os.cpu_count(), object_store_mb=1024)
            runtime = RayRuntime(memory, profile, workers=workers)
        startup = time.perf_counter() - started
        ran = time.perf_counter()
        outcomes = runtime.run(files)
        run = time.perf_counter() - ran
        runtime.close()
    failed = [o.error for o in outcomes if not o.ok]
    if failed:
        raise SystemExit(f"bench files failed: {failed}")
    media = sum(o.report.media_seconds for o in outcomes)
    return {"startup": startup, "run": run, "media": media, "events": sum(o.report.events for o in outcomes),
            "frames": sum(o.report.frames for o in outcomes)}


def run_child(kind: str, workers: int, profile: str, files: list[str], repeat: int) -> dict:
    """The fastest run of ``repeat`` fresh child processes (this machine is shared and noisy)."""
    results = []
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, __file__, "--child", kind, str(workers), profile, *files],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"bench child {kind} x{workers} failed:\n{proc.stderr[-4000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return min(results, key=lambda r: r["run"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each generated file")
    parser.add_argument("--profile", default="lite")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest run is reported")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench-job")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, workers, profile, *files = args.child
        print(json.dumps(child(kind, int(workers), profile, files)))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    files = make_files(args.out, args.files, args.seconds)
    rows = [(name, run_child(kind, workers, args.profile, files, args.repeat))
            for name, kind, workers in (("inline", "inline", 1), ("ray 1 worker", "ray", 1),
                                        ("ray 2 workers", "ray", 2))]
    print_table(rows, args, files)


def print_table(rows, args, files) -> None:
    print(f"{len(files)} files x {args.seconds:g} s (640x360 H.264 + AAC), profile {args.profile}, "
          f"{os.cpu_count()} cores")
    header = f"{'runtime':16} {'start-up s':>10} {'run s':>7} {'media s':>8} {'x real time':>11} {'events':>7} {'vs inline':>9}"
    print(header)
    print("-" * len(header))
    inline = rows[0][1]["run"]
    for name, r in rows:
        print(f"{name:16} {r['startup']:10.1f} {r['run']:7.2f} {r['media']:8.0f} {r['media'] / r['run']:11.1f} "
              f"{r['events']:7d} {r['run'] / inline:9.2f}")
    ray1 = dict(rows)["ray 1 worker"]["run"]
    print(f"Ray overhead at 1 worker (run only): {100 * (ray1 / inline - 1):+.1f}% (target <= +15%)")


if __name__ == "__main__":
    main()
