"""The segmenter's entities and pose channels, alone and through ingest (resume included)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import mnemo
from memory.perceived import Area
from memory.poses import PoseTrack
from mnemo.config import load_profile
from mnemo.segment_channels import EntitySignal, PeopleSignal, PoseSignal, RoomEntrySignal
from perception.geometry import LevelCamera, project

FPS = 2.0  # analysed frames per second


def _seen(labels: list[str]) -> list:
    return [SimpleNamespace(label=label, kind="thing") for label in labels]


def _frames(person_from: float, seconds: float = 20.0, missing: tuple[float, ...] = ()) -> list[tuple[float, list]]:
    """A cup on view all along; a person from ``person_from`` on (not in the ``missing`` frames)."""
    out = []
    for t in np.arange(0.0, seconds, 1.0 / FPS):
        labels = ["cup"] + (["person"] if t >= person_from and round(float(t), 3) not in missing else [])
        out.append((float(t), _seen(labels)))
    return out


def test_a_person_arriving_reads_one_and_a_missed_detection_little() -> None:
    signal = EntitySignal(window_s=2.0, frame_s=1.0 / FPS)
    for t, detections in _frames(10.0, missing=(14.0,)):
        signal.add(t, detections)
    readings = {t: signal.read(t)["entities"] for t in np.arange(2.0, 18.0, 0.5)}
    assert max(readings, key=readings.get) == 10.0 and readings[10.0] == pytest.approx(1.0)
    assert readings[6.0] == 0.0  # cup alone on both sides
    assert readings[14.0] <= 0.25 + 1e-9  # one frame without the person is a quarter of a window
    assert math.isnan(EntitySignal(2.0, 0.5).read(5.0)["entities"])  # nothing analysed: no reading


def test_people_arrivals_ignore_other_labels_and_departures() -> None:
    """A cup going out of view and a person leaving read nothing; a person coming into view reads ~1."""
    signal = EntitySignal(window_s=2.0, frame_s=1.0 / FPS, labels=("person",), arrivals=True)
    for t in np.arange(0.0, 30.0, 1.0 / FPS):
        labels = (["cup"] if t < 6.0 else []) + (["person"] if 10.0 <= t < 20.0 else [])
        signal.add(float(t), _seen(labels))
    readings = {float(t): signal.read(float(t))["entities"] for t in np.arange(2.0, 28.0, 0.5)}
    assert readings[10.0] == pytest.approx(1.0) and max(readings, key=readings.get) == 10.0
    assert readings[6.0] == 0.0 and readings[20.0] == 0.0  # the cup going, the person leaving
    assert sum(r > 0 for r in readings.values()) == 7  # the rise is seen only within a window of 10 s


def test_readings_wait_for_the_detections_after_them() -> None:
    signal = EntitySignal(window_s=2.0, frame_s=1.0 / FPS)
    for t, detections in _frames(10.0, seconds=11.0):
        signal.add(t, detections)
    assert signal.ready(8.0, latest=10.5) and not signal.ready(10.0, latest=10.5)
    assert signal.ready(10.0, latest=10.0 + 2.0 + 2 * 0.5 + 0.1)  # frames that never come are not waited for


def test_state_before_a_boundary_gives_the_same_readings_after_it() -> None:
    frames = _frames(10.0, seconds=30.0)
    whole = EntitySignal(2.0, 1.0 / FPS)
    for t, detections in frames:
        whole.add(t, detections)
    expected = [whole.read(t)["entities"] for t in np.arange(9.0, 28.0, 0.5)]
    state = whole.state(before=9.0)
    resumed = EntitySignal(2.0, 1.0 / FPS, state)
    for t, detections in frames:
        resumed.add(t, detections)  # frames before the state's end are ignored, as a resumed reader skips them
    assert [resumed.read(t)["entities"] for t in np.arange(9.0, 28.0, 0.5)] == expected
    with pytest.raises(ValueError, match="entity channel state"):
        EntitySignal(2.0, 0.5, b"not json")


def test_pose_channel_reads_area_changes() -> None:
    times = np.arange(0.0, 10.01, 0.2)
    track = PoseTrack("s", times, np.where(times < 5.0, 1.0, 3.0) + 0.0 * times, np.ones_like(times), 0 * times)
    signal = PoseSignal(track, [Area("kitchen", 0, 0, 2, 2), Area("hall", 2, 0, 4, 2)])
    readings = {round(t, 1): signal.read(t)["pose"] for t in np.arange(0.5, 10.0, 0.5)}
    assert [t for t, r in readings.items() if r == 1.0] == [5.0]
    assert math.isnan(signal.read(12.0)["pose"]) and math.isnan(signal.read(0.2)["pose"])



def test_pose_signal_reads_turns_in_place_not_turns_while_walking() -> None:
    times = np.arange(0.0, 20.01, 0.2)
    xs = np.where(times < 10.0, 1.0, 1.0 + (times - 10.0))  # still for 10 s, then walking at 1 m/s
    yaws = np.where((times > 4.0) & (times < 6.0), (times - 4.0) * math.pi / 4, 0.0)  # a 90 deg turn in place
    yaws = np.where(times >= 6.0, math.pi / 2, yaws)
    yaws = np.where(times >= 14.0, math.pi / 2 + np.minimum(times - 14.0, 2.0) * math.pi / 4, yaws)  # and walking
    signal = PoseSignal(PoseTrack("s", times, xs, np.ones_like(times), yaws), [Area("room", 0, 0, 40, 2)])
    assert signal.read(5.0)["turn"] == pytest.approx(90.0)  # 4-6 s: the whole turn within 1 s either side
    assert signal.read(2.0)["turn"] == pytest.approx(0.0, abs=1e-9)
    assert signal.read(15.0)["turn"] == 0.0  # the camera moved on: its view changes with the walk
    assert math.isnan(signal.read(19.5)["turn"])  # the window runs past the log



def test_pose_signal_reads_seconds_to_the_nearest_area_crossing() -> None:
    times = np.arange(0.0, 20.01, 0.2)
    xs = np.where(times < 8.0, 1.0, 3.0)  # from the kitchen into the hall between the samples at 7.8 and 8.0 s
    signal = PoseSignal(PoseTrack("s", times, xs, np.ones_like(times), 0 * times),
                        [Area("kitchen", 0, 0, 2, 2), Area("hall", 2, 0, 4, 2)])
    assert signal.read(7.9)["crossing"] == pytest.approx(0.0, abs=1e-9)
    assert signal.read(2.9)["crossing"] == pytest.approx(5.0) and signal.read(12.9)["crossing"] == pytest.approx(5.0)
    assert math.isnan(signal.read(25.0)["crossing"])  # no pose there
    still = PoseSignal(PoseTrack("s", times, 0 * times + 1.0, np.ones_like(times), 0 * times),
                       [Area("kitchen", 0, 0, 2, 2)])
    assert still.read(5.0)["crossing"] == math.inf


def test_against_the_most_seen_before_a_missed_detection_found_again_is_not_an_arrival() -> None:
    frames = _frames(10.0, missing=(14.0,))
    plain = EntitySignal(2.0, 1.0 / FPS, labels=("person",), arrivals=True)
    most = EntitySignal(2.0, 1.0 / FPS, labels=("person",), arrivals=True, against_most=True)
    for t, detections in frames:
        plain.add(t, detections)
        most.add(t, detections)
    assert plain.read(14.5)["entities"] == pytest.approx(0.25)  # the mean before dipped with the miss
    assert most.read(14.5)["entities"] == 0.0 and most.read(15.0)["entities"] == 0.0
    assert most.read(10.0)["entities"] == pytest.approx(1.0)  # a person coming into view still reads 1


# -- people: how many people were in view just before (the still-view rescue's condition) ---------------

def test_people_reads_the_mean_person_count_of_the_frames_before_it() -> None:
    signal = PeopleSignal(window_s=2.0, frame_s=1.0 / FPS)
    assert math.isnan(signal.read(5.0)["people"])  # nothing analysed: no reading
    for t, detections in _frames(10.0, missing=(14.0,)):
        signal.add(t, detections + ([SimpleNamespace(label=None, kind="person")] if t >= 16.0 else []))
    assert signal.read(10.0)["people"] == 0.0  # a cup alone before: nobody in view (the person comes at 10 s)
    assert signal.read(12.0)["people"] == pytest.approx(1.0)
    assert signal.read(15.0)["people"] == pytest.approx(0.75)  # missed in one frame of four
    assert signal.read(19.0)["people"] == pytest.approx(2.0)  # a second person (a detector's kind, no label)
    assert signal.ready(19.5, latest=19.5) and not signal.ready(20.5, latest=20.5)  # its own frame is waited for
    assert signal.ready(20.5, latest=20.5 + 2 * 0.5 + 0.1)  # ... but not a frame that never comes


def test_people_resumes_from_the_state_before_a_boundary() -> None:
    frames = _frames(10.0, seconds=30.0, missing=(12.0, 13.5))
    whole = PeopleSignal(2.0, 1.0 / FPS)
    for t, detections in frames:
        whole.add(t, detections)
    expected = [whole.read(float(t))["people"] for t in np.arange(11.0, 28.0, 0.5)]
    resumed = PeopleSignal(2.0, 1.0 / FPS, whole.state(before=11.0))
    for t, detections in frames:
        resumed.add(t, detections)  # frames before the state's end are ignored, as a resumed reader skips them
    assert [resumed.read(float(t))["people"] for t in np.arange(11.0, 28.0, 0.5)] == expected


# -- entries: people coming to the camera's room, from person boxes placed on the map ----------------------

ROOMS = [Area("hall", 0, 0, 6, 4), Area("kitchen", 6, 0, 12, 4)]
CAMERA = LevelCamera(height_m=1.2, hfov_deg=90.0)
SIZE = (640, 480)


def _person_box(pose, x: float, y: float) -> tuple[float, float, float, float]:
    """The box a detector gives for a person standing at map (x, y), seen from ``pose``."""
    u, v = project(CAMERA, SIZE, pose, x, y)
    top = project(CAMERA, SIZE, pose, x, y, z=1.7)[1]
    return (u - 20.0, top, u + 20.0, v)


def _entry_signal(track: PoseTrack, people, seconds: float = 30.0, missing=(), margin: float = 1.0,
                  seen_from: PoseTrack | None = None):
    """A RoomEntrySignal fed a frame per 0.5 s with a person at ``people(t)`` (None: nobody), seen from the poses
    of ``seen_from`` (default: ``track``, the pose log the signal reads)."""
    seen_from = seen_from or track
    signal = RoomEntrySignal(track, ROOMS, CAMERA, window_s=2.0, frame_s=1.0 / FPS, margin_m=margin)
    for t in np.arange(0.0, seconds, 1.0 / FPS):
        where = people(float(t))
        boxes = [] if where is None or round(float(t), 3) in missing else \
            [SimpleNamespace(label="person", kind="person", box=_person_box(seen_from.at(float(t)), *where))]
        signal.add(float(t), boxes + _seen(["cup"]), SIZE)
    return signal


def _still(x: float = 0.5, y: float = 2.0, yaw: float = 0.0, seconds: float = 30.0) -> PoseTrack:
    times = np.arange(0.0, seconds + 0.01, 0.2)
    return PoseTrack("s", times, 0 * times + x, 0 * times + y, 0 * times + yaw)


def test_a_person_walking_into_the_cameras_room_reads_at_its_threshold() -> None:
    track = _still()  # in the hall, looking down it at the kitchen's door (x = 6)

    def walking(t: float):  # from the kitchen's far end (11 m) at 0.5 m/s, through the door at 20 s, to 3 m
        return (max(11.0 - 0.5 * (t - 10.0), 3.0), 2.0) if t >= 10.0 else None

    signal = _entry_signal(track, walking)
    readings = {float(t): signal.read(float(t))["entries"] for t in np.arange(2.0, 28.0, 0.5)}
    peak = max(readings, key=readings.get)
    assert readings[peak] == pytest.approx(1.0) and 17.0 <= peak <= 21.0, readings  # within 1 m of the door
    assert all(r == 0.0 for t, r in readings.items() if t < 15.0)  # in view far beyond the door: nothing
    assert signal.read(27.0)["entries"] == 0.0  # standing 3 m inside: nothing


def test_people_inside_the_room_and_missed_detections_read_nothing() -> None:
    track = _still()
    deep = _entry_signal(track, lambda t: (3.0, 2.0) if t >= 10.0 else None)  # comes into view 2.5 m from the walls
    assert all(deep.read(float(t))["entries"] == 0.0 for t in np.arange(2.0, 28.0, 0.5))
    at_door = _entry_signal(track, lambda t: (5.5, 2.0), missing=(14.0, 14.5))  # stands at the door, missed twice
    assert all(at_door.read(float(t))["entries"] == 0.0 for t in np.arange(4.0, 28.0, 0.5))
    beyond = _entry_signal(track, lambda t: (9.0, 0.5 + 0.1 * t) if t >= 10.0 else None)  # crossing the kitchen
    assert all(beyond.read(float(t))["entries"] == 0.0 for t in np.arange(2.0, 28.0, 0.5))


def test_entries_need_a_pose_and_resume_from_the_state() -> None:
    def walking(t: float):
        return (max(11.0 - 0.5 * (t - 10.0), 3.0), 2.0) if t >= 10.0 else None

    whole = _entry_signal(_still(), walking)
    expected = [whole.read(float(t))["entries"] for t in np.arange(16.0, 28.0, 0.5)]
    resumed = RoomEntrySignal(_still(), ROOMS, CAMERA, 2.0, 1.0 / FPS, state=whole.state(before=16.0))
    for t in np.arange(0.0, 30.0, 1.0 / FPS):
        where = walking(float(t))
        boxes = [] if where is None else \
            [SimpleNamespace(label="person", box=_person_box(_still().at(float(t)), *where))]
        resumed.add(float(t), boxes, SIZE)
    assert [resumed.read(float(t))["entries"] for t in np.arange(16.0, 28.0, 0.5)] == expected
    unposed = _entry_signal(_still(seconds=5.0), walking, seen_from=_still())  # the log ends at 5 s: nothing after
    assert all(unposed.read(float(t))["entries"] == 0.0 for t in np.arange(8.0, 28.0, 0.5))
    with pytest.raises(ValueError, match="margin_m"):
        RoomEntrySignal(_still(), ROOMS, CAMERA, 2.0, 0.5, margin_m=0.0)


def _leaving_signal(people, leaving_m: float | None, state: bytes | None = None,
                    frames: tuple[float, float] = (0.0, 30.0)) -> RoomEntrySignal:
    """A RoomEntrySignal with ``leaving_m``, fed a frame per 0.5 s over ``frames`` with a person at ``people(t)``,
    seen from a still camera near the hall's middle looking at the kitchen's door (x = 6)."""
    track = _still(x=2.0)
    signal = RoomEntrySignal(track, ROOMS, CAMERA, window_s=2.0, frame_s=1.0 / FPS, leaving_m=leaving_m, state=state)
    for t in np.arange(*frames, 1.0 / FPS):
        where = people(float(t))
        boxes = [] if where is None else [SimpleNamespace(label="person", box=_person_box(track.at(float(t)), *where))]
        signal.add(float(t), boxes, SIZE)
    return signal


def _walking_out(t: float):
    """From 4 m inside the hall at 0.5 m/s through the kitchen's door (6 m) at 14 s, on to 9 m."""
    return (min(3.0 + 0.5 * (t - 8.0), 9.0), 2.0) if t >= 8.0 else None


