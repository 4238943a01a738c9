"""The mnemo command, run as a user runs it: a real process, real files, exit codes and messages."""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}


def mnemo(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mnemo", *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def event_rows(memory: Path) -> list[tuple]:
    with sqlite3.connect(memory / "memory.db") as db:
        return db.execute("SELECT id, stream, start, end, text FROM events ORDER BY id").fetchall()


@pytest.fixture(scope="module")
def ingested(sample, tmp_path_factory):
    memory = tmp_path_factory.mktemp("cli") / "mem"
    run = mnemo("ingest", str(sample.video), "--memory", str(memory), "--profile", "lite")
    assert run.returncode == 0, run.stderr
    return memory, run


def test_ingest_prints_a_summary(ingested):
    _, run = ingested
    assert "ingest summary" in run.stdout and "x real time" in run.stdout


def test_events_json_has_the_documented_fields(sample, ingested):
    memory, _ = ingested
    run = mnemo("events", "--memory", str(memory), "--json")
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert len(rows) >= len(sample.scenes) - 1
    for row in rows:
        assert {"id", "stream", "start", "end", "keyframe", "text"} <= set(row)
        assert 0 <= row["start"] < row["end"] and Path(row["keyframe"]).is_file()


def test_search_json_finds_spoken_text(ingested):
    memory, _ = ingested
    run = mnemo("search", "tomato plants in the garden", "--memory", str(memory), "--k", "2", "--json")
    assert run.returncode == 0, run.stderr
    hits = json.loads(run.stdout)
    assert len(hits) == 2 and "tomato" in hits[0]["text"]
    assert {"start", "end", "score", "keyframe"} <= set(hits[0]) and Path(hits[0]["keyframe"]).is_file()


def test_search_by_image(ingested, tmp_path):
    memory, _ = ingested
    keyframe = json.loads(mnemo("events", "--memory", str(memory), "--json").stdout)[2]["keyframe"]
    run = mnemo("search", "--image", keyframe, "--memory", str(memory), "--k", "1", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)[0]["keyframe"] == keyframe


# -- bad input: one clear error each, non-zero exit, the existing memory intact --------------------


def _audio_only(path: Path) -> Path:
    import av
    import numpy as np

    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 16000), np.float32), format="flt", layout="mono")
        frame.sample_rate = 16000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def _subtitles_only(path: Path) -> Path:
    import av

    from av.subtitles.subtitle import SubtitleSet

    with av.open(str(path), "w") as container:
        stream = container.add_stream("subrip")
        stream.codec_context.subtitle_header = (b"[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, "
                                                b"Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n")
        stream.time_base = Fraction(1, 1000)
        length = 1000
        packet = stream.codec_context.encode_subtitle(SubtitleSet.create(b"0,0,Default,,0,0,0,,hello", 0, length, 0))
        packet.stream, packet.pts, packet.dts, packet.duration = stream, 0, 0, length
        container.mux(packet)
    return path


