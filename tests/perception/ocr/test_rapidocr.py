"""The PP-OCR text reader (rapidocr, real ONNX models from the package): exact reading, boxes, filters, bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rapidocr", reason="rapidocr is not installed: pip install 'rapidocr>=3' onnxruntime")

from perception.errors import UnknownComponent, WeightsUnavailable  # noqa: E402
from perception.ocr import TextLine, create_text_reader, list_text_readers  # noqa: E402

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu")]


def _font(size: int, face: str = "DejaVuSans.ttf"):
    from PIL import ImageFont

    paths = [d / face for d in FONT_DIRS]
    try:
        import matplotlib

        paths.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / face)
    except ImportError:
        pass
    for path in paths:
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    pytest.skip(f"font {face} not found in {[str(p.parent) for p in paths]}")


def render(lines: list[tuple[str, int, tuple[int, int]]], size=(640, 360), background=(250, 250, 245),
           ink=(20, 20, 40), face: str = "DejaVuSans.ttf") -> tuple[np.ndarray, list[tuple[float, ...]]]:
    """An RGB frame with each (text, pixel size, (x, y)) drawn, and each text's true box (fractions)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    boxes = []
    for text, px, xy in lines:
        font = _font(px, face)
        draw.text(xy, text, fill=ink, font=font)
        x0, y0, x1, y1 = draw.textbbox(xy, text, font=font)
        boxes.append((x0 / size[0], y0 / size[1], x1 / size[0], y1 / size[1]))
    return np.asarray(image), boxes


@pytest.fixture(scope="module")
def reader():
    return create_text_reader("rapidocr")


def test_reads_rendered_lines_exactly_with_their_boxes(reader):
    lines = [("Quarterly harbour review", 30, (40, 40)), ("granite lanterns 42 and 7 vessels", 22, (40, 120)),
             ("Meeting moved to Thursday 14:30", 18, (40, 190))]
    image, truth = render(lines)
    got = reader.read(image)
    assert [line.text for line in got] == [text for text, _, _ in lines]
    for line, (x0, y0, x1, y1) in zip(got, truth):
        assert isinstance(line, TextLine) and 0.6 <= line.score <= 1.0
        bx0, by0, bx1, by1 = line.box
        assert 0 <= bx0 < bx1 <= 1 and 0 <= by0 < by1 <= 1
        # the detector's box holds the glyphs' box, with a margin of a few pixels
        assert abs(bx0 - x0) < 0.03 and abs(bx1 - x1) < 0.03 and abs(by0 - y0) < 0.05 and abs(by1 - y1) < 0.05


def test_light_text_on_dark_in_a_serif_face(reader):
    image, _ = render([("Ventilation budget approved", 26, (60, 150))], background=(20, 30, 60), ink=(240, 240, 210),
                      face="DejaVuSerif.ttf")
    assert [line.text for line in reader.read(image)] == ["Ventilation budget approved"]


def test_grey_frames_are_read_too(reader):
    image, _ = render([("orchard ledger", 28, (40, 40))])
    assert [line.text for line in reader.read(image[:, :, 1])] == ["orchard ledger"]


def test_min_height_drops_small_text():
    image, _ = render([("Large heading words", 40, (30, 30)), ("small footnote words", 14, (30, 200))])
    everything = create_text_reader("rapidocr").read(image)
    assert [line.text for line in everything] == ["Large heading words", "small footnote words"]
    big_only = create_text_reader("rapidocr", min_height=25).read(image)
    assert [line.text for line in big_only] == ["Large heading words"]


def test_a_frame_without_text_or_a_tiny_one_reads_as_nothing(reader):
    assert reader.read(np.full((360, 640, 3), 200, np.uint8)) == []
    assert reader.read(np.zeros((4, 4, 3), np.uint8)) == []


@pytest.mark.parametrize("bad, problem", [
    (np.zeros((0, 640, 3), np.uint8), "empty frame"),
    (np.zeros((360, 0, 3), np.uint8), "empty frame"),
    (np.zeros((36, 64, 4), np.uint8), "H x W x 3 uint8"),
    (np.zeros((36, 64, 3), np.float32), "H x W x 3 uint8"),
    (np.zeros(10, np.uint8), "H x W x 3 uint8"),
])
def test_bad_frames_get_one_clear_message(reader, bad, problem):
    with pytest.raises(ValueError, match=problem):
        reader.read(bad)


def test_bad_options_name_the_option():
    with pytest.raises(TypeError, match="min_scor.*known: .*min_score"):
        create_text_reader("rapidocr", min_scor=0.5)
    with pytest.raises(ValueError, match="min_score=1.5"):
        create_text_reader("rapidocr", min_score=1.5)
    with pytest.raises(ValueError, match="det_side=8"):
        create_text_reader("rapidocr", det_side=8)


def test_registry_lists_the_reader_and_names_it_on_a_typo():
    assert "rapidocr" in list_text_readers()
    with pytest.raises(UnknownComponent, match="available: .*rapidocr"):
        create_text_reader("rapid-ocr")


def test_nothing_is_downloaded_and_nothing_is_logged(monkeypatch, capfd):
    from rapidocr.utils.download_file import DownloadFile

    def refuse(*args, **kwargs):
        raise AssertionError("rapidocr tried to download a file")

    monkeypatch.setattr(DownloadFile, "run", classmethod(refuse))
    reader = create_text_reader("rapidocr", use_cls=True)
    image, _ = render([("offline reading works", 24, (40, 60))])
    assert [line.text for line in reader.read(image)] == ["offline reading works"]
    assert reader.read(np.full((120, 160, 3), 255, np.uint8)) == []  # rapidocr warns on this one by default
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_a_missing_package_is_weights_unavailable_with_the_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # import rapidocr now raises ImportError
    with pytest.raises(WeightsUnavailable, match="pip install 'rapidocr>=3'"):
        create_text_reader("rapidocr")
