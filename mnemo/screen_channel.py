"""The segmenter's screen-text channel: the text on screen changing (a new slide, a new page).

Slides of one template differ by their text only: the frame vector hardly moves, the text does.
:class:`ScreenSignal` reads the text of sampled frames and gives the segmenter a reading per
observation:

- **which frames are read**: a frame whose screen changed since the last frame read and then held
  still (the frame after it shows the same, as the OCR stage judges it: at most ``same_frame`` of
  the 128x72 grey pixels changed by a tenth), at most one read per ``interval_s`` of media time.
  A slide talk costs about one read per slide; a moving camera, where nothing holds still, none.
- **the reading**: at the first frame of the still screen, ``1 - Jaccard`` of the character
  trigrams of the words read against those of the last frame read (a new slide: ~0.9; the same
  slide read again with OCR noise: ~0.1; no text before and after: 0), over at least
  ``MIN_TRIGRAMS`` (a short word appearing reads less than a screen of text); 0.0 at frames that show the
  screen last read; NaN elsewhere (the screen changed and was not read: unknown) and at the first
  read (nothing to compare with).

A reading at observation i is known once frame i + 1 has been seen (it decides whether i held
still): the ingest holds each observation until then (:meth:`ready`), one observation of lag.

Resume: the signal's state after each frame is a few values (the previous frame's signature, the
last read's signature, words and time); :meth:`state` keeps the one just before a boundary with the
event that ends there, and a resumed ingest starts from it, so it reads exactly what the
uninterrupted one read. :class:`RememberedReader` lets the event-level OCR stage reuse a read of
the same screen instead of reading it again.
"""

from __future__ import annotations

import io
import logging
import math
import time
import zipfile
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from mnemo.ocr import screen_changed, screen_signature, text_key
from perception.ocr import TextLine, TextReader

logger = logging.getLogger(__name__)

SCREEN_CHANNEL = "screen"  # the channel's name in SegmenterConfig.channels
STATE_KEY = "segment.screen"  # the store state holding the signal's state at the last checkpoint
_SLACK = 1e-6
# a change of less text than this many trigrams (two or three short words) reads as a share of it: a
# few characters appearing (a sign, or OCR reading "C1" into a textured wall) are weak evidence of a new scene
MIN_TRIGRAMS = 12
_KEEP_S = 120.0  # seconds of per-frame states kept behind the latest frame: a boundary's state needs them


