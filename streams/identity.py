"""Stable ids for streams, and URIs that are safe to show.

A file's id depends on its content, not its name, so a renamed or moved video keeps its
memory; a URL's or device's id depends on the normalised address.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from streams.errors import SourceError

_SAMPLE = 1 << 20  # bytes hashed at each end of a file
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")  # what an image folder reads


def is_url(uri: str) -> bool:
    """True for ``scheme://...`` addresses (network streams)."""
    return bool(_URL.match(uri))


def stream_id(uri: str) -> str:
    """``"s-"`` + 12 hex digits naming the stream behind ``uri``.

    Files hash their size and first and last MiB (stable across renames, changes with content);
    image folders hash their image names and sizes; URLs and devices hash their normalised URI.
    """
    if is_url(uri) or uri.startswith("device:") or uri.startswith("/dev/"):
        return _digest(normalize_uri(uri).encode())
    path = Path(uri)
    if path.is_dir():
        return _digest(_folder_fingerprint(path))
    if not path.exists():
        raise SourceError(uri, "no such file")
    return _digest(_file_fingerprint(path))


def normalize_uri(uri: str) -> str:
    """The canonical spelling of a URL or device: lower-case scheme and host, no credentials."""
    uri = uri.strip()
    if uri.startswith("/dev/"):
        return "device:v4l2:" + uri
    if uri.startswith("device:/"):
        return "device:v4l2:" + uri[len("device:") :]
    if not is_url(uri):
        return uri
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def display_uri(uri: str) -> str:
    """``uri`` with any password replaced by ``***``, for messages and logs."""
    if not is_url(uri):
        return uri
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _digest(data: bytes) -> str:
    return "s-" + hashlib.sha1(data, usedforsecurity=False).hexdigest()[:12]


def _file_fingerprint(path: Path) -> bytes:
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(_SAMPLE)
        tail = b""
        if size > _SAMPLE:
            f.seek(max(_SAMPLE, size - _SAMPLE))
            tail = f.read(_SAMPLE)
    return str(size).encode() + b"\0" + head + b"\0" + tail


def _folder_fingerprint(path: Path) -> bytes:
    entries = sorted(
        f"{entry.name}\t{entry.stat().st_size}"
        for entry in os.scandir(path)
        if entry.is_file() and entry.name.lower().endswith(IMAGE_SUFFIXES)
    )
    return "\n".join(entries).encode()
