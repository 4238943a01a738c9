"""The memory layer stands alone: no torch, ray or higher layers behind ``import memory``."""

from __future__ import annotations

import subprocess
import sys

import memory


def test_import_pulls_in_no_heavy_or_higher_layers() -> None:
    code = ("import sys, memory; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'torch', 'ray', 'perception', 'planners', 'mnemo', 'streams', 'open_clip', 'whisper'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_names() -> None:
    for name in memory.__all__:
        assert hasattr(memory, name), name
