"""Names and paths a request may use, confined to the service's folders."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import Path as PathParam

from mnemo.service.errors import ApiError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")  # a memory's name: one path segment
# a memory's name as a path parameter (documented in the OpenAPI schema; check_name still guards)
MemoryName = Annotated[str, PathParam(pattern=NAME.pattern, max_length=64, examples=["demo"],
                                      description="The memory: a folder under the service root")]
FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,80}\.jpg$")  # a thumbnail's file name


def check_name(name: str) -> str:
    """A memory name: letters, digits, '.', '_', '-', at most 64, not starting with a dot."""
    if not NAME.match(name) or ".." in name:
        raise ApiError(400, f"memory name {name!r}: expected 1-64 letters, digits, '.', '_' or '-', "
                       "starting with a letter or digit")
    return name


def confined(base: Path, path: str | Path) -> Path:
    """``path`` (relative to ``base``, or absolute) resolved, symlinks followed; an error when it leaves ``base``."""
    resolved = (base / path).resolve()
    if not resolved.is_relative_to(base.resolve()):
        raise ApiError(403, f"{str(path)!r}: outside the folders this service may read")
    return resolved


def inside_any(roots: tuple[Path, ...], path: str | Path) -> Path:
    """``path`` resolved, when it lies inside one of ``roots`` (symlinks followed); else an error."""
    candidate = Path(path)
    if not candidate.is_absolute():
        raise ApiError(400, f"path {str(path)!r}: expected an absolute path")
    resolved = candidate.resolve()
    if not any(resolved.is_relative_to(root) for root in roots):
        allowed = ", ".join(str(r) for r in roots) or "none (start the server with --media-root DIR)"
        raise ApiError(403, f"path {str(path)!r}: not under an allowed media folder; allowed: {allowed}")
    return resolved