def _walking_in(t: float):
    """From the kitchen's 10 m at 0.5 m/s through its door (6 m) at 18 s, on to 3 m inside the hall."""
    return (max(10.0 - 0.5 * (t - 10.0), 3.0), 2.0) if t >= 10.0 else None


def test_a_person_stepping_out_of_the_cameras_room_is_not_counted_at_its_threshold() -> None:
    times = np.arange(2.0, 28.0, 0.5)
    out_all = [_leaving_signal(_walking_out, None).read(float(t))["entries"] for t in times]
    assert max(out_all) >= 0.5  # without leaving_m: at the threshold on the way out reads as one coming in
    out = _leaving_signal(_walking_out, 0.2)
    assert all(out.read(float(t))["entries"] == 0.0 for t in times)  # 0.25 m further out each frame: left out
    coming = [_leaving_signal(_walking_in, 0.2).read(float(t))["entries"] for t in times]
    assert coming == [_leaving_signal(_walking_in, None).read(float(t))["entries"] for t in times]  # unchanged
    assert max(coming) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="leaving_m"):
        RoomEntrySignal(_still(), ROOMS, CAMERA, 2.0, 0.5, leaving_m=-0.1)


def test_the_previous_frames_placed_people_resume_with_the_state() -> None:
    whole = _leaving_signal(_walking_out, 0.2)
    at = 13.0  # mid-walk, at the threshold: the first frame after the resume is compared with the one before it
    resumed = _leaving_signal(_walking_out, 0.2, state=whole.state(before=at), frames=(at, 30.0))
    times = np.arange(at, 28.0, 0.5)
    assert [resumed.read(float(t))["entries"] for t in times] == [whole.read(float(t))["entries"] for t in times]
    assert resumed.counts.count_within(at, at, "threshold") == whole.counts.count_within(at, at, "threshold") == 0
    fresh = _leaving_signal(_walking_out, 0.2, frames=(at, 30.0))  # without the state the first frame counts
    assert fresh.counts.count_within(at, at, "threshold") == 1


