"""The segmenter's screen-text channel: text change readings from a real OCR reader, its lag and its resume."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from mnemo.screen_channel import MIN_TRIGRAMS, RememberedReader, ScreenSignal, text_change, trigrams

SAME_FRAME = 0.002  # the OCR stage's default share of changed pixels for "the same screen"


def test_text_change_is_one_minus_the_jaccard_of_character_trigrams() -> None:
    slide = ["Refinement", "Move each boundary a little"]
    assert text_change(trigrams(slide), trigrams(slide)) == 0.0
    assert text_change(trigrams([]), trigrams([])) == 0.0  # no text before or after: nothing changed
    assert text_change(trigrams([]), trigrams(slide)) == 1.0
    assert text_change(trigrams(["surprise boundary"]), trigrams(["speech with voices"])) == 1.0
    # " ab", "abc", "bc " against " ab", "abd", "bd ": four of five on one side; little text, so a share of 12
    assert len(trigrams(["abc"]) | trigrams(["ABD!"])) == 5 < MIN_TRIGRAMS
    assert text_change(trigrams(["abc"]), trigrams(["ABD!"])) == pytest.approx(4 / MIN_TRIGRAMS)
    assert text_change(trigrams([]), trigrams(["C1"])) == pytest.approx(2 / MIN_TRIGRAMS)
    # a misread letter changes little; another slide of the same template changes most
    noisy = text_change(trigrams(slide), trigrams(["Refinernent", "Move each boundary a litle"]))
    other = text_change(trigrams(slide), trigrams(["Channels", "Speech: a new speaker"]))
    assert noisy < 0.35 < 0.8 < other


def _slide(title: str, line: str) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (640, 360), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 640, 60], fill=(30, 60, 120))
    draw.text((20, 12), title, fill=(255, 255, 255), font=ImageFont.load_default(size=30))
    draw.text((40, 120), line, fill=(20, 20, 20), font=ImageFont.load_default(size=26))
    return np.asarray(image)


# (title, line, frames at 2 fps): the second slide is shown 1 s, and held still less than screen_interval_s
# after the first was read
SHOWN = [("Surprise", "Negative log likelihood", 2), ("Refinement", "Maximise graph modularity", 2),
         ("Channels", "Screen text: a new slide", 6), ("Summary", "Same events after a resume", 6)]


@pytest.fixture(scope="module")
def frames() -> list:
    images = {title: _slide(title, line) for title, line, _ in SHOWN}
    out, t = [], 0.0
    for title, _, count in SHOWN:
        for _ in range(count):
            out.append(SimpleNamespace(time=t, image=images[title]))
            t += 0.5
    return out


@pytest.fixture(scope="module")
def reader():
    """PP-OCR (rapidocr), remembered: every screen of the slides is read by the model once in this module."""
    from perception.errors import WeightsUnavailable
    from perception.ocr import create_text_reader

    try:
        real = create_text_reader("rapidocr", det_side=480)
    except WeightsUnavailable as exc:
        pytest.skip(f"rapidocr is not usable here: {exc}")
    return RememberedReader(real, SAME_FRAME)


def _readings(signal: ScreenSignal, frames: list, start: float = 0.0) -> dict[float, float]:
    signal.observe(frames)
    return {f.time: signal.read(f.time)["screen"] for f in frames if f.time >= start and signal.ready(f.time, f.time)}


def test_a_new_slide_reads_high_where_it_begins_and_a_slide_still_showing_zero(frames, reader) -> None:
    signal = ScreenSignal(reader, SAME_FRAME, interval_s=2.0)
    readings = _readings(signal, frames)
    assert signal.read_frames == 3  # one read per slide held still, but the second comes too soon after the first
    assert math.isnan(readings[0.0])  # the first read has nothing to compare with
    assert readings[0.5] == 0.0 and readings[4.5] == 0.0  # the slide read, still showing
    assert math.isnan(readings[1.0]) and math.isnan(readings[1.5])  # a slide not read: unknown
    assert readings[2.0] > 0.8 and readings[5.0] > 0.8  # a new slide, at its first frame
    assert [t for t, v in readings.items() if v > 0.1] == [2.0, 5.0]
    assert 7.5 not in readings  # the last frame waits for one after it


def test_every_screen_change_is_read_without_an_interval(frames, reader) -> None:
    signal = ScreenSignal(reader, SAME_FRAME, interval_s=0.0)
    readings = _readings(signal, frames)
    assert signal.read_frames == 4 and [t for t, v in readings.items() if v > 0.1] == [1.0, 2.0, 5.0]


def test_state_before_a_boundary_gives_the_same_readings_after_it(frames, reader) -> None:
    whole = ScreenSignal(reader, SAME_FRAME, interval_s=2.0)
    expected = _readings(whole, frames)
    for boundary in (1.0, 2.0, 2.5, 5.0):
        resumed = ScreenSignal(reader, SAME_FRAME, 2.0, whole.state(before=boundary))
        # frames before the state's end are skipped, as a resumed reader would never see them
        after = _readings(resumed, frames, start=boundary)
        assert after == pytest.approx({t: v for t, v in expected.items() if t >= boundary}, nan_ok=True), boundary
    with pytest.raises(ValueError, match="screen channel state"):
        ScreenSignal(reader, SAME_FRAME, 2.0, b"not npz")
    with pytest.raises(ValueError, match="interval_s"):
        ScreenSignal(reader, SAME_FRAME, -1.0)


def test_the_remembered_reader_reads_a_screen_once(frames, reader) -> None:
    hits = reader.hits
    first = reader.read(frames[0].image)
    assert reader.read(frames[1].image) == first and reader.hits == hits + 2  # module reads came first
    assert [line.text for line in first] == ["Surprise", "Negative log likelihood"]
