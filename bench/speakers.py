"""Speaker diarization scored against RTTM ground truth, with the spectral/energy baseline alongside.

    python bench/speakers.py [--data ../shared/data/audio] [--voices ge2e|campplus] [--vad silero] [--event-s 10]

For ami-dev/*.wav (ground truth in ami-dev/debug.*.rttm) and two-speakers/sample.wav: decodes
each file through streams (16 kHz mono chunks), runs voice activity detection, the voice embedding
and clustering into voice entities, and prints per file the diarization error rate (collar 0.25 s,
overlap scored, Hungarian speaker mapping) with its parts, voices found vs true speakers, and the
cost in seconds per minute of audio (VAD and voices apart); then the overall DER (files weighted by
their speech). Unless ``--no-baseline``, the spectral voices on the energy VAD run in the same
invocation. ``--event-s N`` processes the audio as ingest does: per span of N seconds (a fresh VAD
and one block each), then the end-of-stream pass relabels what was decided. Each file is its own
memory (a fresh clusterer) unless ``--one-memory``. ``--oracle-vad`` uses the reference speech
regions instead of the VAD, to separate clustering errors from detection errors. ``--set dev`` runs only
the development files (and meeting.wav's voice count); ``--set short`` the short excerpts and
concatenations of few seconds per person built from them (``bench/short_speech.py``); ``--set quiet`` the
development files with one speaker, or all, turned down by 12-20 dB over room noise (``bench/vad.py``);
``--set farfield`` the development files reverberant, band-limited, under babble (``bench/farfield.py``). ``--floors``
adds, per file, the lowest DER any answer that gives each instant one voice can have: over the
whole file (what overlapped speech alone costs) and over the speech the VAD found (what the VAD and
overlap cost together, with perfect clustering).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from perception.speech.der import DERResult, Turn, diarization_error, read_rttm, total_error, write_rttm  # noqa: E402
from perception.speech.diarize import Diarizer, VoiceClusterer, relabel_turns  # noqa: E402
from perception.speech.vad import SpeechSegment, detect_speech  # noqa: E402
from perception.speech.voice import create_voice_embedder  # noqa: E402

from bench.short_speech import dev_cases, short_cases  # noqa: E402
from bench.vad import build_cases  # noqa: E402

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


def single_voice_oracle(reference: list[Turn], spans: list[tuple[float, float]], step: float = 0.01) -> list[Turn]:
    """Within ``spans``, each instant given the reference speaker who began last (one voice at a
    time, never wrong): its DER is the floor of a one-voice answer over those spans, whichever
    speaker an overlap is given to."""
    turns: list[Turn] = []
    for start, end in spans:
        times = np.arange(start, end, step)
        labels = []
        for t in times:
            active = [r for r in reference if r.start <= t < r.end]
            labels.append(max(active, key=lambda r: r.start).speaker if active else None)
        first = 0
        for i in range(1, len(times) + 1):
            if i == len(times) or labels[i] != labels[first]:
                if labels[first] is not None:
                    turns.append(Turn(float(times[first]), float(min(end, times[i - 1] + step)), labels[first]))
                first = i
    return turns


def speech_recall(reference: list[Turn], speech: list[tuple[float, float]], step: float = 0.01) -> float:
    """Share of the reference speech (speakers merged) inside the VAD's segments."""
    end = max([t.end for t in reference] + [b for _, b in speech] + [0.0])
    times = np.arange(0.0, end, step) + step / 2
    spoken = np.zeros(len(times), bool)
    for t in reference:
        spoken |= (times >= t.start) & (times < t.end)
    found = np.zeros(len(times), bool)
    for a, b in speech:
        found |= (times >= a) & (times < b)
    return float((spoken & found).sum() / max(spoken.sum(), 1))


