"""mnemo memories / export / import: several memories, snapshots that move a memory whole."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile

import mnemo


def mnemo_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mnemo", *args], capture_output=True, text=True, timeout=300)


def test_export_import_round_trip_and_listing(sample, tmp_path):
    source = tmp_path / "robots" / "kitchen"
    with mnemo.open(source, profile="lite", create=True) as memory:
        memory.ingest(sample.video)
        want = [(e.id, e.stream, e.start, e.end, e.text) for e in memory.events()]
        hits = [(h.event, round(h.score, 4)) for h in memory.search("tomato plants", k=3)]
    run = mnemo_cli("export", "--memory", str(source), "--out", str(tmp_path / "kitchen.tar.gz"))
    assert run.returncode == 0, run.stderr
    run = mnemo_cli("import", str(tmp_path / "kitchen.tar.gz"), "--memory", str(tmp_path / "robots" / "copy"))
    assert run.returncode == 0, run.stderr
    with mnemo.open(tmp_path / "robots" / "copy") as memory:
        assert [(e.id, e.stream, e.start, e.end, e.text) for e in memory.events()] == want
        assert [(h.event, round(h.score, 4)) for h in memory.search("tomato plants", k=3)] == hits
        assert all(e.keyframes[0].path for e in memory.events())  # thumbnails rebuilt from the database
    run = mnemo_cli("memories", str(tmp_path), "--json")
    rows = {r["directory"]: r for r in json.loads(run.stdout)}
    assert set(rows) == {str(source), str(tmp_path / "robots" / "copy")}
    assert rows[str(source)]["events"] == len(want) and rows[str(source)]["media_seconds"] > 30


def test_import_refuses_bad_snapshots_and_used_directories(sample, tmp_path):
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as tar:
        (tmp_path / "x.txt").write_text("hello")
        tar.add(tmp_path / "x.txt", arcname="x.txt")
    run = mnemo_cli("import", str(bad), "--memory", str(tmp_path / "m"))
    assert run.returncode == 2 and "not a mnemo snapshot" in run.stderr and not (tmp_path / "m").exists()
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("x")
    run = mnemo_cli("import", str(bad), "--memory", str(tmp_path / "used"))
    assert run.returncode == 2 and "not empty" in run.stderr
    run = mnemo_cli("export", "--memory", str(tmp_path / "nothing"), "--out", str(tmp_path / "n.tar.gz"))
    assert run.returncode == 2 and "no mnemo memory" in run.stderr
