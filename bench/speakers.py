"""Speaker diarization with the built-in (no weights) path, scored against RTTM ground truth.

    python bench/speakers.py [--data ../shared/data/audio] [--vad energy] [--mode refine]

For ami-dev/*.wav (ground truth in ami-dev/debug.*.rttm) and two-speakers/sample.wav: decodes
each file through streams (16 kHz mono chunks), runs voice activity detection online, the
spectral voice embedding and clustering into voice entities, and prints per file the
diarization error rate (collar 0.25 s, overlap scored, Hungarian speaker mapping) with its
parts, voices found vs true speakers, and the real-time factor; then the overall DER (files
weighted by their speech). Each file is its own memory (a fresh clusterer) unless
``--one-memory``. ``--oracle-vad`` uses the reference speech regions instead of the VAD, to
separate clustering errors from detection errors.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from perception.speech.der import DERResult, Turn, diarization_error, read_rttm, total_error, write_rttm  # noqa: E402
from perception.speech.diarize import Diarizer, VoiceClusterer  # noqa: E402
from perception.speech.vad import SpeechSegment, create_vad  # noqa: E402
from perception.speech.voice import create_voice_embedder  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "audio"


def find_cases(data: Path) -> list[tuple[str, Path, list[Turn]]]:
    """(file id, audio path, reference turns) for every audio file an RTTM covers."""
    references: dict[str, list[Turn]] = {}
    for rttm in sorted(data.glob("ami-dev/*.rttm")) + sorted(data.glob("two-speakers/*.rttm")):
        references.update(read_rttm(rttm))
    cases = []
    for wav in sorted(data.glob("ami-dev/*.wav")) + sorted(data.glob("two-speakers/*.wav")):
        if wav.stem in references:
            cases.append((wav.stem, wav, references[wav.stem]))
        else:
            logging.warning("%s: no RTTM covers it; skipped", wav)
    return cases


def read_chunks(path: Path):
    from streams import SamplingPolicy, open_source

    with open_source(str(path), SamplingPolicy(video=False, audio=True, text=False), require_video=False) as source:
        yield from (p for p in source.packets() if hasattr(p, "samples"))


def oracle_segments(stream: str, reference: list[Turn], samples: np.ndarray) -> list[SpeechSegment]:
    """Reference speech regions (speakers merged) as segments."""
    spans: list[list[float]] = []
    for turn in sorted(reference, key=lambda t: t.start):
        if spans and turn.start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], turn.end)
        else:
            spans.append([turn.start, turn.end])
    return [SpeechSegment(stream, a, b, samples[int(a * 16000) : int(b * 16000)]) for a, b in spans]


def run_file(file_id: str, path: Path, reference: list[Turn], args, clusterer: VoiceClusterer | None):
    embedder = create_voice_embedder("spectral")
    diarizer = Diarizer(embedder, clusterer, mode=args.mode, block_windows=args.block_windows)
    vad = create_vad(args.vad, aggressiveness=args.aggressiveness)
    chunks = list(read_chunks(path))  # decoded before timing: the bench measures perception
    duration = sum(len(c.samples) for c in chunks) / 16000
    started = time.perf_counter()
    turns = []
    if args.oracle_vad:
        samples = np.concatenate([c.samples for c in chunks])
        for segment in oracle_segments(file_id, reference, samples):
            turns += diarizer.push(segment)
    else:
        for chunk in chunks:
            for segment in vad.push(chunk):
                turns += diarizer.push(segment)
        for segment in vad.flush():
            turns += diarizer.push(segment)
    turns += diarizer.finish()
    elapsed = time.perf_counter() - started
    hypothesis = [Turn(t.start, t.end, t.entity) for t in turns]
    result = diarization_error(reference, hypothesis, collar=args.collar)
    if args.rttm_out:
        Path(args.rttm_out).mkdir(parents=True, exist_ok=True)
        write_rttm(hypothesis, file_id, Path(args.rttm_out) / f"{file_id}.rttm")
    found = len({t.voice for t in turns})
    true = len({t.speaker for t in reference})
    return result, found, true, elapsed / max(duration, 1e-9), diarizer.clusterer


def line(name: str, result: DERResult, extra: str = "") -> str:
    return (f"{name:<8} DER {100 * result.der:6.2f}%  miss {100 * result.rate('missed'):5.2f}%  "
            f"FA {100 * result.rate('false_alarm'):5.2f}%  conf {100 * result.rate('confusion'):5.2f}%  "
            f"speech {result.total:5.1f}s  {extra}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--vad", default="energy", help="voice activity detector: energy or webrtc")
    parser.add_argument("--aggressiveness", type=int, default=2)
    parser.add_argument("--mode", default="refine", choices=("refine", "online"))
    parser.add_argument("--block-windows", type=int, default=1600,
                        help="refine mode: windows per block (24 is about 18 s of speech: a live latency bound)")
    parser.add_argument("--collar", type=float, default=0.25)
    parser.add_argument("--oracle-vad", action="store_true", help="reference speech regions instead of the VAD")
    parser.add_argument("--one-memory", action="store_true", help="one clusterer for all files (ids persist)")
    parser.add_argument("--rttm-out", default=None, help="write hypothesis RTTM files here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    cases = find_cases(args.data)
    if not cases:
        print(f"no audio with RTTM ground truth under {args.data}", file=sys.stderr)
        return 1
    print(f"vad={args.vad}/{args.aggressiveness} mode={args.mode} block={args.block_windows} collar={args.collar}"
          f"{' oracle-vad' if args.oracle_vad else ''}{' one-memory' if args.one_memory else ''}")
    results, clusterer, rtfs = [], None, []
    for file_id, path, reference in cases:
        result, found, true, rtf, used = run_file(file_id, path, reference, args, clusterer)
        clusterer = used if args.one_memory else None
        results.append(result)
        rtfs.append(rtf)
        mapping = ""
        if args.one_memory:
            mapping = "  " + ", ".join(f"{h}={r}" for h, r in sorted(result.mapping.items()))
        print(line(file_id, result, f"voices {found}/{true}  RTF {rtf:.4f}{mapping}"))
    print(line("overall", total_error(results), f"mean RTF {np.mean(rtfs):.4f}"))
    if args.one_memory and clusterer is not None:
        print(f"voice entities in the shared memory: {len(clusterer.voices)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