def _turning(seconds: float = 30.0, x: float = 0.5, y: float = 2.0) -> PoseTrack:
    """Turning in place from -40 to +40 degrees over the first 10 s, and back over the next 10 s."""
    times = np.arange(0.0, seconds + 0.01, 0.2)
    yaws = np.radians(np.interp(times, [0.0, 10.0, 20.0, seconds], [-40.0, 40.0, -40.0, -40.0]))
    return PoseTrack("t", times, 0 * times + x, 0 * times + y, yaws)


def _moving_signal(track: PoseTrack, box) -> RoomEntrySignal:
    signal = RoomEntrySignal(track, ROOMS, CAMERA, window_s=2.0, frame_s=1.0 / FPS)
    for t in np.arange(0.0, 30.0, 1.0 / FPS):
        signal.add(float(t), [SimpleNamespace(label="person", kind="person", box=box(float(t)))], SIZE)
    return signal


def test_a_turn_sweeping_past_a_still_person_reads_no_one_moving() -> None:
    track = _turning()  # the person stands 2.5 m ahead of the camera's mean heading: the box crosses the frame
    signal = _moving_signal(track, lambda t: _person_box(track.at(t), 3.0, 2.0))
    columns = [(b[0] + b[2]) / 2 for b in (_person_box(track.at(t), 3.0, 2.0) for t in (1.0, 9.0))]
    assert abs(columns[0] - columns[1]) > 300  # swept across the picture
    assert all(signal.read(float(t))["moving"] == 0.0 for t in np.arange(1.0, 28.0, 0.5))


