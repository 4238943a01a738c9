"""Synthetic clips shared by the stream tests (written once per session: encoding costs time).

The clip writers live in ``media.py`` beside this file; tests reach them through the ``media``
fixture (the suite runs with ``--import-mode=importlib``, so test folders are not on sys.path).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

CUES = [(0.5, 1.5, "Hello world"), (2.5, 3.5, "Alice: where are the keys?")]


def _load_media() -> ModuleType:
    name = "mnemo_tests_streams_media"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("media.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def media() -> ModuleType:
    """The synthetic-media writers (``make_video``, ``colour_at``, ...)."""
    return _load_media()


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory, media: ModuleType) -> Path:
    """5 s, 25 fps, 160x120 H.264 (GOP 25) + AAC + mov_text subtitles (CUES), in MP4."""
    return media.make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", subtitles=CUES)


@pytest.fixture(scope="session")
def mkv_clip(tmp_path_factory: pytest.TempPathFactory, media: ModuleType) -> Path:
    """The same content in Matroska, subtitles as subrip."""
    return media.make_video(tmp_path_factory.mktemp("mkv") / "clip.mkv", subtitles=CUES)
