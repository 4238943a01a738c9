"""Shared fixtures: where the real media lives, and small generated videos."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout; tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real media not available: {SHARED_DATA} is absent (a plain clone has none)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The embedded sample video (6 rooms, hard cuts, AAC audio, sidecar subtitles)."""
    from mnemo.sample import make_sample

    return make_sample(tmp_path_factory.mktemp("sample"))
