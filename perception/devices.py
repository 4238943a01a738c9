"""Where models run: one rule for every torch-backed component (imports torch; load it lazily)."""

from __future__ import annotations

import torch


def pick_device(device: str) -> torch.device:
    """``"auto"`` is CUDA when available, else the CPU; a named device must exist here."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        picked = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"device={device!r}: expected 'auto', 'cpu', 'cuda' or 'cuda:N'") from error
    if picked.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r}: CUDA is not available here; use device='auto' or 'cpu'")
    return picked