def test_a_box_that_doubles_at_one_bearing_reads_moving_and_resumes_alike() -> None:
    track = _turning()

    def stepping_out(t: float):  # behind a counter (its top 40% seen) until 12 s, then in full, while the camera turns
        x0, top, x1, bottom = _person_box(track.at(t), 3.0, 2.0)
        return (x0, top, x1, bottom if t >= 12.0 else top + 0.4 * (bottom - top))

    signal = _moving_signal(track, stepping_out)
    readings = {float(t): signal.read(float(t))["moving"] for t in np.arange(1.0, 28.0, 0.5)}
    assert all((r > 0) == (11.0 <= t <= 13.0) for t, r in readings.items()), readings
    resumed = RoomEntrySignal(track, ROOMS, CAMERA, 2.0, 1.0 / FPS, state=signal.state(before=12.0))
    for t in np.arange(0.0, 30.0, 1.0 / FPS):
        resumed.add(float(t), [SimpleNamespace(label="person", box=stepping_out(float(t)))], SIZE)
    assert [resumed.read(float(t))["moving"] for t in np.arange(12.0, 28.0, 0.5)] == \
        [readings[float(t)] for t in np.arange(12.0, 28.0, 0.5)]
    with pytest.raises(ValueError, match="growth"):
        RoomEntrySignal(track, ROOMS, CAMERA, 2.0, 0.5, growth=1.5)


