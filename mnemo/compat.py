"""Import before torchvision/open_clip in entry points and Ray workers (see perception.torchvision_compat)."""

from perception.torchvision_compat import ensure_torchvision

ensure_torchvision()

__all__ = ["ensure_torchvision"]