def run_file(file_id: str, audio: Path | np.ndarray, reference: list[Turn] | None, args, config: dict,
             clusterer: VoiceClusterer | None):
    """Diarise one file (a path, or 16 kHz samples); ``reference`` None: no DER (count only)."""
    embedder = config["embedder"]
    diarizer = Diarizer(embedder, clusterer, clusterer_options=config["clusterer_options"],
                        **{"mode": args.mode, "block_windows": args.block_windows, **config["diarizer_options"]})
    if isinstance(audio, np.ndarray):
        samples = audio
    else:  # decoded before timing: the bench measures perception
        samples = np.concatenate([c.samples for c in read_chunks(audio)])
    duration = len(samples) / 16000
    timings = {"vad": 0.0, "voices": 0.0}
    if args.oracle_vad:
        spans = [(0.0, samples)]
    elif args.event_s > 0:
        step = int(args.event_s * 16000)
        spans = [(i / 16000, samples[i : i + step]) for i in range(0, len(samples), step)]
    else:
        spans = [(0.0, samples)]
    turns, speech = [], []
    for start, part in spans:
        t0 = time.perf_counter()
        if args.oracle_vad:
            segments = oracle_segments(file_id, reference, samples)
        else:
            segments = detect_speech(part, start, file_id, vad=config["vad"], aggressiveness=args.aggressiveness,
                                     **config["vad_options"])
        t1 = time.perf_counter()
        speech += [(s.start, s.end) for s in segments]
        diarizer.hear(file_id, part, start)  # the speaker segmentation, when the options ask for it
        for segment in segments:
            turns += diarizer.push(segment)
        if args.event_s > 0:
            turns += diarizer.finish()
        timings["vad"] += t1 - t0
        timings["voices"] += time.perf_counter() - t1
    t1 = time.perf_counter()
    turns += diarizer.finish()
    changes = diarizer.finish_stream()
    timings["voices"] += time.perf_counter() - t1
    turns = relabel_turns(turns, changes)
    hypothesis = [Turn(t.start, t.end, t.entity) for t in turns]
    found = len({t.voice for t in turns})
    per_minute = {part: 60.0 * seconds / max(duration, 1e-9) for part, seconds in timings.items()}
    if reference is None:
        return None, found, None, per_minute, duration, diarizer.clusterer, None, None
    result = diarization_error(reference, hypothesis, collar=args.collar)
    if args.rttm_out:
        Path(args.rttm_out).mkdir(parents=True, exist_ok=True)
        write_rttm(hypothesis, file_id, Path(args.rttm_out) / f"{file_id}.rttm")
    true = len({t.speaker for t in reference})
    floors = None
    if args.floors:
        floors = (diarization_error(reference, single_voice_oracle(reference, [(0.0, duration)]), collar=args.collar),
                  diarization_error(reference, single_voice_oracle(reference, speech), collar=args.collar))
    recall = speech_recall(reference, speech)
    return result, found, true, per_minute, duration, diarizer.clusterer, floors, recall


def line(name: str, result: DERResult, extra: str = "") -> str:
    return (f"{name:<8} DER {100 * result.der:6.2f}%  miss {100 * result.rate('missed'):5.2f}%  "
            f"FA {100 * result.rate('false_alarm'):5.2f}%  conf {100 * result.rate('confusion'):5.2f}%  "
            f"speech {result.total:5.1f}s  {extra}")


def configurations(args) -> list[dict]:
    """The run asked for, and the spectral/energy baseline unless it is the same or left out."""
    asked = {"name": f"{args.voices}/{args.vad}", "voices": args.voices, "vad": args.vad,
             "vad_options": json.loads(args.vad_options), "diarizer_options": json.loads(args.diarizer_options),
             "clusterer_options": json.loads(args.clusterer_options)}
    runs = [asked]
    if not args.no_baseline and (args.voices, args.vad) != ("spectral", "energy"):
        runs.insert(0, {"name": "spectral/energy (baseline)", "voices": "spectral", "vad": "energy",
                        "vad_options": {}, "diarizer_options": {}, "clusterer_options": {}})
    for run in runs:
        run["embedder"] = create_voice_embedder(run["voices"], **json.loads(args.voice_options)) \
            if run is asked else create_voice_embedder(run["voices"])
    return runs


