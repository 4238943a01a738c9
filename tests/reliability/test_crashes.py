"""The crash matrix: ``kill -9`` mid-ingest, mid-consolidate, mid-budget, mid-export, mid-import and of a
service mid-ingest; a disk that fills up (ingest, export, import); a read-only memory folder; two
writers at once. Afterwards: a clear message, an intact memory, nothing stored lost, and a rerun that
ends identical to an uninterrupted one (same rows, same events, same vectors, same text)."""

from __future__ import annotations

import hashlib
import os
import random
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
def ingested(tmp_path_factory) -> tuple[Path, Path]:
    """The clip and the memory of one uninterrupted ingest (never written to afterwards)."""
    folder = tmp_path_factory.mktemp("crash")
    clip = scenes(folder / "scenes.mp4")
    memory = folder / "reference"
    run = harness.mnemo("ingest", str(clip), "-m", str(memory), "-p", PROFILE, "-q")
    assert run.code == 0, run.describe()
    return clip, memory


@pytest.fixture(scope="module")
def reference(ingested):
    """The clip and what its uninterrupted ingest stored."""
    clip, memory = ingested
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


# --------------------------------------------------------------------- kill -9 during the other commands
# Each command runs in a fork of tests/reliability/interrupt.py, once uninterrupted and then killed at
# several moments: inside and just after store transactions, before or after the steps that write
# files, and at seeded fractions of the uninterrupted run's duration. After each kill the memory is
# intact and nothing stored is lost; a rerun ends as the uninterrupted run did.

CLOCKS = {"tombstones": ("compacted",), "states": ("recorded",), "memory_state": ("updated",)}  # the run's wall clock
CONSOLIDATED = ("episode_events", "episode_vectors", "episodes", "sessions", "event_places", "place_edges", "places",
                "areas", "states", "state_sources", "facts")  # what consolidation derives from the events


def rows(memory: Path) -> dict[str, str]:
    """``integrity_check`` and a digest of each table's rows, less the columns that hold a run's wall clock."""
    db = sqlite3.connect(f"file:{memory / 'memory.db'}?mode=ro", uri=True)
    try:
        state = {"integrity_check": db.execute("PRAGMA integrity_check").fetchone()[0]}
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").fetchall():
            columns = [c[1] for c in db.execute(f'PRAGMA table_info("{table}")') if c[1] not in CLOCKS.get(table, ())]
            listing = ", ".join(f'"{c}"' for c in columns)
            found = sorted(map(repr, db.execute(f'SELECT {listing} FROM "{table}"')))  # noqa: S608 - schema names
            state[table] = hashlib.sha256("\n".join(found).encode()).hexdigest()
    finally:
        db.close()
    return state


def stored(memory: Path) -> dict[str, str]:
    """What a memory holds that consolidation and the budget derive nothing from: streams, events, text."""
    state = rows(memory)
    return {t: state[t] for t in ("integrity_check", "streams", "events", "utterances", "checkpoints")}


def moments(done: dict, hooks: list[dict], seed: int, writes: int = 2, timed: int = 1) -> list[dict]:
    """The kill moments of one command: its hooks, some of its store transactions (inside: writes done,
    COMMIT pending; after: committed), and seeded fractions of the uninterrupted run's duration."""
    rng = random.Random(seed)
    count = done["writes"] or 0
    picked = [{"write": n, "when": rng.choice(("inside", "after"))} for n in sorted(rng.sample(range(1, count + 1),
                                                                                              min(writes, count)))]
    return hooks + picked + [{"after_s": round(done["seconds"] * rng.uniform(0.1, 0.9), 4)} for _ in range(timed)]


@pytest.fixture(scope="module")
def interrupter():
    with harness.Interrupter() as it:
        yield it


def _copy(memory: Path, target: Path) -> Path:
    shutil.copytree(memory, target, ignore=shutil.ignore_patterns("writer.lock"))
    return target


def test_kill_9_mid_consolidation_then_rerun_is_identical(ingested, interrupter, tmp_path):
    """Consolidation of a memory whose consolidation never ran (as after an ingest killed before its final pass)."""
    def unconsolidated(folder: Path) -> Path:
        memory = _copy(ingested[1], folder)
        with sqlite3.connect(memory / "memory.db") as db:
            for table in CONSOLIDATED:
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
        return memory

    reference = unconsolidated(tmp_path / "uninterrupted")
    before = stored(reference)
    done = interrupter.run("consolidate", "-m", str(reference))
    assert done["code"] == 0 and done["writes"] >= 3, done
    expected = rows(reference)
    assert harness.count(reference, "episodes") > 0 and harness.count(reference, "event_places") > 0
    kills = 0
    for i, kill in enumerate(moments(done, [], seed=1, writes=3)):
        memory = unconsolidated(tmp_path / f"killed-{i}")
        run = interrupter.run("consolidate", "-m", str(memory), kill=kill)
        kills += run["killed"]
        assert run["killed"] or run["code"] == 0, (kill, run)
        assert stored(memory) == before, kill  # intact; no event, text or checkpoint lost
        again = interrupter.run("consolidate", "-m", str(memory))
        assert again["code"] == 0 and harness.TRACEBACK not in again["stderr"], (kill, again)
        assert rows(memory) == expected, kill
    assert kills >= 3


