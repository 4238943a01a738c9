"""Ingest through the Python API: events against the sample's known cuts, text placement, resume."""

from __future__ import annotations

import numpy as np
import pytest

import mnemo


def boundary_f1(found: list[float], truth: list[float], tolerance: float) -> float:
    """F1 of boundary times with one-to-one greedy matching within ``tolerance`` seconds."""
    unmatched = list(truth)
    hits = 0
    for t in found:
        best = min(unmatched, key=lambda u: abs(u - t), default=None)
        if best is not None and abs(best - t) <= tolerance:
            unmatched.remove(best)
            hits += 1
    if not found or not truth:
        return 1.0 if not found and not truth else 0.0
    precision, recall = hits / len(found), hits / len(truth)
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)


@pytest.fixture(scope="module")
def lite_memory(sample, tmp_path_factory):
    directory = tmp_path_factory.mktemp("lite")
    with mnemo.open(directory, profile="lite", create=True) as memory:
        report = memory.ingest(sample.video, progress=_note_blas_threads)
    return directory, report


BLAS_THREADS_SEEN: set[int] = set()  # BLAS thread counts seen by lite_memory's ingest as it analysed


def _note_blas_threads(done: float, total: float | None) -> None:
    try:
        import threadpoolctl
    except ImportError:
        return
    BLAS_THREADS_SEEN.update(p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas")


def test_ingest_runs_blas_on_one_thread_beside_the_decoder(lite_memory):
    pytest.importorskip("threadpoolctl")
    assert BLAS_THREADS_SEEN == {1}


def test_events_follow_the_cuts(sample, lite_memory):
    directory, report = lite_memory
    with mnemo.open(directory) as memory:
        events = memory.events()
    assert report.events == len(events) > 0
    assert events[0].start == pytest.approx(0.0, abs=0.5)
    total = sum(s.seconds for s in sample.scenes)
    assert events[-1].end == pytest.approx(total, abs=0.6)
    for a, b in zip(events, events[1:]):
        assert a.end == pytest.approx(b.start) and a.start < a.end
    boundaries = [e.start for e in events[1:]]
    assert boundary_f1(boundaries, list(sample.cuts), tolerance=1.0) >= 0.9, boundaries


def test_keyframes_and_text_land_in_the_right_events(sample, lite_memory):
    directory, _ = lite_memory
    with mnemo.open(directory) as memory:
        events = memory.events()
    for event in events:
        assert event.keyframes, f"event {event.id} has no keyframe"
        assert all(event.start <= k.time < event.end + 1e-6 for k in event.keyframes)
        with open(event.keyframes[0].path, "rb") as f:
            assert f.read(2) == b"\xff\xd8"  # a JPEG
    start = 0.0
    for scene in sample.scenes:
        middle = start + scene.seconds / 2
        holder = next(e for e in events if e.start <= middle < e.end)
        assert scene.line in holder.text, (scene.name, holder)
        start += scene.seconds


def test_text_search_finds_the_spoken_line(sample, lite_memory):
    directory, _ = lite_memory
    with mnemo.open(directory) as memory:
        hits = memory.search("where did Alice leave her keys?", k=3)
    assert hits and "keys" in hits[0].text
    assert hits[0].start <= 6.0 + 3.5 <= hits[0].end  # the living room spans 6-13 s
    assert hits[0].keyframe and hits[0].keyframe.endswith(".jpg")


def test_image_search_finds_the_same_room(sample, lite_memory):
    import av

    with av.open(str(sample.video)) as container:  # a frame from the garden (18-24 s)
        frame = next(f for f in container.decode(video=0) if f.time >= 20.0).to_ndarray(format="rgb24")
    directory, _ = lite_memory
    with mnemo.open(directory) as memory:
        hits = memory.search(image=frame, k=1)
    assert hits[0].start <= 20.0 < hits[0].end


def test_reingest_is_idempotent(sample, lite_memory):
    directory, _ = lite_memory
    with mnemo.open(directory) as memory:
        before = [(e.id, e.start, e.end) for e in memory.events()]
        report = memory.ingest(sample.video)
        after = [(e.id, e.start, e.end) for e in memory.events()]
    assert report.skipped and report.events == 0
    assert before == after


class _Stop(KeyboardInterrupt):
    pass


def test_resume_after_interrupt_equals_one_run(sample, lite_memory, tmp_path):
    directory, _ = lite_memory

    def interrupt(done: float, total: float | None) -> None:
        if done > 15.0:
            raise _Stop

    with mnemo.open(tmp_path / "m", profile="lite", create=True) as memory:
        with pytest.raises(_Stop):
            memory.ingest(sample.video, progress=interrupt)
        partial = len(memory.events())
        report = memory.ingest(sample.video)
        resumed = memory.events()
    assert 0 < partial < len(resumed)
    assert report.resumed_from is not None and report.resumed_from > 0
    with mnemo.open(directory) as memory:
        whole = memory.events()
    assert_same_events(resumed, whole)


def assert_same_events(got, want) -> None:
    assert [(e.start, e.end, e.text) for e in got] == [(e.start, e.end, e.text) for e in want]
    assert [e.id for e in got] == list(range(got[0].id, got[0].id + len(got)))
    assert [[k.time for k in e.keyframes] for e in got] == [[k.time for k in e.keyframes] for e in want]


def test_vectors_round_trip_as_float16(lite_memory):
    directory, _ = lite_memory
    with mnemo.open(directory) as memory:
        ids, matrix = memory.store.vectors(memory.encoders.image_key)
    assert matrix.shape[0] == len(ids) > 0
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=2e-3)


def test_test_profile_runs_the_tiny_clip_model(sample, tmp_path):
    with mnemo.open(tmp_path / "t", profile="test", create=True) as memory:
        report = memory.ingest(sample.video)
        assert memory.encoders.frame.space.startswith("openclip:mnemo-tiny-clip")
        spaces = memory.store.spaces()
        hits = memory.search("kitchen", k=2)
    # random weights need not separate the rooms: this checks the real code path, not quality
    assert report.events >= 1 and len(hits) == min(2, report.events)
    assert set(spaces) == {"image/" + memory.encoders.frame.space, "text/" + memory.encoders.text.space}
    assert hits[0].scores and all(-1.0 <= s <= 1.0 for s in hits[0].scores.values())