def run_configuration(config: dict, cases, args) -> None:
    """Each case's line, then the overall DER, the voice counts within 1 of the truth and the VAD's
    recall. A case is (id, path or samples, reference turns or None, number of people)."""
    print(f"== voices={config['name']} {config['diarizer_options'] or ''}{config['clusterer_options'] or ''}")
    results, clusterer, costs, durations, floors, recalls, counts = [], None, [], [], [], [], []
    for file_id, audio, reference, people in cases:
        result, found, true, cost, duration, used, floor, recall = run_file(file_id, audio, reference, args, config,
                                                                            clusterer)
        clusterer = used if args.one_memory else None
        costs.append(cost)
        durations.append(duration)
        counts.append((found, people))
        if result is None:
            print(f"{file_id:<8} no reference  voices {found}/{people}  vad {cost['vad']:.2f} s/min  "
                  f"voices {cost['voices']:.2f} s/min")
            continue
        results.append(result)
        recalls.append((recall, result.total))
        mapping = ""
        if args.one_memory:
            mapping = "  " + ", ".join(f"{h}={r}" for h, r in sorted(result.mapping.items()))
        print(line(file_id, result, f"voices {found}/{true}  vad recall {100 * recall:5.1f}%  "
                                    f"vad {cost['vad']:.2f} s/min  voices {cost['voices']:.2f} s/min{mapping}"))
        if floor is not None:
            floors.append(floor)
            print(line("  floor", floor[0], "(one voice at a time, never wrong, whole file: overlap)"))
            print(line("  floor", floor[1], "(the same over the VAD's speech: VAD + overlap)"))
    weights = np.array(durations) / sum(durations)
    vad = float(sum(w * c["vad"] for w, c in zip(weights, costs)))
    voices = float(sum(w * c["voices"] for w, c in zip(weights, costs)))
    print(line("overall", total_error(results), f"vad {vad:.2f} s/min  voices {voices:.2f} s/min of audio"))
    within = sum(abs(found - people) <= 1 for found, people in counts)
    exact = sum(found == people for found, people in counts)
    recall = sum(r * w for r, w in recalls) / max(sum(w for _, w in recalls), 1e-9)
    print(f"voices within 1 of the truth: {within}/{len(counts)} (exact {exact}); "
          f"VAD recall of the reference speech {100 * recall:.1f}%")
    if floors:
        print(line("  floor", total_error(f[0] for f in floors), "(overall: overlap)"))
        print(line("  floor", total_error(f[1] for f in floors), "(overall: VAD + overlap)"))
    if args.one_memory and clusterer is not None:
        print(f"voice entities in the shared memory: {len(clusterer.voices)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--voices", default="spectral", help="voice embedder: spectral, ge2e or campplus")
    parser.add_argument("--voice-options", default="{}", help="JSON options of the voice embedder")
    parser.add_argument("--vad", default="energy", help="voice activity detector: energy, webrtc or silero")
    parser.add_argument("--vad-options", default="{}", help="JSON VadOptions fields")
    parser.add_argument("--diarizer-options", default="{}", help="JSON DiarizerOptions fields")
    parser.add_argument("--clusterer-options", default="{}", help="JSON ClustererOptions fields")
    parser.add_argument("--no-baseline", action="store_true", help="skip the spectral/energy baseline")
    parser.add_argument("--aggressiveness", type=int, default=2)
    parser.add_argument("--mode", default="refine", choices=("refine", "online"))
    parser.add_argument("--block-windows", type=int, default=1600,
                        help="refine mode: windows per block (24 is about 18 s of speech: a live latency bound)")
    parser.add_argument("--event-s", type=float, default=0.0,
                        help="process the audio in spans of this many seconds, as ingest does per event (0: whole)")
    parser.add_argument("--collar", type=float, default=0.25)
    parser.add_argument("--oracle-vad", action="store_true", help="reference speech regions instead of the VAD")
    parser.add_argument("--floors", action="store_true",
                        help="also print the DER floors of a one-voice-at-a-time answer (overlap; VAD + overlap)")
    parser.add_argument("--one-memory", action="store_true", help="one clusterer for all files (ids persist)")
    parser.add_argument("--rttm-out", default=None, help="write hypothesis RTTM files here")
    parser.add_argument("--files", default="", help="comma-separated file ids to run (default: all)")
    parser.add_argument("--set", default="all", choices=("all", "dev", "short", "quiet", "farfield"),
                        help="all: every file with an RTTM; dev: dev00, dev01, sample and meeting.wav (count only), "
                             "no held-out file read; short: excerpts and concatenations of the dev files "
                             "(bench/short_speech.py); quiet: the dev files with a speaker or all turned down "
                             "over room noise (bench/vad.py); farfield: the dev files reverberant, "
                             "band-limited, under babble, and their short turns alone (bench/farfield.py)")
    parser.add_argument("--seed", type=int, default=0, help="--set short: the seed of the concatenations")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (ingest gives torch one core beside the decoder)")
    args = parser.parse_args(argv)
    if args.voices != "spectral":
        import torch

        torch.set_num_threads(args.threads)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    if args.set == "short":
        cases = short_cases(args.data, args.seed)
    elif args.set == "dev":
        cases = dev_cases(args.data)
    elif args.set in ("quiet", "farfield"):
        cases = [(c.name, c.samples, c.reference, len({t.speaker for t in c.reference}))
                 for c in build_cases(args.data, {args.set}, args.seed)]
    else:
        cases = [(f, path, reference, len({t.speaker for t in reference}))
                 for f, path, reference in find_cases(args.data)]
    if args.files:
        cases = [c for c in cases if c[0] in set(args.files.split(","))]
    if not cases:
        print(f"no audio with RTTM ground truth under {args.data}", file=sys.stderr)
        return 1
    print(f"aggressiveness={args.aggressiveness} mode={args.mode} block={args.block_windows} collar={args.collar}"
          f" event_s={args.event_s}{' oracle-vad' if args.oracle_vad else ''}{' one-memory' if args.one_memory else ''}")
    for config in configurations(args):
        run_configuration(config, cases, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
