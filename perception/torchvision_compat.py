"""Make torchvision importable against a CPU-only torch.

The registry's torchvision is a CUDA build; against the CPU torch its C++ extension fails to
register its operators and ``import torchvision`` dies with ``operator torchvision::nms does not
exist`` -- and open_clip, transformers and sentence-transformers die with it. Declaring the two
operator schemas it checks for lets the pure-Python parts (transforms, models) import.
torchvision's own C++ ops still do not work; perception never uses them. Where a matching
torchvision is installed (a GPU machine) this does nothing.

Importing this module applies the fix; import it before the first ``import open_clip`` or
``import sentence_transformers`` in every process (Ray workers included).
"""

from __future__ import annotations

import importlib.util
import logging
import sys

logger = logging.getLogger(__name__)

_SCHEMA = "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor"
_library = None  # keeps the torch.library.Library alive for the life of the process


def _torchvision_ops_registered(torch) -> bool:
    try:
        torch.ops.torchvision.nms  # noqa: B018 - attribute lookup is the check
    except (AttributeError, RuntimeError):
        return False
    return True


def _torchvision_installed() -> bool:
    try:
        return importlib.util.find_spec("torchvision") is not None
    except (ImportError, ValueError):
        return False


def ensure_torchvision() -> None:
    """Declare torchvision's missing operators, once, before torchvision is first imported."""
    global _library
    if _library is not None or "torchvision" in sys.modules or not _torchvision_installed():
        return
    import torch

    if _torchvision_ops_registered(torch):
        return
    _library = torch.library.Library("torchvision", "DEF")
    for name in ("nms", "qnms"):
        _library.define(f"{name}{_SCHEMA}")
    logger.debug("declared torchvision::nms/qnms for a CPU-only torch")


ensure_torchvision()