def test_kill_9_mid_budget_then_rerun_forgets_the_same(ingested, interrupter, tmp_path):
    """``mnemo budget`` compacts then vacuums; killed between the two, the rerun finishes the vacuum before it
    measures, so it forgets exactly the events an uninterrupted run forgets (not more)."""
    size = (ingested[1] / "memory.db").stat().st_size
    argv = ["--max-mb", f"{0.92 * size / 2**20:.4f}"]

    def files(memory: Path) -> list[str]:
        return sorted(str(p.relative_to(memory)) for p in memory.rglob("*") if p.name != "writer.lock")

    reference = _copy(ingested[1], tmp_path / "uninterrupted")
    before = stored(reference)
    done = interrupter.run("budget", "-m", str(reference), *argv)
    assert done["code"] == 0 and "events compacted" in done["stdout"], done
    expected, listing = rows(reference), files(reference)
    assert 0 < harness.count(reference, "tombstones") < harness.count(reference, "events")
    hooks = [{"call": "memory.budget:_vacuum", "n": 1, "when": "before"},  # compacted, space not reclaimed
             {"write": done["writes"] - 1, "when": "after"}]  # the compaction committed
    kills = 0
    for i, kill in enumerate(moments(done, hooks, seed=2, writes=1)):
        memory = _copy(ingested[1], tmp_path / f"killed-{i}")
        run = interrupter.run("budget", "-m", str(memory), *argv, kill=kill)
        kills += run["killed"]
        assert run["killed"] or run["code"] == 0, (kill, run)
        assert stored(memory) == before, kill
        again = interrupter.run("budget", "-m", str(memory), *argv)
        assert again["code"] == 0 and harness.TRACEBACK not in again["stderr"], (kill, again)
        assert rows(memory) == expected and files(memory) == listing, kill
    assert kills >= 3


def _archive(archive: Path, into: Path) -> tuple[dict, dict]:
    """A snapshot's manifest (less its time) and its database's rows."""
    import json
    import tarfile

    with tarfile.open(archive, "r:gz") as tar:
        assert sorted(tar.getnames()) == ["memory.db", "mnemo-snapshot.json"]
        tar.extractall(into, filter="data")
    manifest = json.loads((into / "mnemo-snapshot.json").read_text())
    manifest.pop("exported")
    return manifest, rows(into)


def test_kill_9_mid_export_leaves_no_archive_that_looks_complete(ingested, interrupter, tmp_path):
    source = ingested[1]
    before = harness.snapshot(source)
    done = interrupter.run("export", "-m", str(source), "--out", str(tmp_path / "whole.tar.gz"))
    assert done["code"] == 0, done
    expected = _archive(tmp_path / "whole.tar.gz", tmp_path / "whole")
    hooks = [{"call": "memory.store_base:StoreBase.backup", "n": 1, "when": "after"},  # the database copied
             {"call": "tarfile:TarFile.add", "n": 1, "when": "before"},  # the manifest in, the database not
             {"call": "mnemo.memories:durable_replace", "n": 1, "when": "before"}]  # written, not yet renamed
    kills = 0
    for i, kill in enumerate(moments(done, hooks, seed=3, writes=0, timed=1)):
        archive = tmp_path / f"killed-{i}" / "snapshot.tar.gz"
        run = interrupter.run("export", "-m", str(source), "--out", str(archive), kill=kill)
        kills += run["killed"]
        assert run["killed"] or run["code"] == 0, (kill, run)
        assert harness.snapshot(source) == before, kill  # an export never changes the memory
        if archive.exists():  # under its name, only a complete archive
            assert _archive(archive, tmp_path / f"killed-{i}" / "as-left") == expected, kill
        again = interrupter.run("export", "-m", str(source), "--out", str(archive))
        assert again["code"] == 0, (kill, again)
        assert _archive(archive, tmp_path / f"killed-{i}" / "rerun") == expected, kill
        assert not list(archive.parent.glob("*.partial*")), kill  # nothing the killed run left behind
    assert kills >= 3


