"""Helpers shared by the memory tests, reached through fixtures (the suite runs with
``--import-mode=importlib``, so test folders are not on sys.path)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _load(stem: str) -> ModuleType:
    name = f"mnemo_tests_memory_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{stem}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def synthetic() -> ModuleType:
    """Seeded synthetic memories: streams of events drawn from known scenes (synthetic_memory.py)."""
    return _load("synthetic_memory")