def trigrams(lines: Sequence[str]) -> frozenset[str]:
    """The character trigrams of the words of ``lines`` (lower-case letters and digits; each word padded)."""
    grams: set[str] = set()
    for line in lines:
        for word in text_key(line).split():
            padded = f" {word} "
            grams.update(padded[i:i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def text_change(before: frozenset[str], after: frozenset[str]) -> float:
    """The share of trigrams on one side only (``1 - Jaccard``), of at least ``MIN_TRIGRAMS``: 0 for the same
    words (or none on either side), 1 for screens of text with no word in common, less when little text changed."""
    union = before | after
    if not union:
        return 0.0
    return len(before ^ after) / max(len(union), MIN_TRIGRAMS)


@dataclass(frozen=True)
class _After:
    """The signal's state after one frame: all a reader resuming at the next frame needs."""

    time: float  # the frame's media time
    previous: np.ndarray  # its signature (the next frame is compared with it)
    read_signature: np.ndarray | None  # the signature of the last frame read
    read_words: frozenset[str] | None  # its trigrams
    read_time: float  # its media time (-inf: none yet)


class ScreenSignal:
    """Readings of screen-text changes from sampled frames' OCR, one observation late."""

    def __init__(self, reader: TextReader, same_frame: float, interval_s: float, state: bytes | None = None):
        if not interval_s >= 0:
            raise ValueError(f"screen channel interval_s={interval_s!r}: expected seconds >= 0")
        self.reader = reader
        self.same_frame = same_frame  # share of changed signature pixels under which two frames show one screen
        self.interval_s = interval_s  # least media seconds between two reads
        self.seconds = 0.0  # spent reading
        self.read_frames = 0
        self._after: deque[_After] = deque()
        self._readings: dict[float, float] = {}
        if state:
            self._after.append(_load(state))

    @property
    def _seen_until(self) -> float:
        return self._after[-1].time if self._after else -math.inf

    def observe(self, frames: Sequence) -> None:
        """Take analysed frames (objects with ``time`` and an RGB ``image``) in time order."""
        for frame in frames:
            if frame.image is None or float(frame.time) <= self._seen_until + _SLACK:
                continue  # a frame seen before a resume
            self._take(float(frame.time), frame.image)

    def ready(self, when: float, latest: float) -> bool:
        """Whether the reading at ``when`` is known: the frame after it has been seen."""
        return self._seen_until > when + _SLACK

    def read(self, when: float) -> dict[str, float]:
        """The reading at ``when`` ({"screen": value}; NaN: no reading)."""
        key = round(when, 6)
        value = self._readings.pop(key, math.nan)
        for stale in [t for t in self._readings if t < key]:
            del self._readings[stale]
        return {SCREEN_CHANNEL: value}

    def state(self, before: float) -> bytes:
        """The state a reader resuming at ``before`` needs: the one after the last frame before it (npz bytes)."""
        kept = [a for a in self._after if a.time < before - _SLACK]
        if not kept:
            return b""
        return _dump(kept[-1])

    # -- one frame -------------------------------------------------------------------------------

    def _take(self, when: float, image: np.ndarray) -> None:
        signature = screen_signature(image)
        last = self._after[-1] if self._after else None
        read_signature = None if last is None else last.read_signature
        read_words = None if last is None else last.read_words
        read_time = -math.inf if last is None else last.read_time
        due = when - read_time >= self.interval_s - _SLACK
        if last is not None and due and self._new_still_screen(last, signature):
            words = trigrams([line.text for line in self._read(image)])
            if read_words is not None:  # the screen began at the previous frame
                self._readings[round(last.time, 6)] = text_change(read_words, words)
            read_signature, read_words, read_time = signature, words, when
        if read_signature is not None and screen_changed(signature, read_signature) <= self.same_frame:
            self._readings.setdefault(round(when, 6), 0.0)  # the screen last read, still showing
        self._after.append(_After(when, signature, read_signature, read_words, read_time))
        while self._after and self._after[0].time < when - _KEEP_S:
            self._after.popleft()

    def _new_still_screen(self, last: _After, signature: np.ndarray) -> bool:
        """The previous frame held still into this one, and shows another screen than the last one read."""
        if screen_changed(signature, last.previous) > self.same_frame:
            return False
        return last.read_signature is None or screen_changed(last.previous, last.read_signature) > self.same_frame

    def _read(self, image: np.ndarray) -> list[TextLine]:
        t0 = time.perf_counter()
        lines = self.reader.read(image)
        self.seconds += time.perf_counter() - t0
        self.read_frames += 1
        return lines


def _dump(after: _After) -> bytes:
    buf = io.BytesIO()
    arrays = {"time": np.float64(after.time), "read_time": np.float64(after.read_time),
              "previous": _to_bytes(after.previous)}
    if after.read_signature is not None:
        arrays["read_signature"] = _to_bytes(after.read_signature)
    if after.read_words is not None:
        arrays["read_words"] = np.asarray(sorted(after.read_words), dtype=np.str_)
    np.savez(buf, **arrays)
    return buf.getvalue()


def _load(state: bytes) -> _After:
    try:
        with np.load(io.BytesIO(state), allow_pickle=False) as z:
            words = frozenset(str(w) for w in z["read_words"]) if "read_words" in z.files else None
            signature = _from_bytes(z["read_signature"]) if "read_signature" in z.files else None
            return _After(float(z["time"]), _from_bytes(z["previous"]), signature, words, float(z["read_time"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"screen channel state is not readable ({len(state)} bytes): {exc}") from exc


def _to_bytes(signature: np.ndarray) -> np.ndarray:
    """A signature (grey levels / 255 as float32) as the uint8 levels it was made of: exact both ways."""
    return np.round(signature * 255.0).astype(np.uint8)


def _from_bytes(levels: np.ndarray) -> np.ndarray:
    return np.asarray(levels, dtype=np.uint8).astype(np.float32) / 255.0


class RememberedReader(TextReader):
    """A text reader that answers a frame showing the same screen as one of its last ``size`` reads from memory.

    The screen channel reads frames as they come; the event-level OCR stage reads frames of the same
    screens when the event closes. "The same screen" is the OCR stage's own test (``same_frame``).
    """

    def __init__(self, reader: TextReader, same_frame: float, size: int = 64):
        self.reader = reader
        self.model = reader.model
        self.same_frame = same_frame
        self._reads: OrderedDict[int, tuple[np.ndarray, list[TextLine]]] = OrderedDict()
        self._size = size
        self._count = 0
        self.hits = 0

    def read(self, image: np.ndarray) -> list[TextLine]:
        signature = screen_signature(np.asarray(image))
        for key, (seen, lines) in reversed(self._reads.items()):
            if seen.shape == signature.shape and screen_changed(signature, seen) <= self.same_frame:
                self._reads.move_to_end(key)
                self.hits += 1
                return list(lines)
        lines = self.reader.read(image)
        self._count += 1
        self._reads[self._count] = (signature, list(lines))
        while len(self._reads) > self._size:
            self._reads.popitem(last=False)
        return lines
