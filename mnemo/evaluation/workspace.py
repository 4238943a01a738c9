"""The work folder of an evaluation: fresh memories that never overwrite anything else."""

from __future__ import annotations

import shutil
from pathlib import Path


def fresh_memory_dir(path: str | Path) -> Path:
    """Clear ``path`` for a new memory; refuses to delete a folder that is not a mnemo memory."""
    path = Path(path)
    if path.exists():
        is_memory = path.is_dir() and (path / "memory.db").is_file()
        is_empty = path.is_dir() and not any(path.iterdir())
        if not (is_memory or is_empty):
            raise FileExistsError(f"{path} exists and is not a mnemo memory; not deleting it")
        shutil.rmtree(path)
    return path
