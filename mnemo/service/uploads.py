"""Uploads streamed to disk under a size limit, then checked by opening them (not by their names)."""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from mnemo.service.errors import ApiError

logger = logging.getLogger(__name__)

MEDIA_DIR = "media"  # uploaded files, in the memory folder
SUBTITLE_LIMIT = 8 * 2**20  # bytes of an uploaded .srt/.vtt
IMAGE_LIMIT = 20 * 2**20  # bytes of a query image
_SAFE = re.compile(r"[^A-Za-z0-9._ -]+")


class _Part:
    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.field: str | None = None
        self.filename: str | None = None
        self.path: Path | None = None
        self.data = bytearray()  # small non-file fields
        self.size = 0


class MultipartSink:
    """Parse a multipart body chunk by chunk, writing file fields to ``folder`` as they arrive."""

    def __init__(self, boundary: bytes, folder: Path, limits: dict[str, int], default_limit: int):
        self.folder = folder
        self.limits = limits  # bytes per field name (others: default_limit)
        self.default_limit = default_limit
        self.parts: list[_Part] = []
        self._part: _Part | None = None
        self._handle = None
        self._name, self._value = b"", b""
        callbacks = {"on_part_begin": self._begin, "on_part_data": self._data, "on_part_end": self._end,
                     "on_header_field": self._hfield, "on_header_value": self._hvalue,
                     "on_header_end": self._hend, "on_headers_finished": self._hdone}
        self._parser = MultipartParser(boundary, callbacks)

    def _begin(self) -> None:
        self._part = _Part()
        self.parts.append(self._part)

    def _hfield(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _hvalue(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _hend(self) -> None:
        assert self._part is not None
        self._part.headers[self._name.decode("latin-1").lower()] = self._value.decode("utf-8", "replace")
        self._name, self._value = b"", b""

    def _hdone(self) -> None:
        part = self._part
        assert part is not None
        _, options = parse_options_header(part.headers.get("content-disposition", ""))
        part.field = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            part.filename = options[b"filename"].decode("utf-8", "replace")
            part.path = self.folder / f".upload-{secrets.token_hex(8)}"
            self._handle = part.path.open("wb")

    def _data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        assert part is not None
        part.size += end - start
        limit = self.limits.get(part.field or "", self.default_limit)
        if part.size > limit:
            raise ApiError(413, f"field {part.field!r}: larger than the limit of {limit} bytes")
        if self._handle is not None:
            self._handle.write(data[start:end])
        else:
            part.data += data[start:end]

    def _end(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def write(self, chunk: bytes) -> None:
        self._parser.write(chunk)

    def finish(self) -> None:
        self._parser.finalize()

    def discard(self) -> None:
        """Remove every file written (after a failure, or once the caller moved what it keeps)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        for part in self.parts:
            if part.path is not None:
                part.path.unlink(missing_ok=True)


async def receive(request: Request, folder: Path, limits: dict[str, int], default_limit: int) -> MultipartSink:
    """Stream a multipart/form-data body into ``folder``; the caller moves the files it keeps, then discards."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ApiError(415, "expected a multipart/form-data body (or JSON with a path)")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > sum(limits.values()) + 64 * 1024:
        raise ApiError(413, f"the body ({declared} bytes) is larger than the upload limit")
    folder.mkdir(parents=True, exist_ok=True)
    sink = MultipartSink(boundary, folder, limits, default_limit)
    try:
        async for chunk in request.stream():
            sink.write(chunk)
        sink.finish()
    except ApiError:
        sink.discard()
        raise
    except Exception as error:  # noqa: BLE001 - a malformed body (the parser's errors have no common base)
        sink.discard()
        raise ApiError(400, f"malformed multipart body: {error}") from error
    return sink


def file_part(sink: MultipartSink, field: str, required: bool = True):
    """The part with a file for ``field`` (None when absent and not required)."""
    for part in sink.parts:
        if part.field == field and part.path is not None:
            if part.size == 0:
                raise ApiError(400, f"field {field!r}: the file is empty")
            return part
    if required:
        raise ApiError(400, f"missing the file field {field!r}")
    return None


def safe_filename(name: str | None) -> str:
    """A file name fit to show and keep: its last path segment, odd characters replaced."""
    base = (name or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    return (_SAFE.sub("_", base).strip(" .") or "upload")[:120]


# formats whose file names other files or URLs, which FFmpeg would open: past the media roots' confinement
INDIRECT_FORMATS = frozenset({"hls", "applehttp", "dash", "concat", "ffconcat", "tee", "image2"})


def probe_media(path: Path, shown: str | None = None) -> dict:
    """Open the file with PyAV: its duration and streams; an error naming ``shown`` (the upload's name or
    the requested path, never a server path) when it is no audio or video."""
    import av

    shown = shown or path.name
    try:
        with av.open(str(path)) as container:
            videos, audios = len(container.streams.video), len(container.streams.audio)
            duration = container.duration / 1e6 if container.duration else None
            fmt = container.format.name
    except (av.error.FFmpegError, OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or type(error).__name__
        raise ApiError(415, f"{shown}: not a video or audio file that can be read ({reason})") from error
    if fmt in INDIRECT_FORMATS:
        raise ApiError(415, f"{shown}: a {fmt} playlist reads other files or URLs; the service accepts media files only")
    if not (videos or audios):
        raise ApiError(415, f"{shown}: the file has no video or audio stream")
    return {"video_streams": videos, "audio_streams": audios, "duration": duration, "format": fmt}


def check_subtitles(path: Path) -> str:
    """The suffix (.srt or .vtt) of a subtitle file that parses with at least one cue."""
    from streams.subtitles import decode_text, parse_srt, parse_vtt

    try:
        text = decode_text(path.read_bytes())
        vtt = text.lstrip().startswith("WEBVTT")
        cues = parse_vtt(text) if vtt else parse_srt(text)
    except (ValueError, UnicodeError) as error:
        raise ApiError(415, f"subtitles: not an .srt or .vtt file ({error})") from error
    if not cues:
        raise ApiError(415, "subtitles: no cue could be read (expected .srt or .vtt)")
    return ".vtt" if vtt else ".srt"


def decode_image(data: bytes):
    """An RGB array from image bytes (JPEG, PNG, ...); an error when they are no image."""
    import cv2
    import numpy as np

    bgr = cv2.imdecode(np.frombuffer(bytes(data), np.uint8), cv2.IMREAD_COLOR) if data else None
    if bgr is None:
        raise ApiError(415, "not an image that can be decoded (JPEG, PNG, ...)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
