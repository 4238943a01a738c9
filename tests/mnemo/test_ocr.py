"""Screen text at ingest: the ocr profile section, the keyframe stage, and a rendered slide video end to end."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rapidocr", reason="rapidocr is not installed: pip install 'rapidocr>=3' onnxruntime")

import mnemo  # noqa: E402
from mnemo.config import CONFIG_DIR, load_profile, profile_from_dict  # noqa: E402
from mnemo.errors import ConfigError  # noqa: E402
from mnemo.ocr import OcrConfig, ScreenTextStage  # noqa: E402
from perception.ocr import create_text_reader  # noqa: E402

SLIDES = [  # (background RGB, lines); each slide shows SECONDS seconds
    ((245, 240, 225), ["Harbour budget review", "granite lanterns for the north pier"]),
    ((30, 40, 80), ["Orchard survey results", "seven walnut trees need pruning"]),
    ((200, 230, 200), ["Library opening hours", "closed on Thursday afternoons"]),
]
SECONDS = 5.0


def _font(size: int):
    from PIL import ImageFont

    for path in [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), _matplotlib_font()]:
        if path is not None and path.is_file():
            return ImageFont.truetype(str(path), size)
    pytest.skip("no DejaVuSans.ttf font to render slides with")


def _matplotlib_font() -> Path | None:
    try:
        import matplotlib
    except ImportError:
        return None
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def slide(background, lines, size=(640, 360)) -> np.ndarray:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    ink = (20, 20, 20) if sum(background) > 380 else (240, 240, 240)
    for number, text in enumerate(lines):
        draw.text((40, 50 + 80 * number), text, fill=ink, font=_font(34 if number == 0 else 24))
    return np.asarray(image)


def write_slides(path: Path, fps: int = 5) -> Path:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "28", "g": str(2 * fps)}
        index = 0
        for background, lines in SLIDES:
            image = slide(background, lines)
            for _ in range(round(SECONDS * fps)):
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts, frame.time_base = index, Fraction(1, fps)
                out.mux(stream.encode(frame))
                index += 1
        out.mux(stream.encode(None))
    return path


@pytest.fixture(scope="module")
def ocr_profile(tmp_path_factory) -> Path:
    """lite with OCR, as a YAML file (a memory records its profile's path to reopen it)."""
    import yaml

    data = yaml.safe_load((CONFIG_DIR / "lite.yaml").read_text())
    data["name"] = "lite-ocr-test"
    data["segmenter"]["max_len"] = 3.0  # every slide spans two events: its lines must still be stored once
    data["ocr"] = {"name": "rapidocr", "frame_size": 360}
    data["ingest"]["batch_size"] = 4  # progress (and so the interrupt below) every 2 s of media
    path = tmp_path_factory.mktemp("profile") / "lite-ocr.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


# -- the profile section ---------------------------------------------------------------------


def test_ocr_is_off_unless_a_profile_names_a_reader():
    for name in ("lite", "full", "test"):
        assert not load_profile(name).ocr.enabled
    assert not profile_from_dict({"ocr": None}).ocr.enabled
    assert profile_from_dict({"ocr": "rapidocr"}).ocr == OcrConfig("rapidocr")
    config = profile_from_dict({"ocr": {"name": "rapidocr", "options": {"min_score": 0.7}, "frame_size": 480}}).ocr
    assert config.enabled and config.options == {"min_score": 0.7} and config.frame_size == 480


def test_bad_ocr_sections_are_named():
    with pytest.raises(ConfigError, match="unknown key 'frame_sise' in ocr; allowed: .*frame_size"):
        profile_from_dict({"ocr": {"name": "rapidocr", "frame_sise": 360}})
    with pytest.raises(ConfigError, match="ocr.frame_size must be a positive integer, got 0"):
        profile_from_dict({"ocr": {"name": "rapidocr", "frame_size": 0}})
    with pytest.raises(ConfigError, match="ocr.same_text must be a number within 0..1"):
        profile_from_dict({"ocr": {"name": "rapidocr", "same_text": 2}})
    from mnemo.models import load_encoders

    with pytest.raises(ConfigError, match="ocr: unknown text reader 'tesseract'; available: .*rapidocr"):
        load_encoders(profile_from_dict({"ocr": "tesseract"}))


# -- the keyframe stage ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader():
    return create_text_reader("rapidocr")


def test_a_slide_still_showing_is_neither_read_nor_stored_again(reader):
    stage = ScreenTextStage(OcrConfig("rapidocr"), reader, "s")
    first, second = (slide(*s) for s in SLIDES[:2])
    found = stage.read([(0.0, first), (0.5, first), (1.0, first)])  # one event, one slide
    assert [(s.time, s.text, s.origin) for s in found] == [(0.0, t, "ocr") for t in SLIDES[0][1]]
    assert stage.read([(1.5, first), (2.0, first)]) == [] and stage.read_frames == 1  # the next event: not read
    brighter = np.clip(first.astype(int) + 40, 0, 255).astype(np.uint8)  # another frame, the same text
    assert stage.read([(2.5, brighter), (3.0, brighter)]) == [] and stage.read_frames == 2
    found = stage.read([(3.5, second), (4.0, second), (4.5, first), (5.0, first)])  # a new slide, then the first again
    assert [(s.time, s.text) for s in found] == [(3.5, t) for t in SLIDES[1][1]] + [(4.5, t) for t in SLIDES[0][1]]


def test_frames_still_changing_are_skipped_unless_nothing_held_still(reader):
    stage = ScreenTextStage(OcrConfig("rapidocr"), reader, "s")
    first = slide(*SLIDES[0])
    moving = [(t, np.roll(first, int(40 * t), axis=1)) for t in (0.0, 0.5, 1.0)]  # a panning camera
    assert stage.read(moving) == [] and stage.read_frames == 0
    found = stage.read(moving, keyframe=moving[1])
    assert [(s.time, s.text) for s in found] == [(0.5, t) for t in SLIDES[0][1]]


def test_at_most_frames_per_event_are_read_and_the_rest_wait_for_the_next_event(reader):
    stage = ScreenTextStage(OcrConfig("rapidocr", frames_per_event=1), reader, "s")
    first, second = (slide(*s) for s in SLIDES[:2])
    found = stage.read([(0.0, first), (0.5, first), (1.0, second), (1.5, second)])
    assert [s.time for s in found] == [0.0, 0.0] and (stage.read_frames, stage.skipped_frames) == (1, 1)
    assert [(s.time, s.text) for s in stage.read([(2.0, second), (2.5, second)])] == [(2.0, t) for t in SLIDES[1][1]]


# -- ingest ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slides_video(tmp_path_factory) -> Path:
    return write_slides(tmp_path_factory.mktemp("slides") / "slides.mp4")


@pytest.fixture(scope="module")
def ingested(slides_video, ocr_profile, tmp_path_factory):
    directory = tmp_path_factory.mktemp("ocr-memory")
    with mnemo.open(directory, profile=str(ocr_profile), create=True) as memory:
        report = memory.ingest(str(slides_video))
    return directory, report


def _lines_by_slide(lines) -> list[list[str]]:
    return [[s.text for s in lines if n * SECONDS <= s.time < (n + 1) * SECONDS] for n in range(len(SLIDES))]


def test_each_slide_line_is_stored_once_with_its_event(ingested):
    directory, report = ingested
    with mnemo.open(directory) as memory:
        lines, events = memory.screen_text(), memory.events()
    assert len(events) >= 2 * len(SLIDES)  # max_len 3 s cuts every 5 s slide in two
    assert _lines_by_slide(lines) == [texts for _, texts in SLIDES]
    assert all(s.origin == "ocr" and s.model == "rapidocr:PP-OCRv6-small" and 0.6 <= s.score <= 1 for s in lines)
    assert report.stages["ocr"] > 0
    by_id = {e.id: e for e in events}
    for line in lines:
        event = by_id[line.event_id]
        assert event.start <= line.time < event.end and line.text in event.text.split("\n")
        x0, y0, x1, y1 = line.box
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    holders = {line.event_id for line in lines}
    assert all(e.text == "" for e in events if e.id not in holders)  # a slide's second event repeats nothing


def test_search_finds_the_event_that_showed_the_slide(ingested):
    directory, _ = ingested
    with mnemo.open(directory) as memory:
        lines = memory.screen_text()
        for query, first_line in [("walnut trees pruning", SLIDES[1][1][0]), ("library thursday", SLIDES[2][1][0]),
                                  ("harbour lanterns pier", SLIDES[0][1][0])]:
            holder = next(s.event_id for s in lines if s.text == first_line)
            assert memory.search(query, k=3)[0].event == holder, query


class _Stop(KeyboardInterrupt):
    pass


def test_resume_after_interrupt_stores_the_same_lines(slides_video, ocr_profile, ingested, tmp_path):
    directory, _ = ingested

    def interrupt(done: float, total: float | None) -> None:
        if done > 1.6 * SECONDS:  # in the second event of the second slide
            raise _Stop

    with mnemo.open(tmp_path / "m", profile=str(ocr_profile), create=True) as memory:
        with pytest.raises(_Stop):
            memory.ingest(str(slides_video), progress=interrupt)
        partial = len(memory.screen_text())
        report = memory.ingest(str(slides_video))
        resumed = [(s.time, s.text) for s in memory.screen_text()]
    assert 0 < partial < len(resumed) and report.resumed_from
    with mnemo.open(directory) as memory:
        assert resumed == [(s.time, s.text) for s in memory.screen_text()]


def test_a_watermark_on_real_footage_is_read_exactly_and_stored_once(shared_data, ocr_profile, tmp_path):
    """nature-cuts.mp4: real photographs joined by fades and cuts under a burnt-in copyright line
    that stays for the whole clip (checked by eye: "Copyright © 2013 Brandon Castellano",
    "www.bcastell.com")."""
    video = shared_data / "video" / "nature-cuts.mp4"
    if not video.is_file():
        pytest.skip(f"{video} is absent")
    with mnemo.open(tmp_path / "m", profile=str(ocr_profile), create=True) as memory:
        memory.ingest(str(video))
        lines, events = memory.screen_text(), memory.events()
    assert len(events) >= 4  # the line stays on screen across events: stored once all the same
    assert sorted(s.text for s in lines) == ["Copyright © 2013 Brandon Castellano", "www.bcastell.com"]
    assert all(s.box[1] > 0.75 for s in lines)  # along the bottom of the frame
