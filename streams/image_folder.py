"""A folder of still images read as a video: one frame per image, in natural name order.

Media time comes from ``timestamps.txt`` or ``times.csv`` in the folder (``filename,seconds``
per line) when present, else from the image's position divided by ``fps_hint``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from streams.errors import SourceError
from streams.identity import IMAGE_SUFFIXES, stream_id
from streams.packets import Packet, StreamInfo, VideoFrame
from streams.sampling import FrameClock, SamplingPolicy
from streams.source import Source

log = logging.getLogger(__name__)

TIMESTAMP_FILES = ("timestamps.txt", "times.csv")


class ImageFolderSource(Source):
    """Images (jpg, png, bmp, webp) of a directory, decoded with OpenCV."""

    def __init__(self, path: str | Path, policy: SamplingPolicy, stream: str | None = None, fps_hint: float = 1.0):
        self.path = Path(path)
        self.policy = policy
        if not self.path.is_dir():
            raise SourceError(str(path), "no such directory")
        if not fps_hint > 0:
            raise ValueError(f"ImageFolderSource.fps_hint must be > 0, got {fps_hint!r}")
        self._frames = self._timeline(fps_hint)
        if not self._frames:
            raise SourceError(str(path), f"a directory with no images ({', '.join(IMAGE_SUFFIXES)})")
        first = self._first_image()
        height, width = first.shape[:2]
        duration = self._frames[-1][0] + (1.0 / fps_hint if len(self._frames) == 1 else 0.0)
        self.info = StreamInfo(
            stream=stream or stream_id(str(self.path)),
            uri=str(path),
            kind="images",
            duration=duration,
            width=width,
            height=height,
            fps=fps_hint if not self._timed else None,
            has_video=True,
            extra={"images": len(self._frames)},
        )

    def packets(self, start: float = 0.0) -> Iterator[Packet]:
        clock = FrameClock(self.policy.fps)
        for time, file in self._frames:
            if time < start or not clock.keep(time):
                continue
            image = self._load(file)
            if image is not None:
                yield VideoFrame(self.info.stream, time, image, keyframe=True)

    def _timeline(self, fps_hint: float) -> list[tuple[float, Path]]:
        images = sorted(
            (p for p in self.path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
            key=lambda p: _natural_key(p.name),
        )
        table = self._timestamps()
        self._timed = table is not None
        if table is None:
            return [(i / fps_hint, p) for i, p in enumerate(images)]
        timed = [(table[p.name], p) for p in images if p.name in table]
        missing = [p.name for p in images if p.name not in table]
        if missing:
            log.warning("%s: %d image(s) have no timestamp and are skipped (first: %s)", self.path, len(missing), missing[0])
        return sorted(timed, key=lambda item: (item[0], _natural_key(item[1].name)))

    def _timestamps(self) -> dict[str, float] | None:
        for name in TIMESTAMP_FILES:
            table_path = self.path / name
            if table_path.is_file():
                return _read_timestamps(table_path)
        return None

    def _first_image(self) -> np.ndarray:
        for _, file in self._frames:
            image = self._load(file)
            if image is not None:
                return image
        raise SourceError(str(self.path), "none of its images can be decoded")

    def _load(self, file: Path) -> np.ndarray | None:
        """The image as RGB uint8 with its shorter side at most ``frame_size``; None (logged) if unreadable."""
        bgr = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if bgr is None:
            log.warning("%s: cannot decode image %s; skipping it", self.path, file.name)
            return None
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        return _shrink(rgb, self.policy.frame_size)


def _shrink(image: np.ndarray, frame_size: int | None) -> np.ndarray:
    height, width = image.shape[:2]
    shorter = min(height, width)
    if not frame_size or shorter <= frame_size:
        return image
    scale = frame_size / shorter
    size = (max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _read_timestamps(path: Path) -> dict[str, float]:
    """``{filename: seconds}`` from ``filename,seconds`` lines; blank lines, ``#`` comments and a header are skipped."""
    table: dict[str, float] = {}
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, seconds = (part.strip() for part in line.rpartition(","))
        try:
            table[Path(name).name] = float(seconds)
        except ValueError:
            if table or not name:
                raise SourceError(str(path), f"line {number}: expected 'filename,seconds', got {line!r}") from None
    return table


_DIGITS = re.compile(r"(\d+)")


def _natural_key(name: str) -> list:
    """Sort key putting ``img2`` before ``img10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in _DIGITS.split(name) if part]
