"""The crash matrix: ``kill -9`` mid-ingest, a disk that fills up, a read-only memory folder, two
writers at once. Afterwards: a clear message, an intact memory, and a resumed ingest that ends
identical to an uninterrupted one (same events, same vectors, same text)."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import helper  # noqa: E402

corpus, harness = helper("corpus"), helper("harness")
pytestmark = pytest.mark.slow
PROFILE = "lite"


def scenes(path: Path, seconds: int = 90, fps: int = 10) -> Path:
    """A clip whose picture changes every 3 s (about 30 events): long enough to be killed in the middle."""
    import av
    from fractions import Fraction

    rng = np.random.default_rng(7)
    looks = rng.integers(0, 256, (seconds // 3 + 1, 48, 64, 3), np.uint8)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(seconds * fps):
            frame = av.VideoFrame.from_ndarray(looks[i // (3 * fps)], format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def content(memory: Path) -> dict:
    """What an ingest produced, independent of row ids: events with their text and vectors, by time."""
    db = sqlite3.connect(f"file:{memory / 'memory.db'}?mode=ro", uri=True)
    try:
        events = db.execute('SELECT id, stream, start, "end", text FROM events ORDER BY stream, start').fetchall()
        vectors = {}
        for event_id, space, data in db.execute("SELECT event_id, space, data FROM vectors"):
            vectors.setdefault(event_id, []).append((space, bytes(data)))
        return {"events": [(s, round(a, 6), round(b, 6), t) for _, s, a, b, t in events],
                "vectors": [sorted(vectors.get(i, [])) for i, *_ in events]}
    finally:
        db.close()


def events(memory: Path) -> int:
    try:
        return harness.count(memory, "events")
    except sqlite3.Error:  # not created yet
        return 0


def start_ingest(clip: Path, memory: Path, **popen) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(harness.REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, "-m", "mnemo", "ingest", str(clip), "-m", str(memory), "-p", PROFILE, "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, **popen)


def wait_for_events(proc: subprocess.Popen, memory: Path, at_least: int, timeout: float = 240.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if (memory / "memory.db").exists() and (n := events(memory)) >= at_least:
            return n
        time.sleep(0.02)
    raise AssertionError(f"the ingest ended or stalled before {at_least} events: {proc.poll()}")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The clip and the memory of one uninterrupted ingest."""
    folder = tmp_path_factory.mktemp("crash")
    clip = scenes(folder / "scenes.mp4")
    memory = folder / "reference"
    run = harness.mnemo("ingest", str(clip), "-m", str(memory), "-p", PROFILE, "-q")
    assert run.code == 0, run.describe()
    expected = content(memory)
    assert len(expected["events"]) >= 10
    return clip, expected


def test_kill_9_mid_ingest_then_resume_is_identical(reference, tmp_path):
    clip, expected = reference
    memory = tmp_path / "memory"
    proc = start_ingest(clip, memory)
    try:
        wait_for_events(proc, memory, 3)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert harness.snapshot(memory)["integrity_check"] == "ok"
    partial = content(memory)
    assert 0 < len(partial["events"]) < len(expected["events"])
    assert partial["events"] == expected["events"][:len(partial["events"])]  # what was committed is right
    resumed = harness.mnemo("ingest", str(clip), "-m", str(memory), "-p", PROFILE, "-q")
    assert resumed.code == 0 and harness.TRACEBACK not in resumed.stderr, resumed.describe()
    assert content(memory) == expected


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_full_disk_stops_with_a_clear_message_and_resumes_identical(reference, tmp_path):
    clip, expected = reference
    memory = tmp_path / "memory"
    first = harness.mnemo("ingest", str(clip), "-m", str(memory), "-p", PROFILE, "-q",
                          preexec_fn=_limit_file_size(600_000))  # the WAL passes it mid-ingest
    assert harness.TRACEBACK not in first.stderr, first.describe()
    assert first.code == 2, first.describe()
    assert first.errors and any(w in first.errors[0].lower() for w in ("full", "space", "too large")), first.describe()
    assert str(memory) in first.errors[0], first.describe()
    assert harness.snapshot(memory)["integrity_check"] == "ok"
    partial = content(memory)["events"]
    assert 0 < len(partial) < len(expected["events"]) and partial == expected["events"][:len(partial)]
    resumed = harness.mnemo("ingest", str(clip), "-m", str(memory), "-p", PROFILE, "-q")
    assert resumed.code == 0, resumed.describe()
    assert content(memory) == expected


def test_a_second_writer_is_refused_clearly(reference, tmp_path):
    """While an ingest runs, another writer is refused naming its pid; readers go on; the ingest ends as usual."""
    from mnemo.writer import WriterBusy, WriterLock

    clip, expected = reference
    memory = tmp_path / "memory"
    proc = start_ingest(clip, memory)
    try:
        wait_for_events(proc, memory, 1)
        with pytest.raises(WriterBusy, match=f"{memory}: another process \\(pid {proc.pid}\\) is writing"):
            WriterLock(memory).acquire()
    finally:
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert content(memory) == expected


def test_the_cli_refuses_to_be_a_second_writer(base_memory):
    """The same through the CLI, with this test process holding the lock: one line, exit 2, nothing written."""
    from mnemo.writer import WriterLock

    before = harness.snapshot(base_memory)
    with WriterLock(base_memory):
        run = harness.mnemo("ingest", str(base_memory.parent / "base.mp4"), "-m", str(base_memory), "-q")
        reader = harness.mnemo("events", "-m", str(base_memory), "--json")
    assert run.code == 2 and harness.TRACEBACK not in run.stderr, run.describe()
    assert run.errors == [f"error: {base_memory}: another process (pid {os.getpid()}) is writing to this memory; "
                          "one writer at a time: wait for it to finish (readers may go on)"], run.describe()
    assert reader.code == 0, reader.describe()
    assert harness.snapshot(base_memory) == before


@pytest.fixture
def read_only(tmp_path):
    """A function making a read-only view of a folder: a read-only bind mount (root), else permissions."""
    mounts = []

    def view(folder: Path) -> Path:
        if os.geteuid() != 0:
            for path in [folder, *folder.rglob("*")]:
                path.chmod(0o555 if path.is_dir() else 0o444)
            return folder
        target = tmp_path / "read-only-view"
        target.mkdir()
        done = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(target)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"root cannot make a read-only folder here (mount: {done.stderr.strip()})")
        mounts.append(target)
        return target

    yield view
    for target in mounts:
        subprocess.run(["umount", str(target)], check=True)


def test_a_read_only_memory_is_refused_clearly_and_still_readable(tmp_path, read_only):
    memory = tmp_path / "memory"
    assert harness.mnemo("ingest", str(corpus.video(tmp_path / "short.mp4")), "-m", str(memory), "-p", PROFILE,
                         "-q").code == 0
    before = harness.snapshot(memory)
    view = read_only(memory)
    run = harness.mnemo("ingest", str(corpus.video(tmp_path / "other.mp4")), "-m", str(view), "-p", PROFILE, "-q")
    listed = harness.mnemo("events", "-m", str(view), "--json")
    assert harness.TRACEBACK not in run.stderr, run.describe()
    assert run.code == 2 and len(run.errors) == 1, run.describe()
    assert str(view) in run.errors[0] and "read-only" in run.errors[0], run.describe()
    assert listed.code == 0 and harness.TRACEBACK not in listed.stderr, listed.describe()
    assert harness.snapshot(memory) == before
