"""Ingest throughput per stage against the pure-decode limit, measured in the same run.

    python bench/ingest.py [--seconds 60] [--out out/bench]

Makes a 720p30 H.264 + AAC video (one keyframe per second, ~1.5 Mbit/s), then, each in a fresh
child process (so peak RSS is its own): PyAV decoding every frame (the decode-bound limit),
PyAV decoding keyframes only, and mnemo ingests with the lite and test profiles, all frames
decoded and keyframes only, without speech (against decoding the video alone) and with speech
(against decoding video and audio), each the fastest of --repeat runs. Prints frames/s, real-time factor, seconds per stage, peak RSS and
the ratio of each ingest's wall time to the matching pure-decode time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_video(out: Path, seconds: float) -> Path:
    from mnemo.sample import SCENES, Scene, make_sample

    scale = seconds / sum(s.seconds for s in SCENES)
    scenes = tuple(Scene(s.name, s.wall, s.floor, s.line, s.seconds * scale) for s in SCENES)
    path = out / "bench720p.mp4"
    if not path.exists():
        make_sample(out, width=1280, height=720, fps=30, scenes=scenes, bitrate=1_500_000, gop=30,
                    name="bench720p")
    return path


def child_decode(video: str, keyframes_only: bool, audio: bool) -> dict:
    """PyAV alone: decode every video frame (or keyframes), and with ``audio`` the audio to 16 kHz mono."""
    import av

    started = time.perf_counter()
    frames = 0
    with av.open(video) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if keyframes_only:
            stream.codec_context.skip_frame = "NONKEY"
        duration = float(stream.duration * stream.time_base)
        streams = [stream] + ([container.streams.audio[0]] if audio else [])
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        for packet in container.demux(*streams):
            for frame in packet.decode():
                if packet.stream.type == "video":
                    frames += 1
                else:
                    resampler.resample(frame)
    wall = time.perf_counter() - started
    return {"frames": frames, "wall": wall, "duration": duration, "stages": {}}


def child_ingest(video: str, profile_name: str, keyframes_only: bool, speech: bool) -> dict:
    import dataclasses

    import mnemo
    from mnemo.config import load_profile
    from mnemo.entities import EntitiesConfig
    from mnemo.speech import SpeechConfig

    entities = profile_name.endswith("+entities")
    profile = load_profile(profile_name.removesuffix("+entities")).with_sampling(keyframes_only=keyframes_only)
    if not speech:
        profile = dataclasses.replace(profile, speech=SpeechConfig())
    if entities:
        profile = dataclasses.replace(profile, entities=EntitiesConfig(("hog-people", "haar-faces"), fps=1.0))
    with tempfile.TemporaryDirectory() as tmp, mnemo.open(Path(tmp) / "m", profile=profile, create=True) as mem:
        loaded = time.perf_counter()
        mem.encoders
        load = time.perf_counter() - loaded
        report = mem.ingest(video)
        events = report.events
    return {"frames": report.frames, "wall": report.wall_seconds, "duration": report.media_seconds,
            "stages": report.stages, "events": events, "model_load": load}


def run_child(*args: str, repeat: int = 1) -> dict:
    """The fastest of ``repeat`` runs, each in a fresh process (a shared machine is noisy)."""
    results = []
    for _ in range(max(1, repeat)):
        proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"bench child {args} failed:\n{proc.stderr}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return min(results, key=lambda r: r["wall"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the generated video")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench")
    parser.add_argument("--profiles", default="lite,test,lite+entities",
                        help="profiles to ingest with; NAME+entities adds HOG people and Haar faces at 1 fps")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest is reported")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, video, *rest = args.child
        keyframes, audio = rest[-2] == "key", rest[-1] == "audio"
        if kind == "decode":
            result = child_decode(video, keyframes, audio)
        else:
            result = child_ingest(video, rest[0], keyframes, audio)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    video = str(make_video(args.out, args.seconds))
    rows = []
    for mode in ("all", "key"):
        for media in ("video", "audio"):  # video only; video + audio (speech on)
            base = run_child("decode", video, mode, media, repeat=args.repeat)
            rows.append((f"pyav {'v' if media == 'video' else 'v+a'} decode ({mode})", base, base["wall"]))
            for profile in args.profiles.split(","):
                result = run_child("ingest", video, profile, mode, media, repeat=args.repeat)
                label = f"{profile}{'' if media == 'audio' else ' no-speech'} ({mode})"
                rows.append((label, result, base["wall"]))
    print_table(rows, video)


def _part(r: dict, part: str) -> str:
    seconds = r["stages"][f"speech.{part}"]
    if seconds < 1e-3:
        return f"{part} -"
    return f"{part} {seconds:.2f} s ({r['duration'] / seconds:.0f}x real time)"


def print_table(rows, video: str) -> None:
    print(f"video: {video} (1280x720, 30 fps, H.264 ~1.5 Mbit/s + AAC, keyframe every 1 s)")
    header = (f"{'run':28} {'frames':>7} {'wall s':>7} {'frames/s':>9} {'x rt':>7} {'decode':>7} {'encode':>7} "
              f"{'segment':>8} {'speech':>7} {'entity':>7} {'store':>6} {'RSS MB':>7} {'/decode':>8}")
    print(header)
    print("-" * len(header))
    for name, r, base in rows:
        duration = r["duration"] or 1e-9
        s = r["stages"]
        print(f"{name:28} {r['frames']:7d} {r['wall']:7.2f} {r['frames'] / r['wall']:9.1f} "
              f"{duration / r['wall']:7.1f} {s.get('decode', r['wall'] if not s else 0):7.2f} "
              f"{s.get('encode', 0):7.2f} {s.get('segment', 0):8.3f} {s.get('speech', 0):7.2f} {s.get('entities', 0):7.2f} {s.get('store', 0):6.2f} "
              f"{r['peak_rss_mb']:7.0f} {r['wall'] / base:8.2f}")
    speech = [(name, r) for name, r, _ in rows if "speech.vad" in r["stages"]]
    if speech:
        print("\nspeech, seconds per part (x real time):")
        for name, r in speech:
            parts = "  ".join(_part(r, part) for part in ("vad", "voices", "asr"))
            print(f"  {name:28} {parts}")
    entity = [(name, r) for name, r, _ in rows if "entities.detect" in r["stages"]]
    if entity:
        print("\nentities, seconds per part:")
        for name, r in entity:
            print(f"  {name:28} detect {r['stages']['entities.detect']:.2f}  "
                  f"track + re-identify + registry {r['stages'].get('entities.track', 0.0):.2f}")
    print("decode/encode/segment/speech/entity/store: seconds in each stage (decode runs in its own thread, overlapping);"
          " /decode: wall time over the pure PyAV decode of the same frames in this run.")


if __name__ == "__main__":
    main()
