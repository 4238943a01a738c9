"""mnemo job: a folder of media with a corrupt file, a copy and a truncated bag; re-runs; kill -9 midway."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnemo.job import DONE, FAILED, MANIFEST, SUMMARY, Job, expand_inputs, plan_files
from mnemo.runtime.inline import InlineRuntime

ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}


def make_media(folder: Path, count: int, seconds: float = 3.0) -> list[Path]:
    """``count`` distinct short videos (different seeds and room orders) of 4 scenes each."""
    from mnemo.sample import SCENES, Scene, make_sample

    folder.mkdir(parents=True, exist_ok=True)
    videos = []
    for n in range(count):
        rooms = SCENES[n % 3: n % 3 + 4]
        scenes = tuple(Scene(s.name, s.wall, s.floor, s.line, seconds) for s in rooms)
        videos.append(make_sample(folder / f"part{n // 2}", scenes=scenes, seed=n, name=f"clip{n}", width=320,
                                  height=180).video)
    return videos


def event_rows(memory: Path) -> list[tuple]:
    with sqlite3.connect(memory / "memory.db") as db:
        return db.execute("SELECT id, stream, start, end, text FROM events ORDER BY id").fetchall()


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    """Three videos in sub-folders, a copy of one, a corrupt (truncated) one and an empty bag."""
    root = tmp_path_factory.mktemp("media")
    videos = make_media(root, 3)
    (root / "part0" / "copy-of-clip0.mp4").write_bytes(videos[0].read_bytes())
    (root / "broken.mp4").write_bytes(videos[1].read_bytes()[:30_000])
    (root / "robot.bag").write_bytes(b"#ROSBAG V2.0\n")
    return root


@pytest.fixture(scope="module")
def done_once(media, tmp_path_factory):
    memory = tmp_path_factory.mktemp("job") / "mem"
    summary = Job(memory, [str(media)], lambda: InlineRuntime(memory, "lite")).run()
    return memory, summary


def test_inputs_expand_folders_globs_and_list_files(media, tmp_path):
    listing = tmp_path / "inputs.txt"
    listing.write_text(f"# the job's files\n{media / 'part0' / 'clip0.mp4'}\n\n{media / 'part1'}\n")
    paths, bad = expand_inputs([str(listing), str(media / "*.mp4"), str(tmp_path / "missing.mp4")])
    names = sorted(p.name for p in paths)
    assert names == ["broken.mp4", "clip0.mp4", "clip2.mp4"]
    assert len(bad) == 1 and "no such file" in bad[0].reason


def test_copies_share_one_entry_and_a_bad_bag_fails_with_its_reason(media):
    paths, _ = expand_inputs([str(media)])
    planned = plan_files(paths)
    by_name = {Path(e.path).name: e for e in planned}
    assert "copy-of-clip0.mp4" not in by_name
    assert [Path(c).name for c in by_name["clip0.mp4"].copies] == ["copy-of-clip0.mp4"]
    bag = by_name["robot.bag"]
    assert bag.state == FAILED and bag.reason.startswith(str(media / "robot.bag")) and "ROS bag" in bag.reason


def test_a_job_ingests_the_good_files_and_reports_the_bad_one(media, done_once):
    memory, summary = done_once
    assert (summary.ingested, summary.failed, summary.skipped) == (3, 2, 1)
    assert summary.failures[0]["path"].endswith("broken.mp4") and "broken.mp4" in summary.failures[0]["reason"]
    rows = event_rows(memory)
    assert len({r[1] for r in rows}) == 3 and summary.events == len(rows)
    assert summary.hours == pytest.approx(3 * 12.0 / 3600, rel=0.02)
    assert summary.realtime_factor > 0
    written = json.loads((memory / SUMMARY).read_text())
    assert written["ingested"] == 3 and written["failures"] == summary.failures
    states = {Path(e["path"]).name: e["state"] for e in json.loads((memory / MANIFEST).read_text())["files"]}
    assert states == {"clip0.mp4": DONE, "clip1.mp4": DONE, "clip2.mp4": DONE, "broken.mp4": FAILED,
                      "robot.bag": FAILED}


def test_a_rerun_skips_what_is_done(media, done_once):
    memory, _ = done_once
    before = event_rows(memory)
    again = Job(memory, [str(media)], lambda: InlineRuntime(memory, "lite")).run()
    assert (again.ingested, again.already_done, again.failed, again.events) == (0, 3, 2, 0)
    assert event_rows(memory) == before


@pytest.mark.slow
def test_kill_9_midway_then_rerun_finishes_without_duplicates(media, done_once, tmp_path):
    reference, _ = done_once
    memory = tmp_path / "killed"
    command = [sys.executable, "-m", "mnemo", "job", str(media), "--memory", str(memory), "-q", "--profile", "lite"]
    process = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:  # (never connect before the job made the database: sqlite would create an empty one)
            if (memory / "memory.db").is_file() and len(event_rows(memory)) >= 6:  # the first file (4 events) is done, the second begun
                break
        except sqlite3.Error:
            pass
        time.sleep(0.02)
    assert process.poll() is None, "the job ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = event_rows(memory)
    rerun = subprocess.run(command + ["--json"], env=ENV, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 1, rerun.stderr  # 1: the corrupt file failed again
    summary = json.loads(rerun.stdout)
    assert summary["already_done"] >= 1 and summary["ingested"] + summary["already_done"] == 3
    resumed, whole = event_rows(memory), event_rows(reference)
    assert len(partial) < len(resumed)
    assert [r[1:] for r in resumed] == [r[1:] for r in whole]  # same streams, spans and text, in order
    assert [r[0] for r in resumed] == list(range(1, len(resumed) + 1))  # no duplicate, no gap
