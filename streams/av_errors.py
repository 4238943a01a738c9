"""PyAV/FFmpeg errors turned into one clear sentence about the input."""

from __future__ import annotations

import errno
import struct
from pathlib import Path

import av

_HTTP = {
    av.error.HTTPBadRequestError: "HTTP 400 bad request",
    av.error.HTTPUnauthorizedError: "HTTP 401 unauthorized",
    av.error.HTTPForbiddenError: "HTTP 403 forbidden",
    av.error.HTTPNotFoundError: "HTTP 404 not found",
    av.error.HTTPTooManyRequestsError: "HTTP 429 too many requests",
}


def open_problem(err: av.error.FFmpegError, uri: str, kind: str, timeout: float, elapsed: float = 0.0) -> str:
    """Why ``uri`` could not be opened, from the error av.open raised after ``elapsed`` seconds."""
    if kind == "file":
        return _file_problem(err, uri)
    verb = "cannot open device" if kind == "device" else "cannot connect"
    # FFmpeg's RTSP client reports a reply that never came as invalid data, once its timeout passes.
    timed_out = isinstance(err, av.error.InvalidDataError) and elapsed >= 0.9 * timeout
    if timed_out or isinstance(err, (av.error.ExitError, av.error.TimeoutError)):
        return f"{verb} (timed out after {timeout:g} s)"
    if isinstance(err, av.error.ConnectionRefusedError):
        return f"{verb} (connection refused)"
    if isinstance(err, (av.error.ConnectionResetError, av.error.ConnectionAbortedError)):
        return f"{verb} (connection closed by the server)"
    for cls, text in _HTTP.items():
        if isinstance(err, cls):
            return f"{verb} ({text})"
    if isinstance(err, av.error.HTTPError):
        return f"{verb} (HTTP error: {_reason(err)})"
    if isinstance(err, av.error.ProtocolNotFoundError):
        return "unsupported protocol (this FFmpeg build cannot read it)"
    if isinstance(err, av.error.FileNotFoundError):
        return "no such device" if kind == "device" else f"{verb} (not found)"
    if isinstance(err, av.error.PermissionError):
        return "permission denied"
    if isinstance(err, av.error.InvalidDataError):
        return "the answer is not a media stream PyAV/FFmpeg can read (invalid data)"
    return f"{verb} ({_reason(err)})"


def read_problem(err: av.error.FFmpegError) -> str:
    """Why reading stopped part-way, from the error demux or decode raised."""
    if isinstance(err, (av.error.ExitError, av.error.TimeoutError)):
        return "no data arrived in time (timed out)"
    if isinstance(err, (av.error.ConnectionResetError, av.error.ConnectionAbortedError)):
        return "the connection was closed"
    return _reason(err)


def _file_problem(err: av.error.FFmpegError, uri: str) -> str:
    if isinstance(err, av.error.FileNotFoundError):
        return "no such file"
    if isinstance(err, av.error.PermissionError):
        return "permission denied"
    if isinstance(err, av.error.IsADirectoryError):
        return "is a directory"
    if isinstance(err, av.error.InvalidDataError):
        return invalid_data_problem(Path(uri))
    if isinstance(err, av.error.DemuxerNotFoundError):
        return "unknown container format"
    if getattr(err, "errno", None) == errno.EIO:  # a demuxer that ran out of data while reading the headers
        return "cannot be opened: the data ends inside its headers (a truncated or corrupt file)"
    return f"cannot be opened ({_reason(err)})"


def invalid_data_problem(path: Path) -> str:
    """What is wrong with a file FFmpeg calls invalid data: empty, an MP4 cut short, or not media."""
    try:
        size = path.stat().st_size
    except OSError:
        size = -1
    if size == 0:
        return "is empty (0 bytes)"
    boxes, cut = _mp4_boxes(path)
    if boxes[:1] == ["ftyp"] and "moov" not in boxes:
        ends = ", and its data stops short" if cut else ""
        return f"truncated or unfinished MP4: the 'moov' atom (the media index) is missing{ends}"
    return "not a media file PyAV/FFmpeg can read (invalid data)"


def _mp4_boxes(path: Path, limit: int = 64) -> tuple[list[str], bool]:
    """Top-level ISO-BMFF box types of ``path``, and whether the last box runs past the end of file."""
    types: list[str] = []
    try:
        with open(path, "rb") as f:
            size = path.stat().st_size
            offset = 0
            while offset + 8 <= size and len(types) < limit:
                f.seek(offset)
                box_size, box_type = struct.unpack(">I4s", f.read(8))
                if box_size == 1:
                    (box_size,) = struct.unpack(">Q", f.read(8))
                elif box_size == 0:
                    box_size = size - offset
                if box_size < 8 or not box_type.isalnum():
                    return types, False
                types.append(box_type.decode("latin-1"))
                if offset + box_size > size:
                    return types, True
                offset += box_size
    except (OSError, struct.error):
        pass
    return types, False


def _reason(err: av.error.FFmpegError) -> str:
    text = getattr(err, "strerror", None) or str(err)
    return text[0].lower() + text[1:] if text else type(err).__name__
