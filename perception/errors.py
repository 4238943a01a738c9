"""Errors raised by perception."""

from __future__ import annotations


class WeightsUnavailable(Exception):
    """Pretrained weights were asked for but cannot be had (no local file, no cache, no network)."""


class UnknownComponent(ValueError):
    """A registry was asked for a name it does not know; the message lists the known names."""


class BadCheckpoint(WeightsUnavailable):
    """A weights file exists but cannot be used: unreadable, unsafe to unpickle, or not fitting the model."""
