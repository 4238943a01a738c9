"""Cost of the speech components: seconds (wall and CPU) per minute of audio.

    python bench/speech_speed.py [AUDIO ...] [--threads 1] [--seconds 120]

Per file (default: ami-meeting/meeting.wav and two-speakers/sample.wav under ../shared/data/audio):
the energy and silero VADs over the whole excerpt, then the spectral and GE2E voice embeddings
(GE2E at 0.5 s and 0.25 s hops) of silero's segments. Ingest runs torch with one thread beside
the decoder, hence the default. The machine is shared: compare CPU seconds, rerun to check.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "audio"


def read(path: Path, seconds: float) -> np.ndarray:
    from streams import SamplingPolicy, open_source

    with open_source(str(path), SamplingPolicy(video=False, audio=True, text=False), require_video=False) as source:
        samples = np.concatenate([p.samples for p in source.packets() if hasattr(p, "samples")])
    return samples[: int(16000 * seconds)]


def clock(work):
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("audio", nargs="*", type=Path,
                        default=[DATA / "ami-meeting" / "meeting.wav", DATA / "two-speakers" / "sample.wav"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--seconds", type=float, default=120.0, help="audio used per file")
    args = parser.parse_args(argv)
    import torch

    from perception.speech import create_voice_embedder, detect_speech

    torch.set_num_threads(args.threads)
    for path in args.audio:
        samples = read(path, args.seconds)
        minutes = len(samples) / 16000 / 60
        print(f"{path.name}: {minutes:.2f} min, torch threads {args.threads}")
        for vad in ("energy", "silero"):
            segments, wall, cpu = clock(lambda: detect_speech(samples, 0.0, "bench", vad=vad))
            speech = sum(s.duration for s in segments) / 60 / minutes
            print(f"  vad {vad:<8} {wall / minutes:5.2f} s/min wall  {cpu / minutes:5.2f} s/min cpu  speech {speech:.0%}")
        segments = detect_speech(samples, 0.0, "bench", vad="silero")
        for name, options in (("spectral", {}), ("ge2e", {"hop_s": 0.5}), ("ge2e", {"hop_s": 0.25})):
            embedder = create_voice_embedder(name, **options)
            embedder.embed_windows(segments[0])  # warm up
            _, wall, cpu = clock(lambda: [embedder.embed_windows(s) for s in segments])
            print(f"  voices {name:<8} {str(options):<16} {wall / minutes:5.2f} s/min wall  {cpu / minutes:5.2f} s/min cpu")
    return 0


if __name__ == "__main__":
    sys.exit(main())
