"""Voice activity detection scored against RTTM truth: recall per file and per speaker, false alarms.

    python bench/vad.py [--vad silero] [--vad-options '{"min_voiced": 0}'] [--sets dev,quiet,farfield,noise]

Development files only (``ami-dev/dev00``, ``dev01``, ``two-speakers/sample``; never the held-out
``tst`` files). Four sets:

* **dev**: the files as recorded;
* **quiet**: each file with one speaker's solo speech (where that person talks and nobody else)
  turned down by 12 and 20 dB, and the whole file turned down by 20 dB, each with pink room noise
  added at the file's own noise floor (the level of its quietest frames), so the quiet speech is
  12-20 dB closer to the noise than recorded: a far or soft talker in the same room;
* **farfield** (``bench/farfield.py``): each file reverberant (RT60 0.3 and 0.8 s, direct-to-reverberant
  ratio 0 and -10 dB), band-limited to 300-3400 Hz, under babble of the other files at 5 and 15 dB
  below its speech, reverberant (RT60 0.6 s, DRR -6 dB) and band-limited, that with babble, and its
  short turns (at most 1 s) alone; totals per kind (``reverb``, ``band``, ``babble``, ``reverb+band``,
  ``farfield``, ``short``). Under babble the crowd is speech
  too, so what is detected outside the file's own speech there is not all false;
* **noise**: 30 s of noise and no speech (pink noise at -70 and -45 dBFS, brown rumble with a
  50 Hz hum, white hiss, and the first file's noise floor, all seeded), where everything
  detected is a false alarm.

Per case: the share of the reference speech inside the VAD's segments (recall, speakers merged),
the recall of each speaker (for the quiet sets, the turned-down one is marked ``*``), and the
seconds detected outside the reference speech widened by ``--collar`` (false alarms; padding
around true speech is not counted). Then totals per set. ``--asr PROFILE`` also runs that
profile's recogniser on the segments and counts the words whose middle lies outside the widened
reference speech (noise or unannotated sounds read as text) beside all the words it wrote.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from perception.speech.der import Turn  # noqa: E402
from perception.speech.vad import detect_speech  # noqa: E402

from bench.farfield import degradations  # noqa: E402
from bench.short_speech import DEV_WAVS, decode, dev_references  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "audio"
RATE = 16000
STEP = 0.01  # seconds per scoring frame


@dataclass
class Case:
    name: str
    set: str
    samples: np.ndarray
    reference: list[Turn]
    quiet: str = ""  # the speaker turned down, "*" for the whole file, "" for none


def pink_noise(rng: np.random.Generator, n: int, level_db: float, exponent: float = 1.0) -> np.ndarray:
    """``n`` samples of noise with power falling as 1/f**exponent (1: pink, 2: brown, 0: white) at an
    RMS of ``level_db`` dBFS."""
    spectrum = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    freqs = np.fft.rfftfreq(n, 1.0 / RATE)
    spectrum *= np.where(freqs > 20.0, np.maximum(freqs, 20.0) ** (-exponent / 2), 0.0)
    noise = np.fft.irfft(spectrum, n)
    noise *= 10 ** (level_db / 20) / (np.sqrt(np.mean(noise**2)) + 1e-20)
    return noise.astype(np.float32)


def noise_floor_db(samples: np.ndarray, percentile: float = 5.0) -> float:
    """Level (dBFS) of the quietest 30 ms frames: the room noise under the speech."""
    frames = samples[: len(samples) // 480 * 480].reshape(-1, 480).astype(np.float64)
    levels = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    return float(np.percentile(levels, percentile))


def solo_gain(reference: list[Turn], speaker: str, n: int, gain_db: float, ramp_s: float = 0.02) -> np.ndarray:
    """Per-sample gain: ``gain_db`` where only ``speaker`` talks, 1 elsewhere, with short ramps."""
    times = np.arange(n) / RATE
    own = np.zeros(n, bool)
    others = np.zeros(n, bool)
    for turn in reference:
        inside = (times >= turn.start) & (times < turn.end)
        if turn.speaker == speaker:
            own |= inside
        else:
            others |= inside
    gain = np.where(own & ~others, 10 ** (gain_db / 20), 1.0)
    width = max(1, int(ramp_s * RATE))
    return np.convolve(gain, np.ones(width) / width, mode="same").astype(np.float32)


def quiet_cases(name: str, samples: np.ndarray, reference: list[Turn], seed: int) -> list[Case]:
    """The file with each speaker's solo speech at -12 and -20 dB, and all of it at -20 dB, with
    pink noise at the file's noise floor added to each."""
    rng = np.random.default_rng(seed)
    floor = noise_floor_db(samples)
    out: list[Case] = []
    for speaker in sorted({t.speaker for t in reference}):
        for gain_db in (-12.0, -20.0):
            quieter = samples * solo_gain(reference, speaker, len(samples), gain_db)
            noisy = quieter + pink_noise(rng, len(samples), floor)
            out.append(Case(f"{name}:{speaker}{gain_db:+.0f}dB", "quiet", noisy.astype(np.float32), reference, speaker))
    whole = samples * 10 ** (-20 / 20) + pink_noise(rng, len(samples), floor)
    out.append(Case(f"{name}:all-20dB", "quiet", whole.astype(np.float32), reference, "*"))
    return out