def _bad_inputs(sample, tmp: Path) -> dict[str, tuple[str, str]]:
    text = tmp / "notes.mp4"
    text.write_text("this is not a video\n" * 50)
    truncated = tmp / "truncated.mp4"
    data = sample.video.read_bytes()
    truncated.write_bytes(data[: len(data) // 3])
    return {
        "missing file": (str(tmp / "nope.mp4"), "no such file"),
        "text named .mp4": (str(text), "notes.mp4"),
        "truncated mp4": (str(truncated), "truncated.mp4"),
        "no video or audio stream": (str(_subtitles_only(tmp / "subs.mkv")), "no video or audio stream"),
        "unreachable url": ("rtsp://127.0.0.1:9/live", "127.0.0.1:9"),
    }


def test_bad_inputs_fail_clearly_and_leave_the_memory_intact(sample, ingested, tmp_path):
    memory, _ = ingested
    before = event_rows(memory)
    for name, (source, expected) in _bad_inputs(sample, tmp_path).items():
        started = time.monotonic()
        run = mnemo("ingest", source, "--memory", str(memory), "--quiet", timeout=120)
        assert run.returncode != 0, name
        errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, (name, run.stderr)
        assert expected.lower() in errors[0].lower(), (name, errors)
        assert "Traceback" not in run.stderr, (name, run.stderr)
        assert time.monotonic() - started < 60, name
    assert event_rows(memory) == before
    with sqlite3.connect(memory / "memory.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_audio_only_needs_a_profile_with_speech(ingested, tmp_path):
    memory, _ = ingested
    video_only = tmp_path / "video-only.yaml"
    video_only.write_text("speech:\n  vad: null\n")
    voice = _audio_only(tmp_path / "voice.m4a")
    run = mnemo("ingest", str(voice), "--memory", str(memory), "--profile", str(video_only), "-q")
    assert run.returncode == 2 and "voice.m4a: has no video stream" in run.stderr, run.stderr
    run = mnemo("ingest", str(voice), "--memory", str(tmp_path / "audio"), "-q")  # lite has speech
    assert run.returncode == 0, run.stderr


def test_bad_profile_and_unknown_memory(sample, ingested, tmp_path):
    memory, _ = ingested
    run = mnemo("ingest", str(sample.video), "--memory", str(memory), "--profile", "superfast")
    assert run.returncode == 2 and "unknown profile 'superfast'; available: full, lite, standard, test" in run.stderr
    run = mnemo("events", "--memory", str(tmp_path / "nowhere"))
    assert run.returncode == 2 and "nowhere" in run.stderr and "no mnemo memory" in run.stderr
    assert not (tmp_path / "nowhere").exists()


def test_a_batch_skips_the_bad_file_and_goes_on(sample, tmp_path):
    memory = tmp_path / "batch"
    run = mnemo("ingest", str(tmp_path / "missing.mp4"), str(sample.video), "--memory", str(memory), "-q")
    assert run.returncode == 1
    assert "missing.mp4" in run.stderr and len(event_rows(memory)) > 0


def test_full_profile_without_weights_falls_back_to_lite_once(sample, tmp_path):
    started = time.monotonic()
    run = mnemo("ingest", str(sample.video), "--memory", str(tmp_path / "full"), "--profile", "full", "-q")
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("falling back to profile 'lite'") == 1, run.stderr
    assert time.monotonic() - started < 120


@pytest.mark.slow
def test_kill_9_midway_then_resume_equals_one_run(sample, ingested, tmp_path):
    memory, _ = ingested
    target = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "mnemo", "ingest", str(sample.video), "--memory",
                                str(target), "-q"], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if len(event_rows(target)) >= 2:
                break
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    assert process.poll() is None, "ingest ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = event_rows(target)
    run = mnemo("ingest", str(sample.video), "--memory", str(target), "-q")
    assert run.returncode == 0, run.stderr
    resumed, whole = event_rows(target), event_rows(memory)
    assert 2 <= len(partial) < len(resumed)
    assert [r[2:] for r in resumed] == [r[2:] for r in whole]
    assert [r[0] for r in resumed] == list(range(1, len(resumed) + 1))


# home-walkthrough is one continuous camera walk without a shot change: lite may keep it as one event
@pytest.mark.parametrize("name, duration, least", [("seed-archive-documentary.mp4", 25.1, 2),
                                                   ("nature-cuts.mp4", 24.0, 2), ("home-walkthrough.mp4", 16.8, 1)])
def test_real_video_from_shared_data(shared_data, tmp_path, name, duration, least):
    video = shared_data / "video" / name
    run = mnemo("ingest", str(video), "--memory", str(tmp_path / "real"), "-q")
    assert run.returncode == 0, run.stderr
    rows = json.loads(mnemo("events", "--memory", str(tmp_path / "real"), "--json").stdout)
    assert len(rows) >= least and rows[0]["start"] == 0.0 and abs(rows[-1]["end"] - duration) < 0.6
    assert all(Path(row["keyframe"]).is_file() for row in rows)


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with byte ranges (RFC 7233), as every media server serves them."""

    def send_head(self):
        spec = self.headers.get("Range", "")
        if not spec.startswith("bytes="):
            return super().send_head()
        path = Path(self.translate_path(self.path))
        size = path.stat().st_size
        first, _, last = spec[len("bytes="):].partition("-")
        start, end = int(first or 0), min(int(last) if last else size - 1, size - 1)
        if start >= size:
            self.send_error(416)
            return None
        handle = path.open("rb")
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        return io.BytesIO(handle.read(end - start + 1))

    def log_message(self, *args) -> None:
        pass


def test_ingest_over_http_from_a_loopback_server(sample, ingested, tmp_path):
    handler = functools.partial(_RangeHandler, directory=str(sample.video.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{sample.video.name}"
        run = mnemo("ingest", url, "--memory", str(tmp_path / "http"), "-q", timeout=180)
    finally:
        server.shutdown()
    assert run.returncode == 0, run.stderr
    memory, _ = ingested
    over_http = [r[2:4] for r in event_rows(tmp_path / "http")]
    assert over_http == [r[2:4] for r in event_rows(memory)]  # the same events as from the file


def test_eval_sim_suite_reports_the_stable_keys(tmp_path):
    run = mnemo("eval", "--suite", "sim", "--seeds", "4", "--minutes", "0.5", "--out", str(tmp_path / "ev"),
                "--json", timeout=600)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    for key in ("boundary_f1", "entity_bcubed_f1", "qa_accuracy", "qa_accuracy_by_type", "ingest_rtf",
                "query_p50_ms", "query_p99_ms"):
        assert key in report
    assert 0.0 <= report["qa_accuracy"] <= 1.0 and report["answerer"] == "builtin_answerer"  # the default
    assert "qa_accuracy" not in report["not_measurable"]
    assert (tmp_path / "ev" / "report.md").is_file() and (tmp_path / "ev" / "episode-4.png").is_file()


def test_eval_refuses_a_bad_suite_and_bad_seeds(tmp_path):
    run = mnemo("eval", "--suite", "nope", "--out", str(tmp_path / "ev"))
    assert run.returncode == 2 and "unknown suite 'nope'; available: sim, embodied, m3bench" in run.stderr
    run = mnemo("eval", "--seeds", "1,x", "--out", str(tmp_path / "ev"))
    assert run.returncode == 2 and "--seeds" in run.stderr
    run = mnemo("eval", "--suite", "m3bench", "--out", str(tmp_path / "ev"))
    assert run.returncode == 2 and "--qa" in run.stderr
    (tmp_path / "videos").mkdir()
    (tmp_path / "qa.json").write_text("{}")
    run = mnemo("eval", "--suite", "m3bench", "--qa", str(tmp_path / "qa.json"), "--videos", str(tmp_path / "videos"),
                "--llm-url", "http://127.0.0.1:9/v1", "--out", str(tmp_path / "ev"))
    assert run.returncode == 2 and "needs both --llm-url URL and --llm-model NAME" in run.stderr
    run = mnemo("eval", "--answerer", "llm", "--llm-model", "m", "--out", str(tmp_path / "ev"))
    assert run.returncode == 2 and "--answerer llm needs --llm-url URL and --llm-model NAME" in run.stderr
    run = mnemo("eval", "--answerer", "oracle", "--out", str(tmp_path / "ev"))
    assert run.returncode == 2 and "expected builtin, llm or none" in run.stderr


@pytest.mark.parametrize("args, expected", [
    (("ingest", "x.mp4", "--memory", "{tmp}/m", "--fps", "abc"), "Invalid value for '--fps'"),
    (("budget", "--memory", "{tmp}/m", "--max-mb", "-3"), "Invalid value for '--max-mb'"),
    (("graph", "--memory", "{tmp}/m", "--at", "noon", "--out", "{tmp}/g.json"), "Invalid value for '--at'"),
    (("ingest",), "Missing argument"),
    (("nosuchcommand",), "No such command"),
])
def test_bad_options_are_one_line_not_a_traceback(args, expected, tmp_path):
    run = mnemo(*(a.format(tmp=tmp_path) for a in args), timeout=60)
    assert run.returncode == 2, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and expected in errors[0], run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "m").exists()  # nothing was created


def test_mnemo_alone_shows_help_and_succeeds():
    run = mnemo(timeout=60)
    assert run.returncode == 0 and "ingest" in run.stdout and "error" not in run.stderr
