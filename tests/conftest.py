"""Shared fixtures: where the real media lives, and small generated videos."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

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


def load_test_module(path: Path, name: str) -> ModuleType:
    """A helper module beside the tests, loaded once (test folders are not on sys.path: importlib mode)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def senders() -> ModuleType:
    """``tests/streams/live_senders.py``: ffmpeg senders (UDP, HLS over HTTP, RTSP) and the clip they send."""
    return load_test_module(REPO / "tests" / "streams" / "live_senders.py", "mnemo_tests_streams_live_senders")


@pytest.fixture(scope="session")
def live_clip(senders, tmp_path_factory):
    """The clip the live senders send (hard cuts at 3, 6 and 9 s); skips without ffmpeg."""
    senders.need_ffmpeg()
    return senders.make_clip(tmp_path_factory.mktemp("live-clip"))


@pytest.fixture(scope="module")
def scripted_llm(tmp_path_factory):
    """``tests/planners/scripted_llm_server.py`` as a process on a free loopback port: (its base URL,
    the file it logs every request to); stopped after the module."""
    import subprocess
    import time

    base = tmp_path_factory.mktemp("llm")
    port_file, log = base / "port", base / "requests.jsonl"
    proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "planners" / "scripted_llm_server.py"),
                             str(port_file), str(log)])
    try:
        deadline = time.monotonic() + 60
        while not port_file.exists():
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("the scripted LLM server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port_file.read_text()}/v1", log
    finally:
        proc.terminate()
        proc.wait(timeout=10)
