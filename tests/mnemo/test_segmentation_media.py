"""Event boundaries of the shipped profiles on real media, against changes labelled by eye.

Labels were read from the frames (ffmpeg at 4 fps into contact sheets, looked at one by one); each
says what is seen on either side. A predicted boundary matches a labelled change when it falls
inside the change's span widened by ``SLACK`` seconds. The segmenter's warm-up (8 observations,
4 s at 2 fps) keeps the first seconds of a stream from being cut. "standard's segmentation" is lite's
encoders with standard's segmenter and OCR sections: its screen-text channel, without the speech
models that these silent clips would load for nothing.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import mnemo
from mnemo.config import load_profile

SLACK = 1.0  # seconds either side of a labelled change

# nature-cuts.mp4 (24.0 s, photographs joined by cuts and fades): (start, end, what happens)
NATURE_TRANSITIONS = [
    (1.0, 1.0, "cut: black to a red leaf on a grey rock (inside the warm-up)"),
    (6.0, 6.0, "cut: the leaf on the rock to black (5.75 s leaf, 6.0 s black)"),
    (7.0, 7.5, "fade in: black to a deer in front of a green bush (faint at 7.0 s, full by 7.5 s)"),
    (11.25, 11.75, "fade out: the deer to black (dim at 11.5 s, black by 12.0 s)"),
    (13.25, 14.0, "fade in: black to a blue rock in autumn leaves"),
    (17.75, 18.5, "dissolve: the blue rock into a metal mesh (both visible at 18.0-18.25 s)"),
    (22.5, 23.0, "fade out: the mesh to black"),
]
# the changes of picture a viewer names (one boundary each is right): leaf -> deer, deer -> rock, rock -> mesh
NATURE_SCENES = [(6.0, 7.5), (11.25, 14.0), (17.75, 18.5)]

# home-walkthrough.mp4 (16.8 s, a walk through a furnished home): room changes
HOME_ROOMS = [
    (3.25, 4.75, "living room to dining room: the sofa and the big window leave behind the stone pillar at "
                 "3.25-3.5 s; the kitchen stools and the dining table fill the view by 4.5 s"),
    (8.5, 11.0, "dining room to the hallway: the last view of the table is at 8.25 s; the stone wall and the "
                "glass wine cabinet pass; the hallway with its black door and the plant is in view at 10.75 s"),
    (12.5, 13.75, "hallway to the bedroom: a white door opens at 12.75 s; the bed and the window are in view "
                  "at 13.5 s"),
]


def _video(shared_data: Path, name: str) -> Path:
    return shared_data / "video" / name


def _standard_segmentation():
    """lite's encoders with standard's segmenter and ocr sections (the screen-text channel on)."""
    standard = load_profile("standard")
    return dataclasses.replace(load_profile("lite"), segmenter=standard.segmenter, ocr=standard.ocr)


def _starts(video: Path, directory: Path, profile=None, **segmenter) -> list[float]:
    profile = profile or load_profile("lite")
    if segmenter:
        profile = dataclasses.replace(profile, segmenter=dataclasses.replace(profile.segmenter, **segmenter))
    with mnemo.open(directory, profile=profile, create=True) as memory:
        memory.ingest(video)
        return [e.start for e in memory.events()[1:]]


def _near(t: float, span: tuple) -> bool:
    return span[0] - SLACK <= t <= span[1] + SLACK


def _found(starts: list[float], spans: list[tuple]) -> int:
    return sum(any(_near(t, span) for t in starts) for span in spans)


def test_nature_cuts_and_fades(shared_data, tmp_path) -> None:
    video = _video(shared_data, "nature-cuts.mp4")
    shipped = _starts(video, tmp_path / "lite")
    vision = _starts(video, tmp_path / "vision", channels={})
    # every boundary is at a labelled cut or fade, and each change of picture is found
    assert all(any(_near(t, span) for span in NATURE_TRANSITIONS) for t in shipped), shipped
    assert _found(shipped, NATURE_SCENES) == len(NATURE_SCENES), shipped
    # the place channel finds transitions the frame-to-frame surprise leaves inside an event
    # (the deer's fade-in after the black, the last fade-out): measured 5 of 6 against 3 of 6
    assert _found(shipped, NATURE_TRANSITIONS[1:]) >= 5 > _found(vision, NATURE_TRANSITIONS[1:]), (shipped, vision)
    # the screen channel reads the burnt-in copyright line on every photograph: no text change, no new cut
    screen = _starts(video, tmp_path / "standard", _standard_segmentation())
    assert all(any(_near(t, span) for span in NATURE_TRANSITIONS) for t in screen), screen
    assert _found(screen, NATURE_TRANSITIONS[1:]) >= 5 and _found(screen, NATURE_SCENES) == len(NATURE_SCENES), screen


# seed-archive-documentary.mp4's hard cuts, read from the frames: hands to a jar (2.8 s), to two women at a table
# (6.8 s), to a glass jar and a hand (12.04 s), to small blocks on a sheet behind a blurred jar (between the
# frames at 16.8 and 16.92 s), to hands (19.36 s)
DOCUMENTARY_CUTS = [(2.8, 2.8), (6.8, 6.8), (12.04, 12.04), (16.8, 16.92), (19.36, 19.36)]


def test_documentary_shots(shared_data, tmp_path) -> None:
    """Every cut found and nothing else; the cut at 16.9 s (a still shot after a still shot of similar colour)
    only with the gradual-change rescue (measured without it: 3.0, 7.0, 12.5, 19.5 s)."""
    starts = _starts(_video(shared_data, "seed-archive-documentary.mp4"), tmp_path / "lite")
    assert all(any(_near(t, span) for span in DOCUMENTARY_CUTS) for t in starts), starts
    assert _found(starts, DOCUMENTARY_CUTS) == len(DOCUMENTARY_CUTS), starts


def test_home_walkthrough_is_never_cut_inside_a_room(shared_data, tmp_path) -> None:
    starts = _starts(_video(shared_data, "home-walkthrough.mp4"), tmp_path / "lite")
    assert all(any(_near(t, span) for span in HOME_ROOMS) for t in starts), starts


def test_home_walkthrough_room_changes_are_found(shared_data, tmp_path) -> None:
    starts = _starts(_video(shared_data, "home-walkthrough.mp4"), tmp_path / "lite")
    assert _found(starts, HOME_ROOMS) >= 2, starts  # measured: 3 of 3 (4.7, 8.7, 11.6 s)


WITHOUT_GRADUAL = {"centred_modularity": None}  # the gradual-change rescue off (on in the profiles since #31)


def test_home_walkthrough_room_changes_need_the_gradual_change_rescue(shared_data, tmp_path) -> None:
    """Without it, a jerky hand-held walk at 2 fps gives a cosine similarity graph without blocks (every frame
    alike, modularity < 0) and the modularity check rejects every proposal (docs/segmentation.md); with it, a
    split is kept when the centred graph splits (> 0.2) and the two sides' mean pictures lie further apart than
    0.1 (the profiles' centred_distance) and than either side's spread: the slow walks between rooms."""
    home = _video(shared_data, "home-walkthrough.mp4")
    assert _found(_starts(home, tmp_path / "plain", **WITHOUT_GRADUAL), HOME_ROOMS) == 0
    # the cuts and fades of nature-cuts are what they were without it: none lost, none added
    nature = _video(shared_data, "nature-cuts.mp4")
    assert _starts(nature, tmp_path / "nature") == _starts(nature, tmp_path / "nature-plain", **WITHOUT_GRADUAL)


# -- a lecture: slides of one template whose text changes --------------------------------------------

SLIDES = [("Episodic memory", ["Events are cut where surprise peaks", "A boundary ends one scene"]),
          ("Surprise", ["Negative log likelihood of a frame", "Threshold: mean plus gamma std"]),
          ("Refinement", ["Move each boundary a little", "Maximise graph modularity"]),
          ("Channels", ["Speech: a new speaker", "Screen text: a new slide"]),
          ("Summary", ["Online with a bounded lag", "Same events after a resume"])]
SLIDE_S = 8  # seconds each slide is shown


def _slide(title: str, lines: list[str]) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (640, 360), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 640, 60], fill=(30, 60, 120))
    draw.text((20, 12), title, fill=(255, 255, 255), font=ImageFont.load_default(size=30))
    for i, line in enumerate(lines):
        draw.text((40, 100 + 60 * i), "- " + line, fill=(20, 20, 20), font=ImageFont.load_default(size=22))
    return np.asarray(image)


@pytest.fixture(scope="module")
def lecture(tmp_path_factory) -> Path:
    import av

    path = tmp_path_factory.mktemp("lecture") / "lecture.mp4"
    fps = 5
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        index = 0
        for title, lines in SLIDES:
            image = _slide(title, lines)
            for _ in range(SLIDE_S * fps):
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts, index = index, index + 1
                out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


CHANGES = [(SLIDE_S * i, SLIDE_S * i) for i in range(1, len(SLIDES))]


def test_a_lecture_is_never_cut_between_slide_changes(lecture, tmp_path) -> None:
    """lite has no OCR: it sees one picture (cosine 0.99 between slides) and finds none of the changes."""
    starts = _starts(lecture, tmp_path / "lite")
    assert all(any(_near(t, span) for span in CHANGES) for t in starts), starts
    assert _found(starts, CHANGES) == 0, starts
    # the gradual-change rescue's absolute gate (on in lite): the compression noise of a still slide is no change
    assert _starts(lecture, tmp_path / "plain", **WITHOUT_GRADUAL) == starts


@pytest.fixture(scope="module")
def lecture_events(lecture, tmp_path_factory) -> list[tuple[float, float, float]]:
    """The lecture's events under standard's segmentation: (start, end, surprise)."""
    with mnemo.open(tmp_path_factory.mktemp("standard"), profile=_standard_segmentation(), create=True) as memory:
        memory.ingest(lecture)
        return [(e.start, e.end, e.surprise) for e in memory.events()]


def test_a_lecture_is_cut_at_its_slide_changes(lecture_events) -> None:
    """Slides of one template differ by their text only: the screen-text channel reads each new slide."""
    starts = [e[0] for e in lecture_events[1:]]
    assert _found(starts, CHANGES) == len(CHANGES) and len(starts) == len(CHANGES), starts


class _Stop(KeyboardInterrupt):
    pass


def test_a_lecture_interrupted_and_resumed_is_cut_the_same(lecture_events, lecture, tmp_path) -> None:
    def stop(done: float, total) -> None:
        if done > lecture_events[2][1] + 2.0:  # past the second boundary: the first events are committed
            raise _Stop

    with mnemo.open(tmp_path / "resumed", profile=_standard_segmentation(), create=True) as memory:
        with pytest.raises(_Stop):
            memory.ingest(lecture, progress=stop)
        assert 0 < len(memory.events()) < len(lecture_events)
        report = memory.ingest(lecture)
        resumed = [(e.start, e.end, e.surprise) for e in memory.events()]
    assert report.resumed_from and resumed == lecture_events
