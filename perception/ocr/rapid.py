"""PP-OCR (PaddleOCR's detector and recogniser, PP-OCRv6 small) on onnxruntime, from ``rapidocr``.

The ONNX models ship inside the ``rapidocr`` package; this reader points rapidocr at those files
by path, so it never downloads anything. A missing package or model file is WeightsUnavailable.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from perception.errors import WeightsUnavailable
from perception.ocr.base import TextLine, TextReader, as_frame
from perception.options import build_options

logger = logging.getLogger(__name__)

# the model files inside the rapidocr package (rapidocr 3.x, default English/Chinese models)
_MODELS = {"Det": "PP-OCRv6_det_small.onnx", "Rec": "PP-OCRv6_rec_small.onnx",
           "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx"}
MODEL = "rapidocr:PP-OCRv6-small"
_INSTALL = "pip install 'rapidocr>=3' onnxruntime"


@dataclass(frozen=True)
class RapidOcrOptions:
    # lines the recogniser is less sure of than this (0..1) are dropped
    min_score: float = 0.6
    # lines lower than this many pixels of the frame given to ``read`` are dropped (0 keeps all)
    min_height: int = 0
    # lines with fewer letters or digits than this are dropped (stray marks read as punctuation)
    min_chars: int = 2
    # frames whose longer side exceeds this are shrunk first (bounds the cost of 4K frames)
    max_side: int = 1280
    # the detector works on the frame scaled so its shorter side is this (PP-OCR's default 736:
    # small frames are enlarged, which is what lets it read 6-pixel text); lower is faster
    det_side: int = 736
    # run the 180-degree text-direction classifier (screens are upright: off saves ~10%)
    use_cls: bool = False
    # onnxruntime threads per model; 0: every core but one (ingest decodes beside it; on 2 busy cores
    # one thread read a frame in 1.5 s where every core took 2.0 s)
    threads: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score={self.min_score!r}: expected a number within 0..1")
        for name, low in (("min_height", 0), ("min_chars", 0), ("max_side", 32), ("det_side", 32), ("threads", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name}={value!r}: expected an integer >= {low}")


class RapidOcrReader(TextReader):
    """Reads lines of text with PP-OCRv6 (detection + recognition) through rapidocr."""

    def __init__(self, **options) -> None:
        self.options = build_options(RapidOcrOptions, "text reader 'rapidocr'", options)
        self.model = MODEL
        self._engine = _engine(self.options)
        self._lock = threading.Lock()  # one onnxruntime run at a time per reader

    def read(self, image: np.ndarray) -> list[TextLine]:
        frame = _fit(as_frame(image), self.options.max_side)
        height, width = frame.shape[:2]
        with self._lock:
            result = self._engine(np.ascontiguousarray(frame[:, :, ::-1]))  # rapidocr wants BGR
        if result.txts is None or result.boxes is None or len(result.boxes) == 0:
            return []
        lines = []
        for quad, text, score in zip(result.boxes, result.txts, result.scores):
            line = self._line(np.asarray(quad, dtype=np.float64), text, float(score), width, height)
            if line is not None:
                lines.append(line)
        return lines

    def _line(self, quad: np.ndarray, text: str, score: float, width: int, height: int) -> TextLine | None:
        text = _clean(text)
        x0, y0 = np.clip(quad.min(axis=0), 0, [width, height])
        x1, y1 = np.clip(quad.max(axis=0), 0, [width, height])
        o = self.options
        if score < o.min_score or y1 - y0 < o.min_height or sum(c.isalnum() for c in text) < o.min_chars:
            return None
        box = (float(x0 / width), float(y0 / height), float(x1 / width), float(y1 / height))
        return TextLine(text=text, box=box, score=score)


def _engine(options: RapidOcrOptions):
    try:
        import rapidocr
        from rapidocr import RapidOCR
    except ImportError as err:
        raise WeightsUnavailable(f"text reader 'rapidocr' needs the rapidocr package: {_INSTALL} ({err})") from err
    models = Path(rapidocr.__file__).resolve().parent / "models"
    paths = {part: models / name for part, name in _MODELS.items()}
    needed = ("Det", "Rec", "Cls") if options.use_cls else ("Det", "Rec")
    missing = [str(paths[part]) for part in needed if not paths[part].is_file()]
    if missing:
        raise WeightsUnavailable(f"text reader 'rapidocr': model file(s) missing from the installed package: "
                                 f"{', '.join(missing)}; reinstall it ({_INSTALL}); nothing is downloaded")
    params = {
        "Global.log_level": "error",  # rapidocr logs each frame without text as a warning
        "Global.text_score": options.min_score,
        "Global.use_cls": options.use_cls,
        "Global.max_side_len": max(options.max_side, 2000),
        "Det.limit_side_len": options.det_side,
        **{f"{part}.model_path": str(path) for part, path in paths.items()},
    }
    threads = options.threads or max(1, (os.cpu_count() or 2) - 1)
    params["EngineConfig.onnxruntime.intra_op_num_threads"] = min(threads, os.cpu_count() or threads)
    engine = RapidOCR(params=params)
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return engine


def _fit(frame: np.ndarray, max_side: int) -> np.ndarray:
    height, width = frame.shape[:2]
    if max(height, width) <= max_side:
        return frame
    scale = max_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def _clean(text: str) -> str:
    """Compatibility forms folded (full-width letters and punctuation to ASCII), spaces collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()