# -- through ingest ----------------------------------------------------------------------------------

def _profile(channels: dict, detectors: list[str]):
    """lite, with ``detectors`` on at 2 fps and the segmenter fusing ``channels``."""
    from mnemo.entities import EntitiesConfig

    base = load_profile("lite")
    return dataclasses.replace(base, segmenter=dataclasses.replace(base.segmenter, channels=channels),
                               entities=EntitiesConfig(detectors=tuple(detectors), fps=2.0))


class _Stop(KeyboardInterrupt):
    pass


def test_resume_with_entity_and_visual_channels_equals_one_run(shared_data, tmp_path) -> None:
    """The documentary's faces feed the entities channel; interrupted and resumed, the events are the same."""
    video = shared_data / "video" / "seed-archive-documentary.mp4"
    profile = _profile({"entities": 1.0, "trend": 1.0, "place": 1.0}, ["haar-faces"])
    with mnemo.open(tmp_path / "whole", profile=profile, create=True) as memory:
        memory.ingest(video)
        whole = [(e.start, e.end, e.surprise) for e in memory.events()]
    assert len(whole) >= 3

    def stop(done: float, total) -> None:
        if done > whole[1][1] + 3.0:  # past the second boundary: the first events are committed
            raise _Stop

    with mnemo.open(tmp_path / "resumed", profile=profile, create=True) as memory:
        with pytest.raises(_Stop):
            memory.ingest(video, progress=stop)
        assert 0 < len(memory.events()) < len(whole)
        report = memory.ingest(video)
        resumed = [(e.start, e.end, e.surprise) for e in memory.events()]
    assert report.resumed_from and resumed == whole


