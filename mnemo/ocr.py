"""Screen text at ingest: OCR of the frames where an event's screen changed, each line stored once.

The stage looks at an event's frames (decoded at ``ocr.frame_size``) in time order and reads a
frame when the screen has changed since the last frame read and then held still for one more
observation: a new slide, a new page, a scrolled editor. A frame that looks like the last one read
(a slide still showing) is not read again, and a line that was on screen at the last frame read
(in this event or the one before) is not stored again, so a slide shown for minutes yields its
lines once, in the event where it first appeared. Where nothing held still (a moving camera), the
event's main keyframe is read if it differs from the last frame read. At most
``frames_per_event`` frames of an event are read (the cost bound: ~1 s a frame on 2 busy cores).
"""

from __future__ import annotations

import difflib
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import cv2
import numpy as np

from memory.event import ScreenText
from perception.ocr import TextReader

logger = logging.getLogger(__name__)

ORIGIN = "ocr"
_SIGNATURE = (128, 72)  # width, height of the grey image two keyframes are compared at


@dataclass(frozen=True)
class OcrConfig:
    """The ocr section of a profile: which text reader reads the keyframes, and how often."""

    name: str | None = None  # text reader ("rapidocr"); None: no OCR
    options: Mapping[str, Any] = field(default_factory=dict)  # the reader's options (RapidOcrOptions fields)
    frame_size: int = 360  # shorter side frames are decoded at while OCR is on (the keyframes are read at it)
    frames_per_event: int = 6  # at most this many frames of an event are read (screen changes, in time order)
    same_frame: float = 0.002  # frames with at most this share of pixels changed show the same screen
    same_text: float = 0.85  # a line this similar (0..1) to one on screen at the last frame read is that line

    def __post_init__(self) -> None:
        if self.name is not None and (not isinstance(self.name, str) or not self.name):
            raise ValueError(f"ocr.name must be a text reader's name or null, got {self.name!r}")
        if not isinstance(self.options, Mapping):
            raise ValueError(f"ocr.options must be a mapping, got {type(self.options).__name__}")
        for name in ("frame_size", "frames_per_event"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"ocr.{name} must be a positive integer, got {value!r}")
        if self.frame_size < 16:
            raise ValueError(f"ocr.frame_size must be at least 16 pixels, got {self.frame_size!r}")
        for name in ("same_frame", "same_text"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise ValueError(f"ocr.{name} must be a number within 0..1, got {value!r}")
        object.__setattr__(self, "options", dict(self.options))

    @property
    def enabled(self) -> bool:
        return self.name is not None


class ScreenTextStage:
    """One stream's OCR: new lines of each event's screen changes, with what was on screen carried over."""

    def __init__(self, config: OcrConfig, reader: TextReader, stream: str, on_screen: Sequence[str] = ()) -> None:
        self.config = config
        self.reader = reader
        self.stream = stream
        self.on_screen = [text_key(t) for t in on_screen]  # lines at the last frame read (their match keys)
        self.last: np.ndarray | None = None  # signature of the last frame read
        self.seconds = 0.0  # spent reading
        self.read_frames = 0  # frames read
        self.skipped_frames = 0  # screen changes not read: more than frames_per_event in one event

    def read(self, frames: Sequence[tuple[float, np.ndarray]],
             keyframe: tuple[float, np.ndarray] | None = None) -> list[ScreenText]:
        """Lines first seen in an event: ``frames`` are its (media time, RGB image) in time order,
        ``keyframe`` the one read when no screen change held still. Returns lines in time order."""
        picked = self._pick(frames)
        if not picked and keyframe is not None:
            signature = screen_signature(keyframe[1])
            if self.last is None or screen_changed(signature, self.last) > self.config.same_frame:
                picked = [(keyframe[0], keyframe[1], signature)]
        found: list[ScreenText] = []
        for when, image, signature in picked:
            t0 = time.perf_counter()
            lines = self.reader.read(image)
            self.seconds += time.perf_counter() - t0
            self.read_frames += 1
            self.last = signature
            keys = [text_key(line.text) for line in lines]
            for line, key in zip(lines, keys):
                if key and not self._known(key, found):
                    found.append(ScreenText(self.stream, float(when), line.text, line.box, line.score, ORIGIN,
                                            self.reader.model))
            self.on_screen = [k for k in keys if k]
        return found

    def _pick(self, frames: Sequence[tuple[float, np.ndarray]]) -> list[tuple[float, np.ndarray, np.ndarray]]:
        """Frames where the screen changed since the last pick and the next frame shows the same."""
        picked: list[tuple[float, np.ndarray, np.ndarray]] = []
        last = self.last
        signatures = [screen_signature(image) for _, image in frames]
        for (when, image), signature, following in zip(frames, signatures, signatures[1:]):
            if last is not None and screen_changed(signature, last) <= self.config.same_frame:
                continue  # the screen last read (or picked) still showing
            if screen_changed(signature, following) > self.config.same_frame:
                continue  # still changing: a transition, a moving camera
            last = signature
            if len(picked) == self.config.frames_per_event:
                self.skipped_frames += 1
                continue
            picked.append((when, image, signature))
        return picked

    def _known(self, key: str, found: list[ScreenText]) -> bool:
        """On screen at the last frame read, or already found in this event."""
        return any(_similar(key, other, self.config.same_text)
                   for other in [*self.on_screen, *(text_key(s.text) for s in found)])


def text_key(text: str) -> str:
    """What two readings of one line are compared by: lower-case letters and digits, single spaces."""
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def _similar(a: str, b: str, threshold: float) -> bool:
    return a == b or difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= threshold


def screen_signature(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    return cv2.resize(grey, _SIGNATURE, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def screen_changed(a: np.ndarray, b: np.ndarray) -> float:
    """The share of signature pixels whose brightness changed by more than a tenth."""
    return float(np.mean(np.abs(a - b) > 0.1))
