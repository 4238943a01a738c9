"""Which source reads a URI: a source registered for its scheme (``toy://...``), else the built-in
rules: an image folder, a capture device, a network URL (rtsp, http, ...), or a media file.

A new kind of source is one module with a :class:`streams.source.Source` subclass and one line::

    register_source("toy")(ToySource)   # or @register_source("toy") on the class

``open_source("toy://anything", policy)`` then calls ``ToySource("toy://anything", policy,
stream=..., require_video=...)``; ``mnemo ingest toy://anything`` and ``Memory.ingest`` reach it
the same way. A source may also claim local paths (``claims=``: ROS bags, ``run.bag``), and one
input may hold several streams: a factory with an ``expand(uri, **options)`` class method names
them (``expand_source``), e.g. one URI per camera topic of a bag.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from streams.errors import UnknownSource
from streams.identity import is_url
from streams.sampling import SamplingPolicy
from streams.source import Source, parse_device

if TYPE_CHECKING:
    from streams.live import LiveOptions

log = logging.getLogger(__name__)

NETWORK_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt")
BUILTIN_SOURCES = ("device", "file", "folder") + NETWORK_SCHEMES  # what open_source reads without a plug-in

SourceFactory = Callable[..., Source]  # (uri, policy, stream=None, require_video=True) -> Source
F = TypeVar("F", bound=SourceFactory)

_SOURCES: dict[str, SourceFactory] = {}
_CLAIMS: dict[str, Callable[[Path], bool]] = {}  # scheme -> test of the local paths its source reads
_LOCK = threading.Lock()


def register_source(scheme: str, claims: Callable[[Path], bool] | None = None) -> Callable[[F], F]:
    """Decorator registering a Source class (or factory) for URIs ``scheme://...``.

    ``claims``, when given, tests local paths (files or folders) that this source reads too
    (tried before the built-in file and folder rules).
    """
    if not isinstance(scheme, str) or not scheme.isidentifier() or scheme != scheme.lower():
        raise ValueError(f"source scheme must be a lower-case name like 'toy', got {scheme!r}")
    if scheme in BUILTIN_SOURCES:
        raise ValueError(f"source scheme {scheme!r} is built in; built-ins: {', '.join(BUILTIN_SOURCES)}")

    def decorate(factory: F) -> F:
        with _LOCK:
            known = _SOURCES.get(scheme)
            if known is not None and known is not factory and _name(known) != _name(factory):
                raise ValueError(f"source scheme {scheme!r} is already registered ({_name(known)})")
            _SOURCES[scheme] = factory
            if claims is not None:
                _CLAIMS[scheme] = claims
        return factory

    return decorate


def source_factory(scheme: str) -> SourceFactory:
    """The factory registered for ``scheme``; unknown schemes raise UnknownSource listing the known."""
    factory = _SOURCES.get(scheme)
    if factory is None:
        raise UnknownSource(scheme, f"unknown source; available: {', '.join(list_sources())}")
    return factory


def list_sources() -> list[str]:
    """The built-in sources and the registered schemes, sorted."""
    return sorted(set(BUILTIN_SOURCES) | set(_SOURCES))


def _name(factory: SourceFactory) -> str:
    return f"{getattr(factory, '__module__', '')}:{getattr(factory, '__qualname__', repr(factory))}"


def _scheme(uri: str) -> str | None:
    return uri.split("://", 1)[0].lower() if is_url(uri) else None


def _claimed(uri: str) -> SourceFactory | None:
    """The registered source that claims the local path ``uri``, if any."""
    if is_url(uri) or parse_device(uri) is not None:
        return None
    path = Path(uri)
    for scheme, claims in list(_CLAIMS.items()):
        if claims(path):
            return _SOURCES[scheme]
    return None


def claimed(uri: str) -> bool:
    """True when a registered source (not a built-in rule) reads ``uri``."""
    return _SOURCES.get(_scheme(uri.strip()) or "") is not None or _claimed(uri.strip()) is not None


def expand_source(uri: str, **options) -> list[str]:
    """The streams one input holds, as URIs for ``open_source`` (most inputs: just ``uri``).

    A registered source with an ``expand`` class method splits its inputs (a bag: one URI per
    camera topic) and takes ``options`` (a bag: ``topics``); other inputs ignore them.
    """
    uri = uri.strip()
    factory = _SOURCES.get(_scheme(uri) or "") or _claimed(uri)
    expand = getattr(factory, "expand", None)
    return list(expand(uri, **options)) if expand is not None else [uri]


def open_source(uri: str, policy: SamplingPolicy, stream: str | None = None, require_video: bool = True,
                live: "LiveOptions | None" = None) -> Source:
    """The source for ``uri``: a registered scheme's, an image folder, a network URL, a capture device,
    or a media file.

    Devices are ``/dev/videoN``, ``device:/dev/videoN`` (V4L2) or ``device:FORMAT:NAME``
    (e.g. ``device:avfoundation:0``). With ``live`` options, a URL or device without a duration
    (a live stream) becomes a :class:`streams.live.LiveSource` that reconnects and keeps wall-clock time.
    """
    from streams.av_source import AVSource  # here: PyAV and OpenCV load on first use
    from streams.image_folder import ImageFolderSource

    uri = uri.strip()
    plugged = _SOURCES.get(_scheme(uri) or "") or _claimed(uri)
    if plugged is not None:
        return plugged(uri, policy, stream=stream, require_video=require_video)
    if parse_device(uri) is not None:
        return _maybe_live(AVSource, uri, policy, stream, require_video, live)
    if is_url(uri):
        scheme = uri.split("://", 1)[0].lower()
        if scheme == "file":
            uri = uri[len("file://") :]
        elif scheme not in NETWORK_SCHEMES:
            log.debug("%s: unknown URL scheme %r; letting FFmpeg try it", uri, scheme)
    if not is_url(uri) and Path(uri).is_dir():
        return ImageFolderSource(uri, policy, stream=stream)
    if is_url(uri):
        return _maybe_live(AVSource, uri, policy, stream, require_video, live)
    return AVSource(uri, policy, stream=stream, require_video=require_video)


def _maybe_live(av_source, uri: str, policy: SamplingPolicy, stream: str | None, require_video: bool,
                live: "LiveOptions | None") -> Source:
    """An AVSource, wrapped in a LiveSource when ``live`` is given and the stream has no duration."""
    if live is None:
        return av_source(uri, policy, stream=stream, require_video=require_video)
    from streams.live import LiveSource

    # http(s) may serve a recording (read like a file, with the usual read timeout) or a live playlist
    scheme = uri.split("://", 1)[0].lower() if is_url(uri) else "device"
    timeout = {} if scheme in ("http", "https") else {"read_timeout": live.stall}
    first = av_source(uri, policy, stream=stream, require_video=require_video, **timeout)
    if first.info.duration is not None:  # a recording served over the network: read it like a file
        return first

    def connect():
        return av_source(uri, policy, stream=first.info.stream, require_video=require_video,
                         open_timeout=live.stall, read_timeout=live.stall)

    return LiveSource(first, connect, live)
