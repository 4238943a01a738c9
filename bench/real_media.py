"""The `standard` profile on real media: words (WER), voices (DER), screen text (OCR), speed.

    python bench/real_media.py [--data ../shared/data] [--profile standard] [--parts wer,der,ocr,speed]
                               [--minutes 10] [--repeat 1] [--out out/bench/real_media]

- **wer**: the profile's VAD and recogniser on ``audio/jfk.flac`` and ``audio/read-speech/`` (texts
  in its ``transcripts.json``; the stereo file's two channels are read one by one), scored after
  whisper's English text normaliser on both sides; the baseline in the same run is the empty
  transcript (WER 1.0) and, for the speech found, the VAD's share of the reference time.
- **der**: ``bench/speakers.py`` with the profile's VAD and voices, beside the spectral baseline.
- **ocr**: ``bench/ocr.py`` (rendered slides with known text in a compressed video).
- **speed**: a talk-like video (``bench/talk.py``: slides changing, espeak-ng speech ~60% of the
  time) ingested with the profile in a fresh process: real-time factor and seconds per stage,
  beside pure decoding of the same file measured in the same run (``--repeat N``: N rounds of
  decode then ingests, each ingest divided by its own round's decode; the median round is kept).
  Only lite: ``--profile lite --parts speed``.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data"


# -- words ---------------------------------------------------------------------------------------

def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance between word lists (substitutions + deletions + insertions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp))
        previous = current
    return previous[-1]


def normalise(text: str) -> list[str]:
    from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()(text).split()


def read_audio(path: Path, channel: int | None = None) -> np.ndarray:
    """16 kHz mono float32 (one channel of a stereo file when ``channel`` is given)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        layout = "stereo" if channel is not None else "mono"
        resampler = av.AudioResampler(format="flt", layout=layout, rate=16_000)
        parts = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                parts.append(out.to_ndarray())
        for out in resampler.resample(None):
            parts.append(out.to_ndarray())
    samples = np.concatenate(parts, axis=1) if parts else np.zeros((1, 0), np.float32)
    if channel is not None:  # packed stereo: interleaved in one row
        samples = samples.reshape(-1, 2).T[channel][None]
    return samples[0].astype(np.float32)


def wer_cases(data: Path) -> list[tuple[str, np.ndarray, str]]:
    cases = []
    jfk = data / "audio" / "jfk.flac"
    if jfk.is_file():
        cases.append(("jfk.flac", read_audio(jfk), "And so, my fellow Americans, ask not what your country can do "
                                                   "for you, ask what you can do for your country."))
    folder = data / "audio" / "read-speech"
    texts = json.loads((folder / "transcripts.json").read_text()) if (folder / "transcripts.json").is_file() else {}
    for name, text in sorted(texts.items()):
        if isinstance(text, str):
            cases.append((name, read_audio(folder / name), text))
        else:
            for index, side in enumerate(("left", "right")):
                cases.append((f"{name}:{side}", read_audio(folder / name, channel=index), text[side]))
    return cases


def run_wer(data: Path, profile_name: str) -> dict:
    from mnemo.config import load_profile
    from perception.speech import create_transcriber, detect_speech

    speech = load_profile(profile_name).speech
    transcriber = create_transcriber(speech.asr, **dict(speech.asr_options))
    rows, errors, words, seconds, audio_s = [], 0, 0, 0.0, 0.0
    for name, samples, reference in wer_cases(data):
        started = time.perf_counter()
        segments = detect_speech(samples, 0.0, name, vad=speech.vad, **dict(speech.vad_options))
        hypothesis = " ".join(t.text for t in transcriber.transcribe(segments))
        spent = time.perf_counter() - started
        ref, hyp = normalise(reference), normalise(hypothesis)
        wrong = word_errors(ref, hyp)
        rows.append({"file": name, "words": len(ref), "errors": wrong, "wer": wrong / max(1, len(ref)),
                     "text": hypothesis, "seconds": spent, "audio_s": len(samples) / 16_000})
        errors, words, seconds, audio_s = errors + wrong, words + len(ref), seconds + spent, audio_s + len(samples) / 16_000
    return {"model": transcriber.name, "vad": speech.vad, "files": rows, "wer": errors / max(1, words),
            "words": words, "baseline_empty_wer": 1.0 if words else None,
            "realtime_factor": audio_s / seconds if seconds else None}


