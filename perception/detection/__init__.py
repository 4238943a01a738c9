"""Detection: people, faces and objects in frames, each with an appearance vector for re-identification.

    detector = create_detector("haar-faces", encoder=create_frame_encoder("descriptor"))
    per_frame = detector.detect(frames, times)        # list (per frame) of Detection

Backends: ``hog-people`` and ``haar-faces`` (OpenCV, no weights), ``yunet-faces`` (a local YuNet
model file), ``clip-objects`` (open_clip with a text tower). Other packages plug theirs in with
``register_detector`` when its module is imported (see docs/extending.md).
Importing this package is cheap: open_clip loads with the backend that uses it.
"""

from perception.detection.base import (
    KINDS,
    Box,
    Detection,
    Detector,
    FrameDetector,
    appearance,
    crop_box,
    iou,
    nms,
    with_appearance,
)
from perception.detection.registry import create_detector, list_detectors, register_detector

__all__ = [
    "KINDS",
    "Box",
    "Detection",
    "Detector",
    "FrameDetector",
    "appearance",
    "crop_box",
    "iou",
    "nms",
    "with_appearance",
    "create_detector",
    "list_detectors",
    "register_detector",
]
