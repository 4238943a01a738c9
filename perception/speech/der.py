"""Who-spoke-when files (RTTM) and the diarization error rate (DER).

DER follows NIST md-eval: over the scored time, (missed speech + false alarm + speaker confusion)
divided by the total reference speech, where overlapping speech counts once per speaker. Reference
and hypothesis speakers are mapped one to one to maximise their overlap (Hungarian assignment).
A collar around every reference boundary is not scored (0.25 s on each side is customary).
"""

from __future__ import annotations

import io
import os
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping, TextIO

import numpy as np


@dataclass(frozen=True)
class Turn:
    """One speaker talking from ``start`` to ``end`` (seconds)."""

    start: float
    end: float
    speaker: str


@dataclass(frozen=True)
class DERResult:
    """DER and its parts, in seconds of scored speech."""

    total: float  # reference speech scored (overlap counted per speaker)
    missed: float  # reference speech with fewer hypothesis speakers than reference speakers
    false_alarm: float  # hypothesis speech beyond the number of reference speakers
    confusion: float  # speech given to a speaker not mapped to the reference one
    mapping: dict[str, str]  # hypothesis speaker -> reference speaker

    @property
    def der(self) -> float:
        """(missed + false alarm + confusion) / total; 0 when both are silent, inf for speech with none in the reference."""
        errors = self.missed + self.false_alarm + self.confusion
        if self.total > 0:
            return errors / self.total
        return 0.0 if errors == 0 else float("inf")

    def rate(self, part: str) -> float:
        """One part (``"missed"``, ``"false_alarm"``, ``"confusion"``) over the total."""
        return getattr(self, part) / self.total if self.total > 0 else 0.0


def read_rttm(source: str | os.PathLike | TextIO) -> dict[str, list[Turn]]:
    """``{file id: turns}`` of an RTTM file (``SPEAKER`` lines; other line types are skipped)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, encoding="utf-8") as file:
            return read_rttm(file)
    turns: dict[str, list[Turn]] = defaultdict(list)
    for number, line in enumerate(source, 1):
        fields = line.split()
        if not fields or fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise ValueError(f"RTTM line {number}: expected at least 8 fields, got {line.strip()!r}")
        try:
            start, duration = float(fields[3]), float(fields[4])
        except ValueError as error:
            raise ValueError(f"RTTM line {number}: bad start or duration in {line.strip()!r}") from error
        if duration < 0:
            raise ValueError(f"RTTM line {number}: negative duration {duration}")
        turns[fields[1]].append(Turn(start, start + duration, fields[7]))
    return {file_id: sorted(ts, key=lambda t: (t.start, t.end)) for file_id, ts in turns.items()}


def write_rttm(turns: Iterable[Turn], file_id: str, target: str | os.PathLike | TextIO | None = None) -> str:
    """RTTM text of ``turns`` for ``file_id``; also written to ``target`` when given."""
    out = io.StringIO()
    for turn in sorted(turns, key=lambda t: (t.start, t.end)):
        out.write(
            f"SPEAKER {file_id} 1 {turn.start:.3f} {turn.end - turn.start:.3f} <NA> <NA> {turn.speaker} <NA> <NA>\n"
        )
    text = out.getvalue()
    if isinstance(target, (str, os.PathLike)):
        with open(target, "w", encoding="utf-8") as file:
            file.write(text)
    elif target is not None:
        target.write(text)
    return text


def diarization_error(
    reference: Iterable[Turn],
    hypothesis: Iterable[Turn],
    collar: float = 0.25,
    uem: tuple[float, float] | None = None,
) -> DERResult:
    """DER of ``hypothesis`` against ``reference``.

    ``collar``: seconds not scored on each side of every reference boundary. ``uem``: the only
    span scored, (start, end); None scores everything.
    """
    if collar < 0:
        raise ValueError(f"collar={collar}: expected seconds >= 0")
    ref = _merge_by_speaker(reference)
    hyp = _merge_by_speaker(hypothesis)
    cuts = _cut_points(ref, hyp, collar, uem)
    if len(cuts) < 2:
        return DERResult(0.0, 0.0, 0.0, 0.0, {})
    widths = np.diff(cuts)
    middles = (cuts[:-1] + cuts[1:]) / 2
    weights = widths * _scored(middles, ref, collar, uem)
    ref_names, ref_active = _activity(ref, middles)
    hyp_names, hyp_active = _activity(hyp, middles)
    mapping = _optimal_mapping(ref_active, hyp_active, weights)
    n_ref = ref_active.sum(axis=0)
    n_hyp = hyp_active.sum(axis=0)
    correct = np.zeros_like(weights)
    for h, r in mapping.items():
        correct += ref_active[r] & hyp_active[h]
    return DERResult(
        total=float(np.sum(weights * n_ref)),
        missed=float(np.sum(weights * np.maximum(n_ref - n_hyp, 0))),
        false_alarm=float(np.sum(weights * np.maximum(n_hyp - n_ref, 0))),
        confusion=float(np.sum(weights * (np.minimum(n_ref, n_hyp) - correct))),
        mapping={hyp_names[h]: ref_names[r] for h, r in mapping.items()},
    )


def total_error(results: Iterable[DERResult]) -> DERResult:
    """Several files' results summed (the overall DER weights files by their speech)."""
    results = list(results)
    return DERResult(
        total=sum(r.total for r in results),
        missed=sum(r.missed for r in results),
        false_alarm=sum(r.false_alarm for r in results),
        confusion=sum(r.confusion for r in results),
        mapping={},
    )