# -- voices and screen text (their own benches, run as they are) ---------------------------------

def run_script(script: str, *args: str) -> str | None:
    """Run ``bench/<script>`` and return what it printed, None when it failed."""
    command = [sys.executable, str(REPO / "bench" / script), *args]
    run = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    if run.returncode != 0:
        logging.error("%s failed (%d): %s", script, run.returncode, run.stderr[-2000:])
        return None
    return run.stdout


def run_der(data: Path, profile_name: str) -> dict | None:
    """bench/speakers.py with the profile's VAD and voices, per whole file and per 10 s event."""
    from mnemo.config import load_profile

    speech = load_profile(profile_name).speech
    base = ["--data", str(data / "audio"), "--voices", str(speech.voices), "--vad", str(speech.vad),
            "--vad-options", json.dumps(dict(speech.vad_options))]
    # whole files with the floors of a one-voice-at-a-time answer (overlap; VAD + overlap) beside them
    whole, events = run_script("speakers.py", *base, "--floors"), run_script("speakers.py", *base, "--event-s", "10")
    return None if whole is None or events is None else {"whole_files": whole, "per_10s_event": events}


def run_ocr(out: Path) -> dict | None:
    """bench/ocr.py (30 rendered slides, seed 1): its JSON figures."""
    printed = run_script("ocr.py", "--slides", "30", "--seed", "1", "--out", str(out), "--json")
    if printed is None:
        return None
    lines = printed.splitlines()
    return json.loads("\n".join(lines[lines.index("{"):]))


# -- speed ---------------------------------------------------------------------------------------

def child_ingest(video: str, memory: str, profile: str) -> dict:
    import mnemo

    with mnemo.open(memory, profile=profile, create=True) as mem:
        loaded = time.perf_counter()
        mem.encoders
        load_s = time.perf_counter() - loaded
        report = mem.ingest(video)
        used = mem.encoders.profile.name
    return {"profile": used, "load_s": load_s, "wall_s": report.wall_seconds, "media_s": report.media_seconds,
            "events": report.events, "stages": report.stages}


def child_decode(video: str) -> dict:
    import av

    started = time.perf_counter()
    with av.open(video) as container:
        streams = [container.streams.video[0], container.streams.audio[0]]
        streams[0].thread_type = "AUTO"
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16_000)
        for packet in container.demux(*streams):
            for frame in packet.decode():
                if packet.stream.type == "audio":
                    resampler.resample(frame)
    return {"wall_s": time.perf_counter() - started}


