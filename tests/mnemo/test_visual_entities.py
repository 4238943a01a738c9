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


def test_entities_are_off_in_lite_and_on_in_full(tmp_path):
    from memory.store import MemoryStore
    from mnemo.entities import EntityLinker, EntityStage
    from perception import create_frame_encoder

    assert not load_profile("lite").entities.enabled
    full = load_profile("full").entities
    assert full.detectors == ("hog-people", "haar-faces", "clip-objects")
    # the full profile's detectors build on a CLIP encoder (here the tiny random one: the code path)
    clip = create_frame_encoder("openclip", model="mnemo-tiny-clip", allow_random=True)
    with MemoryStore(tmp_path / "m") as store:
        stage = EntityStage(full, "s", clip, EntityLinker(store))
        assert len(stage.detectors) == 3


class _Stop(KeyboardInterrupt):
    pass


def test_resume_gives_the_same_entities(shared_data, tmp_path):
    import pytest

    video = shared_data / "video" / "seed-archive-documentary.mp4"
    profile = profile_from_dict({"entities": {"detectors": ["haar-faces"], "fps": 2.0}})

    def appearances(memory) -> list[tuple]:
        rows = [(a["entity"], round(a["start"], 3), round(a["end"], 3), a["event"])
                for e in memory.entities.entities() for a in memory.entities.timeline(e["id"])]
        return sorted(rows, key=lambda r: (r[1], r[0]))

    with mnemo.open(tmp_path / "whole", profile=profile, create=True) as memory:
        memory.ingest(video)
        whole = appearances(memory)

    def stop(done: float, total) -> None:
        if done > 14.0:
            raise _Stop

    with mnemo.open(tmp_path / "resumed", profile=profile, create=True) as memory:
        with pytest.raises(_Stop):
            memory.ingest(video, progress=stop)
        report = memory.ingest(video)
        resumed = appearances(memory)
    assert report.resumed_from and whole and resumed == whole


def test_a_face_alone_on_screen_while_a_voice_speaks_is_bound_to_it(tmp_path):
    """The binding step on a hand-made event: one face track over 0-8 s, voice:0 speaking 1-7 s."""
    import numpy as np

    from memory.event import Checkpoint, Event, Utterance
    from memory.store import MemoryStore
    from mnemo.entities import EntitiesConfig, EntityLinker, EntityStage
    from perception.detection.base import Detection

    store = MemoryStore(tmp_path / "m")
    store.add_stream("s", "x.mp4")
    linker = EntityLinker(store)
    stage = EntityStage(EntitiesConfig(("haar-faces",), fps=2.0), "s", None, linker)
    vector = np.ones(8, np.float32) / np.sqrt(8)
    for i in range(17):  # a face at the same place every half second
        t = i * 0.5
        stage.queue.append((t, [Detection(t, (10, 10, 50, 50), 0.9, "face", appearance=vector, space="test")]))
    event = Event("s", 0.0, 9.0, utterances=[Utterance("s", 1.0, 7.0, "hello", "voice:0", "asr")])
    store.add_event(event, Checkpoint("s", 9.0))
    linker.link(event)
    stage.committed(event)
    people = linker.registry.entities(kind="person")
    assert len(people) == 1 and linker.registry.entity_for("voice:0", "voice") == people[0]["id"]
    store.close()



def test_a_memory_reidentified_on_frame_vectors_goes_on_with_them(tmp_path):
    """A memory whose people were re-identified on the frame encoder's vectors (before the parts encoder) is
    resumed with the frame encoder, not broken by vectors of another space; a new memory gets parts vectors."""
    import numpy as np

    from memory.store import MemoryStore
    from mnemo.entities import EntitiesConfig, EntityLinker, EntityStage
    from perception.encoders.registry import create_frame_encoder
    from perception.reid import ReidClusterer

    frame = create_frame_encoder("descriptor")
    store = MemoryStore(tmp_path / "m", create=True)
    linker = EntityLinker(store)
    assert EntityStage(EntitiesConfig(), "s", frame, linker).crops.space.startswith("parts")
    old = ReidClusterer(id_source=linker.registry.add_entity)
    old.assign(frame.encode_frames([np.full((8, 4, 3), 90, np.uint8)])[0], "person", space=frame.space)
    linker.registry.save_reid(old.state_dict())
    assert EntityStage(EntitiesConfig(), "s", frame, EntityLinker(store)).crops is None
    store.close()
