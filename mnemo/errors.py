"""Errors of the composition layer; each message names the input and what is wrong."""

from __future__ import annotations


class ConfigError(ValueError):
    """A profile or config file is unknown, unreadable or has a bad key or value."""


class MemoryNotFound(FileNotFoundError):
    """A memory directory named by the user does not exist or holds no mnemo memory."""