def test_kill_9_mid_import_leaves_no_half_memory(ingested, interrupter, tmp_path):
    from mnemo.memories import find_memories

    archive = tmp_path / "snapshot.tar.gz"
    assert interrupter.run("export", "-m", str(ingested[1]), "--out", str(archive))["code"] == 0
    done = interrupter.run("import", str(archive), "-m", str(tmp_path / "uninterrupted" / "memory"))
    assert done["code"] == 0, done
    expected = rows(tmp_path / "uninterrupted" / "memory")
    hooks = [{"call": "tarfile:TarFile.extractall", "n": 1, "when": "after"},  # unpacked, not checked
             {"call": "mnemo.memories:durable_replace", "n": 1, "when": "before"},  # checked, not renamed
             {"call": "os:replace", "n": 1, "when": "after"}]  # renamed: the import is complete
    kills = 0
    for i, kill in enumerate(moments(done, hooks, seed=4, writes=0, timed=1)):
        folder = tmp_path / f"killed-{i}"
        folder.mkdir()
        memory = folder / "memory"
        run = interrupter.run("import", str(archive), "-m", str(memory), kill=kill)
        kills += run["killed"]
        assert run["killed"] or run["code"] == 0, (kill, run)
        complete = memory.exists()
        if complete:  # under its name, only a whole memory
            assert rows(memory) == expected, kill
        assert find_memories(folder) == ([memory] if complete else []), kill  # no half-imported memory listed
        again = interrupter.run("import", str(archive), "-m", str(memory))
        if complete:  # the import had finished: the rerun refuses to overwrite it
            assert again["code"] == 2 and "not empty" in again["stderr"], (kill, again)
        else:
            assert again["code"] == 0, (kill, again)
        assert rows(memory) == expected, kill
        assert [p.name for p in folder.iterdir()] == ["memory"], kill  # the killed run's staging is gone
    assert kills >= 3


@pytest.mark.parametrize("command", ["export", "import"])
def test_a_full_disk_during_export_or_import_is_one_clear_line(command, ingested, interrupter, tmp_path):
    source = ingested[1]
    archive = tmp_path / "snapshot.tar.gz"
    if command == "import":
        assert interrupter.run("export", "-m", str(source), "--out", str(archive))["code"] == 0
    target = archive if command == "export" else tmp_path / "imported"
    argv = ["export", "-m", str(source), "--out", str(archive)] if command == "export" else \
        ["import", str(archive), "-m", str(target)]
    before = harness.snapshot(source)
    listing = sorted(p.name for p in tmp_path.iterdir())
    full = interrupter.run(*argv, fsize=100_000)  # the database copy or the unpacked database passes it
    assert full["code"] == 2 and harness.TRACEBACK not in full["stderr"], full
    errors = [line for line in full["stderr"].splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(target) in errors[0] and "full disk" in errors[0], full
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # nothing partial left
    assert harness.snapshot(source) == before
    again = interrupter.run(*argv)
    assert again["code"] == 0, again
    events = harness.count(target, "events") if command == "import" else _archive(archive, tmp_path / "x")[0]["events"]
    assert events == harness.count(source, "events")


def test_kill_9_of_the_service_mid_ingest_then_resume_is_identical(reference, tmp_path):
    """A real ``mnemo serve`` killed (SIGKILL) while its worker ingests: the worker stops too (no orphan
    holds the writer lock), the job stays "running" on disk, and the restarted server resumes it to the
    events, text and vectors of an uninterrupted ingest."""
    from mnemo.writer import WriterLock
    from tests.mnemo.service.conftest import Server, wait_job

    clip, expected = reference
    at = random.Random(5).randint(2, len(expected["events"]) // 4)  # events committed when the server is killed
    root = tmp_path / "root"
    root.mkdir()
    server = Server(root, "--media-root", str(clip.parent), "-p", PROFILE, "--ingest-nice", "0")  # a quick warm-up
    memory = root / "killed"
    try:
        with server.client() as c:
            assert c.put("/v1/memories/killed").status_code == 201
            job = c.post("/v1/memories/killed/videos", json={"path": str(clip)}).json()["job"]
            deadline = time.monotonic() + 120
            while not ((memory / "memory.db").exists() and events(memory) >= at) and time.monotonic() < deadline:
                time.sleep(0.005)
        server.kill_and_restart()
        record = (root / ".mnemo-service" / "jobs" / f"{job}.json").read_text()
        assert '"state": "running"' in record, record  # interrupted: the restarted server queues it again
        with server.client() as c:
            done = wait_job(c, job, timeout=120)
    finally:
        server.stop()
    assert done["state"] == "done" and done["runs"] == 2 and done["result"]["resumed_from"] > 0, done
    assert harness.snapshot(memory)["integrity_check"] == "ok"
    assert content(memory) == expected
    with WriterLock(memory):  # nobody holds it: the killed server's worker is gone
        pass
