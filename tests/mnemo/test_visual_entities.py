"""Faces and people seen in real video become entities, attached to the events they appear in."""

from __future__ import annotations

import mnemo
from mnemo.config import load_profile, profile_from_dict


def test_faces_in_the_documentary_become_entities(shared_data, tmp_path):
    video = shared_data / "video" / "seed-archive-documentary.mp4"
    profile = profile_from_dict({"entities": {"detectors": ["hog-people", "haar-faces"], "fps": 2.0}})
    with mnemo.open(tmp_path / "m", profile=profile, create=True) as memory:
        report = memory.ingest(video)
        faces = memory.entities.entities(kind="face")
        timelines = {f["id"]: memory.entities.timeline(f["id"]) for f in faces}
        events = {e.id: e for e in memory.events()}
    assert "entities" in report.stages
    # two women are in view from 6.8 s to 12.0 s: at least one face entity is seen there
    assert any(a["start"] < 12.0 and a["end"] > 6.8 for t in timelines.values() for a in t)
    for timeline in timelines.values():
        for appearance in timeline:  # every appearance is attached to the event it falls in
            event = events[appearance["event"]]
            assert event.start <= (appearance["start"] + appearance["end"]) / 2 < event.end


def test_entities_are_off_in_lite_and_on_in_full():
    assert not load_profile("lite").entities.enabled
    assert load_profile("full").entities.detectors == ("hog-people", "haar-faces")
