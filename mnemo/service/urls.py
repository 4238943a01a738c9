"""What the API hands out: URLs for files (keyframes, media), so clients never see server paths, and
JSON-safe numbers."""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import quote


def keyframe_url(memory: str, path: str | None) -> str | None:
    """The URL of a thumbnail, from its path in the memory folder."""
    return None if not path else f"/v1/memories/{quote(memory)}/keyframes/{quote(Path(path).name)}"


def media_url(memory: str, stream: str) -> str:
    return f"/v1/memories/{quote(memory)}/streams/{quote(stream)}/media"


def finite(value):
    """JSON has no NaN or infinity: they become null (in nested dicts and lists too)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value