def test_the_pose_channel_cuts_a_still_picture_where_the_stored_poses_change_area(tmp_path) -> None:
    """A still video whose pose log (stored before the ingest) walks from one area into another at 12 s."""
    from memory.perceived import set_areas
    from memory.poses import Pose
    from streams.identity import stream_id

    path = _still_video(tmp_path / "still.mp4")
    for channels, expected in (({"pose": 1.0}, [12.0]), ({}, [])):
        with mnemo.open(tmp_path / f"m{len(channels)}", profile=_profile(channels, []), create=True) as memory:
            stream = stream_id(str(path))
            memory.store.add_stream(stream, str(path), {})
            memory.store.add_poses([Pose(stream, t, 1.0 if t < 12.0 else 3.0, 1.0) for t in np.arange(0.0, 24.0, 0.2)])
            set_areas(memory.store, [Area("kitchen", 0, 0, 2, 2), Area("hall", 2, 0, 4, 2)])
            memory.ingest(path)
            starts = [e.start for e in memory.events()[1:]]
        assert len(starts) == len(expected) and all(abs(s - e) <= 0.5 for s, e in zip(starts, expected)), starts


def test_the_entries_channel_cuts_a_still_picture_where_a_detected_person_comes_through_the_door(tmp_path) -> None:
    """A still video; a detector that sees a person walk down the kitchen and through the door into the camera's
    hall at 12 s (boxes only: the entity stage places them from the stored pose log with the camera model)."""
    from memory.perceived import set_areas
    from memory.poses import Pose
    from mnemo.entities import EntitiesConfig
    from perception.detection import Detection, Detector, register_detector
    from streams.identity import stream_id

    pose = (0.5, 2.0, 0.0)

    @register_detector("test-walker-through-door")
    class Walker(Detector):
        kind = "person"

        def __init__(self, **options) -> None:  # the entity stage's crop encoder and settings: not needed
            pass

        def detect(self, frames, times):
            out = []
            for frame, t in zip(frames, times):
                x = max(12.0 - 0.5 * float(t), 3.0)  # at 0.5 m/s from 12 m: the door (6 m) at 12 s
                sx = frame.shape[1] / SIZE[0] if frame is not None else 1.0
                sy = frame.shape[0] / SIZE[1] if frame is not None else 1.0
                x0, y0, x1, y1 = _person_box(pose, x, 2.0)
                out.append([Detection(float(t), (x0 * sx, y0 * sy, x1 * sx, y1 * sy), 0.9, "person", "person")])
            return out

    path = _still_video(tmp_path / "still.mp4")
    camera = {"height_m": CAMERA.height_m, "hfov_deg": CAMERA.hfov_deg}
    for channels, expected in (({"entries": 1.0}, [(10.0, 13.0)]), ({}, [])):
        base = load_profile("lite")
        profile = dataclasses.replace(
            base, segmenter=dataclasses.replace(base.segmenter, channels=channels),
            entities=EntitiesConfig(detectors=("test-walker-through-door",), fps=2.0, camera=camera))
        with mnemo.open(tmp_path / f"m{len(channels)}", profile=profile, create=True) as memory:
            stream = stream_id(str(path))
            memory.store.add_stream(stream, str(path), {})
            memory.store.add_poses([Pose(stream, t, *pose) for t in np.arange(0.0, 24.0, 0.2)])
            set_areas(memory.store, ROOMS)
            memory.ingest(path)
            starts = [e.start for e in memory.events()[1:]]
        assert len(starts) == len(expected) and all(lo <= s <= hi for s, (lo, hi) in zip(starts, expected)), starts


