"""Second voices for overlapped speech, and voices for the speech the VAD missed.

The voice turns of :mod:`perception.speech.diarize` give each instant one voice. The speaker
segmentation model (:mod:`perception.speech.segmentation`) says, frame by frame, how many people
talk. Where it hears two, :func:`add_overlap_voices` adds a turn of a second voice, chosen
among the voices already found (no new voice is made here):

* by the model's own local speakers: in the 10 s window around the overlap, each local speaker
  is mapped to the voice its frames share most with the turns (one to one, Hungarian); the two
  local speakers most active in the overlap name the two voices, and the one that is not the
  turn's voice is the second;
* failing that (a local speaker heard only in the overlap), the nearest other voice in time
  within ``reach_s`` seconds (people overlap mostly as one turn ends and the next begins).

With ``fill``, speech the model hears beside a turn but the VAD did not pass (a soft onset, the
end of a phrase) takes the voice of the nearest turn within ``fill_reach_s`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from perception.options import build_options
from perception.speech.turns import SpeakerTurn
from perception.speech.segmentation import SegmentationResult


@dataclass(frozen=True)
class OverlapOptions:
    # expected number of speakers above which a frame holds two (the model's average over windows)
    threshold: float = 1.3
    # overlaps shorter than this are ignored, seconds
    min_overlap_s: float = 0.1
    # the nearest-voice fallback looks this far before and after an overlap, seconds
    reach_s: float = 5.0
    # give speech the model hears next to a turn, missed by the VAD, that turn's voice
    fill: bool = True
    # expected number of speakers above which a frame is speech (for fill)
    fill_threshold: float = 0.5
    # fill only this close to a turn, seconds
    fill_reach_s: float = 1.0

    def __post_init__(self) -> None:
        for name in ("threshold", "fill_threshold"):
            if not 0.0 < getattr(self, name) < 2.0:
                raise ValueError(f"OverlapOptions.{name}={getattr(self, name)!r}: expected a speaker count in (0, 2)")
        for name in ("min_overlap_s", "reach_s", "fill_reach_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"OverlapOptions.{name}={getattr(self, name)!r}: expected seconds >= 0")


def add_overlap_voices(turns: Sequence[SpeakerTurn], seg: SegmentationResult, **options) -> list[SpeakerTurn]:
    """``turns`` (one stream's) with filled speech (``filled=True``) and second-voice turns
    (``second=True``) added."""
    opts = build_options(OverlapOptions, "add_overlap_voices", options)
    primary = [t for t in turns if not t.second]  # filled turns count as the voice's own
    if not primary or len(seg.speakers) == 0:
        return list(turns)
    stream = primary[0].stream
    times = seg.start + seg.step * np.arange(len(seg.speakers))
    labels = _frame_labels(primary, times)
    out = list(turns)
    if opts.fill:
        filled = _fill(labels, seg.speakers > opts.fill_threshold, int(round(opts.fill_reach_s / seg.step)))
        out += _runs(stream, times, seg.step, np.where(labels < 0, filled, -1), filled=True)
        labels = np.where(labels < 0, filled, labels)
    overlap = seg.speakers > opts.threshold
    second = np.full(len(labels), -1, dtype=np.int64)
    reach = int(round(opts.reach_s / seg.step))
    for first, last in _mask_runs(overlap):
        if (last - first) * seg.step < opts.min_overlap_s:
            continue
        second[first:last] = _second_voices(seg, labels, overlap, first, last, reach)
    out += _runs(stream, times, seg.step, second, second=True)
    return sorted(out, key=lambda t: (t.start, t.end, t.second))


def _frame_labels(turns: Sequence[SpeakerTurn], times: np.ndarray) -> np.ndarray:
    labels = np.full(len(times), -1, dtype=np.int64)
    for turn in turns:
        labels[(times >= turn.start) & (times < turn.end) & (labels < 0)] = turn.voice
    return labels


def _fill(labels: np.ndarray, speech: np.ndarray, reach: int) -> np.ndarray:
    """For unlabelled speech frames within ``reach`` frames of a label, the nearest label; -1 elsewhere."""
    out = np.full(len(labels), -1, dtype=np.int64)
    known = np.flatnonzero(labels >= 0)
    if not len(known) or reach <= 0:
        return out
    for i in np.flatnonzero(speech & (labels < 0)):
        j = int(np.searchsorted(known, i))
        near = [k for k in (known[j - 1] if j > 0 else None, known[j] if j < len(known) else None) if k is not None]
        best = min(near, key=lambda k: abs(k - i))
        if abs(best - i) <= reach and _contiguous(speech, min(best, i), max(best, i)):
            out[i] = labels[best]
    return out


def _contiguous(speech: np.ndarray, a: int, b: int) -> bool:
    """Whether the model hears speech all the way from frame ``a`` to ``b`` (the gap is one phrase)."""
    return bool(speech[a + 1 : b].all())


def _second_voices(seg: SegmentationResult, labels: np.ndarray, overlap: np.ndarray, first: int, last: int,
                   reach: int) -> np.ndarray:
    """The second voice of each frame in [first, last): -1 where none can be named."""
    mains = labels[first:last]
    out = np.full(last - first, -1, dtype=np.int64)
    mapped = _local_pair(seg, labels, overlap, first, last)
    if mapped is not None:
        a, b = mapped
        out = np.where(mains == a, b, np.where(mains == b, a, -1))
    todo = out < 0
    if todo.any():
        nearest = _nearest_other(labels, first, last, reach)
        for i in np.flatnonzero(todo):
            out[i] = nearest.get(int(mains[i]), -1)
    return out


def _local_pair(seg: SegmentationResult, labels: np.ndarray, overlap: np.ndarray, first: int,
                last: int) -> tuple[int, int] | None:
    """The two voices the model's two most active local speakers in the overlap map to, if both map."""
    from scipy.optimize import linear_sum_assignment

    window = _best_window(seg, first, last)
    if window is None:
        return None
    offset, activity = window
    index = offset + np.arange(len(activity))
    inside = (index >= 0) & (index < len(labels))
    index, activity = index[inside], activity[inside]
    voices = sorted({int(v) for v in labels[index] if v >= 0})
    if len(voices) < 2:
        return None
    alone = ~overlap[index]
    shared = np.stack([(activity * ((labels[index] == v) & alone)[:, None]).sum(axis=0) for v in voices], axis=1)
    rows, cols = linear_sum_assignment(shared, maximize=True)
    mapping = {int(r): voices[c] for r, c in zip(rows, cols) if shared[r, c] > 0}
    span = (index >= first) & (index < last)
    if not span.any():
        return None
    top = np.argsort(-activity[span].mean(axis=0))[:2]
    if not all(int(k) in mapping for k in top):
        return None
    return mapping[int(top[0])], mapping[int(top[1])]


def _best_window(seg: SegmentationResult, first: int, last: int) -> tuple[int, np.ndarray] | None:
    """(frame offset, activities) of the window that holds the overlap most centrally."""
    best, best_score = None, None
    middle = (first + last) / 2
    for start, activity in seg.windows:
        offset = int(round((start - (seg.start - seg.window_centre)) / seg.step))
        if offset > first or offset + len(activity) < last:
            continue
        score = abs(offset + len(activity) / 2 - middle)
        if best_score is None or score < best_score:
            best, best_score = (offset, activity), score
    return best


def _nearest_other(labels: np.ndarray, first: int, last: int, reach: int) -> dict[int, int]:
    """For each voice in [first, last), the nearest other voice outside it within ``reach`` frames."""
    out: dict[int, int] = {}
    for main in {int(v) for v in labels[first:last]}:
        before = [i for i in range(first - 1, max(first - reach, 0) - 1, -1) if labels[i] >= 0 and labels[i] != main]
        after = [i for i in range(last, min(last + reach, len(labels))) if labels[i] >= 0 and labels[i] != main]
        near = [(first - before[0], int(labels[before[0]]))] if before else []
        near += [(after[0] - last + 1, int(labels[after[0]]))] if after else []
        if near:
            out[main] = min(near)[1]
    return out


def _mask_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _runs(stream: str, times: np.ndarray, step: float, labels: np.ndarray, second: bool = False,
          filled: bool = False) -> list[SpeakerTurn]:
    turns = []
    for voice in {int(v) for v in labels if v >= 0}:
        for first, last in _mask_runs(labels == voice):
            turns.append(SpeakerTurn(stream, float(times[first] - step / 2), float(times[last - 1] + step / 2),
                                     voice, second, filled))
    return turns