def noise_cases(floor_db: float, seed: int, seconds: float = 30.0) -> list[Case]:
    """Speech-free noise: pink at -70 and -45 dBFS, brown rumble with mains hum, white hiss, and
    pink at a real recording's floor."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    hum = 10 ** (-55 / 20) * np.sin(2 * np.pi * 50.0 * np.arange(n) / RATE) * np.sqrt(2)
    return [
        Case("pink-70dB", "noise", pink_noise(rng, n, -70.0), []),
        Case("pink-45dB", "noise", pink_noise(rng, n, -45.0), []),
        Case("brown+hum", "noise", (pink_noise(rng, n, -50.0, exponent=2.0) + hum).astype(np.float32), []),
        Case("white-60dB", "noise", pink_noise(rng, n, -60.0, exponent=0.0), []),
        Case(f"pink-at-floor({floor_db:.0f}dB)", "noise", pink_noise(rng, n, floor_db), []),
    ]


def farfield_cases(name: str, samples: np.ndarray, reference: list[Turn], others: list[np.ndarray],
                   seed: int) -> list[Case]:
    """The file reverberant, band-limited, under babble, all three, and its short turns alone
    (``bench/farfield.py``)."""
    floor = pink_noise(np.random.default_rng(seed), len(samples), noise_floor_db(samples))
    return [Case(case, kind, degraded, turns)
            for kind, case, degraded, turns in degradations(name, samples, reference, others, floor, seed)]


def build_cases(data: Path, sets: set[str], seed: int = 0) -> list[Case]:
    references = dev_references(data)
    audio = {f: decode(data / DEV_WAVS[f]) for f in DEV_WAVS}
    cases: list[Case] = []
    for i, (name, samples) in enumerate(audio.items()):
        if "dev" in sets:
            cases.append(Case(name, "dev", samples, references[name]))
        if "quiet" in sets:
            cases += quiet_cases(name, samples, references[name], seed + i)
        if "farfield" in sets:
            others = [a for other, a in audio.items() if other != name]
            cases += farfield_cases(name, samples, references[name], others, seed + i)
    if "noise" in sets:
        cases += noise_cases(noise_floor_db(audio["dev00"]), seed)
    return cases


def _mask(spans: list[tuple[float, float]], n: int) -> np.ndarray:
    times = np.arange(n) * STEP + STEP / 2
    out = np.zeros(n, bool)
    for a, b in spans:
        out |= (times >= a) & (times < b)
    return out


@dataclass
class Score:
    speech: float  # seconds of reference speech
    found: float  # seconds of it inside the VAD's segments
    false_alarm: float  # seconds detected outside the reference speech widened by the collar
    per_speaker: dict[str, tuple[float, float]]  # speaker -> (found, speech) seconds
    words: int = 0  # words the recogniser wrote (--asr)
    stray_words: int = 0  # of them, outside the reference speech widened by the collar

    @property
    def recall(self) -> float:
        return self.found / self.speech if self.speech else float("nan")


def score(reference: list[Turn], speech: list[tuple[float, float]], duration: float, collar: float) -> Score:
    n = int(round(duration / STEP))
    found = _mask(speech, n)
    spoken = _mask([(t.start, t.end) for t in reference], n)
    widened = _mask([(t.start - collar, t.end + collar) for t in reference], n)
    per_speaker = {}
    for speaker in sorted({t.speaker for t in reference}):
        own = _mask([(t.start, t.end) for t in reference if t.speaker == speaker], n)
        per_speaker[speaker] = ((own & found).sum() * STEP, own.sum() * STEP)
    return Score(spoken.sum() * STEP, (spoken & found).sum() * STEP, (found & ~widened).sum() * STEP, per_speaker)


def stray_words(reference: list[Turn], transcripts, collar: float) -> tuple[int, int]:
    """(words written, words whose middle lies outside the reference speech widened by ``collar``)."""
    words = [w for t in transcripts for w in t.words]
    inside = [any(t.start - collar <= (w.start + w.end) / 2 < t.end + collar for t in reference) for w in words]
    return len(words), inside.count(False)


def run(cases: list[Case], vad: str, options: dict, collar: float, transcriber=None) -> dict[str, list[tuple[Case, Score]]]:
    results: dict[str, list[tuple[Case, Score]]] = {}
    for case in cases:
        segments = detect_speech(case.samples, 0.0, case.name, vad=vad, **options)
        result = score(case.reference, [(s.start, s.end) for s in segments], len(case.samples) / RATE, collar)
        words = ""
        if transcriber is not None:
            result.words, result.stray_words = stray_words(case.reference, transcriber.transcribe(segments), collar)
            words = f"  words {result.words:3d} ({result.stray_words} outside speech)"
        results.setdefault(case.set, []).append((case, result))
        speakers = "  ".join(f"{s}{'*' if s == case.quiet or case.quiet == '*' else ''} "
                             f"{100 * f / max(t, 1e-9):5.1f}%" for s, (f, t) in result.per_speaker.items())
        recall = f"recall {100 * result.recall:5.1f}% of {result.speech:5.1f}s" if result.speech else "no speech" + " " * 15
        print(f"{case.name:<26} {recall}  false alarm {result.false_alarm:5.2f}s{words}  {speakers}")
    return results


def summary(results: dict[str, list[tuple[Case, Score]]]) -> dict[str, dict[str, float]]:
    out = {}
    for name, rows in results.items():
        speech = sum(s.speech for _, s in rows)
        found = sum(s.found for _, s in rows)
        quiet = [s.per_speaker[c.quiet] for c, s in rows if c.quiet and c.quiet != "*"]
        out[name] = {"recall": found / speech if speech else float("nan"),
                     "false_alarm_s": sum(s.false_alarm for _, s in rows),
                     "quiet_speaker_recall": sum(f for f, _ in quiet) / sum(t for _, t in quiet) if quiet else float("nan"),
                     "words": sum(s.words for _, s in rows), "stray_words": sum(s.stray_words for _, s in rows),
                     "cases": len(rows)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--vad", default="silero")
    parser.add_argument("--vad-options", default='{"min_voiced": 0.0}', help="JSON VadOptions fields")
    parser.add_argument("--sets", default="dev,quiet,farfield,noise")
    parser.add_argument("--cases", default="", help="comma-separated shell patterns of case names: only the "
                        "cases matching one of them (e.g. 'dev01,*drr-6+band,pink*')")
    parser.add_argument("--collar", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--asr", default=None, help="also transcribe with this profile's recogniser (e.g. standard)")
    parser.add_argument("--json", action="store_true", help="print the totals as JSON at the end")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    cases = build_cases(args.data, set(args.sets.split(",")), args.seed)
    if args.cases:
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c.name, p) for p in args.cases.split(","))]
    options = json.loads(args.vad_options)
    print(f"== vad={args.vad} {options}")
    transcriber = None
    if args.asr:
        from mnemo.config import load_profile
        from perception.speech import create_transcriber

        speech = load_profile(args.asr).speech
        transcriber = create_transcriber(speech.asr, **dict(speech.asr_options))
    totals = summary(run(cases, args.vad, options, args.collar, transcriber))
    for name, total in totals.items():
        words = f"  words {total['words']} ({total['stray_words']} outside speech)" if transcriber else ""
        print(f"{name:<6} recall {100 * total['recall']:5.1f}%  false alarm {total['false_alarm_s']:5.2f}s  "
              f"turned-down speaker recall {100 * total['quiet_speaker_recall']:5.1f}%  ({total['cases']} cases){words}")
    if args.json:
        print(json.dumps(totals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
