"""mnemo: a memory you can question, built from long audio/video streams and robot logs.

>>> import mnemo
>>> with mnemo.open("memories/home", create=True) as memory:
...     memory.ingest("walkthrough.mp4")
...     hits = memory.search("the red mug", k=5)
"""

from __future__ import annotations

__version__ = "0.1.0"


def open(directory, profile=None, create: bool = False, readonly: bool = False):  # noqa: A001 - mirrors builtins.open
    """Open the memory in ``directory``; see :class:`mnemo.api.Memory`."""
    from mnemo.api import open as _open

    return _open(directory, profile=profile, create=create, readonly=readonly)