def _merge_by_speaker(turns: Iterable[Turn]) -> dict[str, np.ndarray]:
    """``{speaker: (k, 2) array}`` of each speaker's disjoint, sorted spans (overlaps merged)."""
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for turn in turns:
        if turn.end > turn.start:
            spans[turn.speaker].append((turn.start, turn.end))
    merged: dict[str, np.ndarray] = {}
    for speaker, items in spans.items():
        items.sort()
        out = [list(items[0])]
        for start, end in items[1:]:
            if start <= out[-1][1]:
                out[-1][1] = max(out[-1][1], end)
            else:
                out.append([start, end])
        merged[speaker] = np.asarray(out, dtype=np.float64)
    return merged


def _cut_points(ref: Mapping[str, np.ndarray], hyp: Mapping[str, np.ndarray], collar: float,
                uem: tuple[float, float] | None) -> np.ndarray:
    """Every time where what is active or scored may change, sorted and unique."""
    parts = [spans.ravel() for spans in (*ref.values(), *hyp.values())]
    ref_bounds = np.concatenate([s.ravel() for s in ref.values()]) if ref else np.zeros(0)
    if collar > 0:
        parts += [ref_bounds - collar, ref_bounds + collar]
    points = np.concatenate(parts) if parts else np.zeros(0)
    if uem is not None:
        points = np.clip(np.concatenate([points, uem]), uem[0], uem[1])
    return np.unique(points)


def _scored(times: np.ndarray, ref: Mapping[str, np.ndarray], collar: float,
            uem: tuple[float, float] | None) -> np.ndarray:
    """1.0 where ``times`` are scored, 0.0 inside a collar or outside the UEM."""
    keep = np.ones(len(times), dtype=bool)
    if uem is not None:
        keep &= (times >= uem[0]) & (times < uem[1])
    if collar > 0:
        for spans in ref.values():
            for bound in spans.ravel():
                keep &= np.abs(times - bound) >= collar
    return keep.astype(np.float64)


def _activity(spans: Mapping[str, np.ndarray], times: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Speaker names and an (n_speakers, n_times) boolean matrix of who is active when."""
    names = sorted(spans)
    active = np.zeros((len(names), len(times)), dtype=bool)
    for row, name in enumerate(names):
        for start, end in spans[name]:
            active[row] |= (times >= start) & (times < end)
    return names, active


def _optimal_mapping(ref_active: np.ndarray, hyp_active: np.ndarray, weights: np.ndarray) -> dict[int, int]:
    """Hypothesis row -> reference row, one to one, maximising the total co-active scored time."""
    if len(ref_active) == 0 or len(hyp_active) == 0:
        return {}
    from scipy.optimize import linear_sum_assignment

    overlap = (hyp_active * weights) @ ref_active.T.astype(np.float64)
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    return {int(h): int(r) for h, r in zip(rows, cols) if overlap[h, r] > 0}