def in_child(function: str, *args: str) -> dict:
    code = (f"import sys, json; sys.path.insert(0, {str(REPO)!r}); sys.path.insert(0, {str(REPO / 'bench')!r}); "
            f"import real_media; print(json.dumps(real_media.{function}(*sys.argv[1:])))")
    run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO)
    if run.returncode != 0:
        raise RuntimeError(f"{function} failed: {run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def run_speed(out: Path, profile: str, minutes: float, repeat: int = 1) -> dict:
    """Pure decode, then each profile's ingest, ``repeat`` rounds; each ingest is divided by the
    decode of its own round (the machine's load moves between rounds, less within one).

    The figures kept per profile are its median round's; ``vs_decode_runs`` holds every round's.
    """
    sys.path.insert(0, str(REPO / "bench"))
    from talk import make_talk

    video = make_talk(out / "talk", minutes=minutes)
    names = list(dict.fromkeys([profile, "lite"]))
    rounds: list[dict] = []
    for _ in range(max(1, repeat)):
        decode = in_child("child_decode", str(video))
        runs = {"decode": decode}
        for name in names:
            run = ingest_once(out / f"memory-{name}", video, name)
            run["realtime_factor"] = run["media_s"] / run["wall_s"]
            run["vs_decode"] = run["wall_s"] / decode["wall_s"]
            runs[name] = run
        rounds.append(runs)
    results: dict = {"video": str(video), "minutes": minutes, "rounds": len(rounds)}
    for name in names:
        ratios = [r[name]["vs_decode"] for r in rounds]
        median = sorted(rounds, key=lambda r: r[name]["vs_decode"])[(len(rounds) - 1) // 2]
        results[name] = {**median[name], "vs_decode_runs": ratios, "decode_s": median["decode"]["wall_s"]}
    results["decode"] = {"wall_s": float(np.median([r["decode"]["wall_s"] for r in rounds])),
                         "runs": [r["decode"]["wall_s"] for r in rounds]}
    return results


def ingest_once(memory: Path, video: Path, profile: str) -> dict:
    """One ingest of ``video`` into a fresh ``memory`` with ``profile``, in a child process."""
    if memory.exists():
        import shutil

        shutil.rmtree(memory)
    return in_child("child_ingest", str(video), str(memory), profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--parts", default="wer,der,ocr,speed")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=1,
                        help="speed: rounds of (pure decode, each profile's ingest); medians and spreads are printed")
    parser.add_argument("--out", type=Path, default=Path("out/bench/real_media"))
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON only.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    parts = set(args.parts.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict = {"profile": args.profile}
    if "wer" in parts:
        report["wer"] = run_wer(args.data, args.profile)
    if "der" in parts:
        report["der"] = run_der(args.data, args.profile)
    if "ocr" in parts:
        report["ocr"] = run_ocr(args.out / "ocr")
    if "speed" in parts:
        report["speed"] = run_speed(args.out, args.profile, args.minutes, args.repeat)
    (args.out / "report.json").write_text(json.dumps(report, indent=1, default=float))
    if args.json:
        print(json.dumps(report, default=float))
        return
    print_report(report)


def print_report(report: dict) -> None:
    wer = report.get("wer")
    if wer:
        print(f"WER ({wer['model']}, VAD {wer['vad']}): {wer['wer']:.3f} over {wer['words']} words "
              f"(empty-transcript baseline 1.000); {wer['realtime_factor']:.1f}x real time")
        for row in wer["files"]:
            print(f"  {row['file']:32s} {row['errors']:2d}/{row['words']:2d} words wrong  {row['text']!r}")
    if report.get("der"):
        for name, printed in report["der"].items():
            print(f"DER ({name}, bench/speakers.py):")
            lines = printed.strip().splitlines()
            print("\n".join("  " + line for line in lines[max(i for i, x in enumerate(lines) if x.startswith("==")):]))
    if report.get("ocr"):
        print(f"OCR (bench/ocr.py, 30 slides, seed 1): {json.dumps(report['ocr'], default=float)[:1500]}")
    speed = report.get("speed")
    if speed:
        decodes = ", ".join(f"{s:.1f}" for s in speed["decode"]["runs"])
        print(f"speed on a {speed['minutes']:.0f}-minute talk ({speed['video']}); pure decode "
              f"{speed['decode']['wall_s']:.1f} s ({60 * speed['minutes'] / speed['decode']['wall_s']:.0f}x), "
              f"median of {speed['rounds']} round(s): {decodes} s")
        for name, run in speed.items():
            if isinstance(run, dict) and "stages" in run:
                stages = ", ".join(f"{k} {v:.1f}" for k, v in sorted(run["stages"].items()))
                ratios = run["vs_decode_runs"]
                spread = f" (rounds {min(ratios):.2f}-{max(ratios):.2f})" if len(ratios) > 1 else ""
                print(f"  {name} (ran as {run['profile']}): {run['realtime_factor']:.1f}x real time, "
                      f"{run['wall_s']:.1f} s = {run['vs_decode']:.2f}x its round's decode of {run['decode_s']:.1f} s"
                      f"{spread}, {run['events']} events, models loaded in {run['load_s']:.1f} s; stages s: {stages}")


if __name__ == "__main__":
    main()
