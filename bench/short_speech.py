"""A development set of the hard case for voice counting: little speech per person.

Built from the development files only (``ami-dev/dev00``, ``dev01`` with ``debug.development.rttm``,
``two-speakers/sample``), never from the held-out ``tst`` files:

* **excerpts**: 6 s and 10 s cut from each file (reference turns clipped to them);
* **concatenations**: single-speaker stretches (reference time where exactly one person speaks) of
  2-4 people from different files, each person given only 0.8-2 s of speech in one or two pieces,
  in shuffled order with 0.5-1 s pauses of faint noise between them (seeded: the same set every run).

Each case is ``(id, samples at 16 kHz, reference turns)``. ``dev_cases`` gives the whole
development files the same way, plus ``ami-meeting/meeting.wav`` (4 people, no RTTM) for its voice
count only (reference ``None``, 4 speakers).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from perception.speech.der import Turn, read_rttm

RATE = 16000
DEV_RTTMS = {"dev00": "ami-dev/debug.development.rttm", "dev01": "ami-dev/debug.development.rttm",
             "sample": "two-speakers/sample.rttm"}
DEV_WAVS = {"dev00": "ami-dev/dev00.wav", "dev01": "ami-dev/dev01.wav", "sample": "two-speakers/sample.wav"}
MEETING = "ami-meeting/meeting.wav"
MEETING_PEOPLE = 4

Case = tuple[str, np.ndarray, "list[Turn] | None", int]  # id, samples, reference (None: unknown), people


def decode(path: Path) -> np.ndarray:
    """16 kHz mono float32 samples of a media file, decoded through streams as ingest does."""
    from streams import SamplingPolicy, open_source

    with open_source(str(path), SamplingPolicy(video=False, audio=True, text=False), require_video=False) as source:
        return np.concatenate([p.samples for p in source.packets() if hasattr(p, "samples")]).astype(np.float32)


def dev_references(data: Path) -> dict[str, list[Turn]]:
    """Reference turns of the development files (only their RTTMs are read)."""
    out: dict[str, list[Turn]] = {}
    for file_id, rttm in DEV_RTTMS.items():
        out[file_id] = read_rttm(data / rttm)[file_id]
    return out


def dev_cases(data: Path, meeting: bool = True) -> list[Case]:
    """The whole development files (and meeting.wav, count only, when present and asked)."""
    references = dev_references(data)
    cases: list[Case] = [(f, decode(data / DEV_WAVS[f]), references[f], len({t.speaker for t in references[f]}))
                         for f in DEV_WAVS]
    if meeting and (data / MEETING).is_file():
        cases.append(("meeting", decode(data / MEETING), None, MEETING_PEOPLE))
    return cases


def clip_turns(turns: list[Turn], start: float, end: float) -> list[Turn]:
    """``turns`` cut to [start, end) and shifted to start at 0."""
    return [Turn(max(t.start, start) - start, min(t.end, end) - start, t.speaker)
            for t in turns if min(t.end, end) - max(t.start, start) > 0]


def solo_stretches(turns: list[Turn], margin: float = 0.1, shortest: float = 0.5) -> list[tuple[str, float, float]]:
    """(speaker, start, end) where exactly that speaker talks, ``margin`` s inside each change,
    at least ``shortest`` s long."""
    bounds = sorted({t.start for t in turns} | {t.end for t in turns})
    out: list[tuple[str, float, float]] = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        active = {t.speaker for t in turns if t.start < b and t.end > a}
        if len(active) == 1:
            speaker = next(iter(active))
            if out and out[-1][0] == speaker and abs(out[-1][2] - a) < 1e-9:
                out[-1] = (speaker, out[-1][1], b)
            else:
                out.append((speaker, a, b))
    return [(s, a + margin, b - margin) for s, a, b in out if b - a - 2 * margin >= shortest]


def excerpts(audio: dict[str, np.ndarray], references: dict[str, list[Turn]],
             lengths: tuple[float, ...] = (6.0, 10.0)) -> list[Case]:
    """Excerpts of each file: for each length, consecutive cuts from 3 s (6 s) or 0 s (10 s)."""
    cases: list[Case] = []
    for file_id, samples in audio.items():
        duration = len(samples) / RATE
        for length in lengths:
            first = 3.0 if length < 10 else 0.0
            for start in np.arange(first, duration - length + 1e-6, 10.0):
                end = start + length
                truth = clip_turns(references[file_id], start, end)
                people = len({t.speaker for t in truth})
                if people:
                    cases.append((f"{file_id}@{start:g}+{length:g}", samples[int(start * RATE):int(end * RATE)],
                                  truth, people))
    return cases


def concatenations(audio: dict[str, np.ndarray], references: dict[str, list[Turn]], seed: int = 0,
                   budgets: tuple[float, ...] = (0.8, 1.2, 2.0), repeats: int = 2) -> list[Case]:
    """Single-speaker stretches of 2, 3 and 4 people, each given ``budget`` s of speech in one or
    two pieces, shuffled, with 0.5-1 s pauses of faint noise between them."""
    rng = np.random.default_rng(seed)
    pool: dict[str, list[tuple[str, float, float]]] = {}  # speaker -> (file, start, end)
    for file_id, turns in references.items():
        for speaker, a, b in solo_stretches(turns):
            pool.setdefault(speaker, []).append((file_id, a, b))
    speakers = sorted(pool)
    cases: list[Case] = []
    for people in (2, 3, 4):
        groups = list(itertools.combinations(speakers, people))
        for budget, repeat in itertools.product(budgets, range(repeats)):
            group = groups[int(rng.integers(len(groups)))]
            pieces: list[tuple[str, np.ndarray]] = []
            for speaker in group:
                parts = 2 if budget >= 1.2 and rng.random() < 0.5 else 1
                for _ in range(parts):
                    length = budget / parts
                    long_enough = [p for p in pool[speaker] if p[2] - p[1] >= length] or pool[speaker]
                    file_id, a, b = long_enough[int(rng.integers(len(long_enough)))]
                    length = min(length, b - a)
                    start = a + rng.random() * (b - a - length)
                    pieces.append((speaker, audio[file_id][int(start * RATE):int((start + length) * RATE)]))
            order = rng.permutation(len(pieces))
            samples, truth, clock = [], [], 0.0
            for i in order:
                pause = rng.uniform(0.5, 1.0)
                samples.append(_noise(rng, pause))
                clock += pause
                speaker, piece = pieces[i]
                samples.append(piece)
                truth.append(Turn(clock, clock + len(piece) / RATE, speaker))
                clock += len(piece) / RATE
            samples.append(_noise(rng, 0.5))
            name = f"mix{people}x{budget:g}s#{repeat}"
            cases.append((name, np.concatenate(samples).astype(np.float32), truth, people))
    return cases


def _noise(rng: np.random.Generator, seconds: float, level: float = 1e-3) -> np.ndarray:
    return (rng.standard_normal(int(seconds * RATE)) * level).astype(np.float32)


def short_cases(data: Path, seed: int = 0) -> list[Case]:
    """The short development set: excerpts, then concatenations."""
    references = dev_references(data)
    audio = {f: decode(data / DEV_WAVS[f]) for f in DEV_WAVS}
    return excerpts(audio, references) + concatenations(audio, references, seed)