def test_the_people_reading_reaches_the_segmenter_from_the_entity_stage(tmp_path) -> None:
    """A detector that sees a person from 10 s on: with the still-view rescue on (lite), the segmenter gets the
    people reading with each observation."""
    from mnemo.entities import EntitiesConfig
    from mnemo.pipeline import Ingestor
    from perception.detection import Detection, Detector, register_detector

    @register_detector("test-person-from-10s")
    class Arrives(Detector):
        kind = "person"

        def __init__(self, **options) -> None:
            pass

        def detect(self, frames, times):
            return [[Detection(float(t), (10.0, 5.0, 30.0, 40.0), 0.9, "person", "person")] if t >= 10.0 else []
                    for t in times]

    base = load_profile("lite")
    assert base.segmenter.still_spread is not None
    profile = dataclasses.replace(base, entities=EntitiesConfig(detectors=("test-person-from-10s",), fps=2.0))
    readings: dict[float, float] = {}
    with mnemo.open(tmp_path / "m", profile=profile, create=True) as memory:
        ingestor = Ingestor(memory.store, memory.encoders)
        ingestor.on_observation = lambda t, v, signals: readings.__setitem__(t, signals.get("people"))
        ingestor.ingest(str(_still_video(tmp_path / "still.mp4")))
    assert len(readings) >= 40
    assert all(r == 0.0 for t, r in readings.items() if 2.5 <= t <= 10.0), readings
    assert all(r == pytest.approx(1.0) for t, r in readings.items() if t >= 12.5), readings


def _still_video(path: Path) -> Path:
    """24 s of one grey 64x48 picture at 5 fps: only side channels can cut it."""
    import av

    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=5)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        grey = np.full((48, 64, 3), 128, np.uint8)
        for i in range(5 * 24):
            frame = av.VideoFrame.from_ndarray(grey, format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    return path
