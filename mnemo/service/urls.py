"""URLs the API hands out for files (keyframes, media), so clients never see server paths."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote


def keyframe_url(memory: str, path: str | None) -> str | None:
    """The URL of a thumbnail, from its path in the memory folder."""
    return None if not path else f"/v1/memories/{quote(memory)}/keyframes/{quote(Path(path).name)}"


def media_url(memory: str, stream: str) -> str:
    return f"/v1/memories/{quote(memory)}/streams/{quote(stream)}/media"
