"""Profiles: which sampling, encoders, segmenter and index an ingest uses.

A profile is a YAML file (``configs/<name>.yaml`` or any path) whose sections map onto frozen
dataclasses owned by the layers themselves (``SamplingPolicy``, ``SegmenterConfig``); this module
only reads, checks and composes them, so a bad key is reported with the file, the section and
the keys that are allowed.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from memory.segmenter import SegmenterConfig
from mnemo.errors import ConfigError
from mnemo.captions import CaptionConfig
from mnemo.entities import EntitiesConfig
from mnemo.ocr import OcrConfig
from mnemo.speech import SpeechConfig
from streams.sampling import SamplingPolicy

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


@dataclass(frozen=True)
class ComponentConfig:
    """A registered component (frame encoder, text embedder) by name, with its options."""

    name: str | None  # registry name; None disables the component
    options: Mapping[str, Any] = field(default_factory=dict)  # passed to the factory as keywords


@dataclass(frozen=True)
class IngestConfig:
    """How observations become stored events."""

    batch_size: int = 32  # frames encoded per call
    keyframes_per_event: int = 3  # representative frames kept (JPEG in the database)
    thumbnail_size: int = 224  # shorter side of keyframe thumbnails, pixels
    jpeg_quality: int = 85  # keyframe JPEG quality, 1-100
    max_pending_images: int = 256  # frames held in RAM for the event being formed (memory bound)
    prefetch: int = 64  # decoded frames buffered ahead of the encoder (decode runs in a thread)

    def __post_init__(self) -> None:
        _positive(self, "batch_size", "keyframes_per_event", "thumbnail_size", "max_pending_images", "prefetch")
        if not 1 <= self.jpeg_quality <= 100:
            raise ConfigError(f"ingest.jpeg_quality must be within 1..100, got {self.jpeg_quality!r}")


@dataclass(frozen=True)
class Profile:
    """Everything an ingest and a query need to agree on."""

    name: str
    sampling: SamplingPolicy = field(default_factory=SamplingPolicy)
    frame_encoder: ComponentConfig = field(default_factory=lambda: ComponentConfig("descriptor"))
    text_embedder: ComponentConfig = field(default_factory=lambda: ComponentConfig("minilm"))
    segmenter: SegmenterConfig = field(default_factory=SegmenterConfig)
    speech: SpeechConfig = field(default_factory=SpeechConfig)
    entities: EntitiesConfig = field(default_factory=EntitiesConfig)
    ocr: OcrConfig = field(default_factory=OcrConfig)  # screen text (OCR); off unless a reader is named
    captioner: CaptionConfig = field(default_factory=CaptionConfig)  # keyframe captions; off unless a url is given
    ingest: IngestConfig = field(default_factory=IngestConfig)
    index: str = "IDMap2,Flat"  # FAISS factory string for every vector space
    fallback: str | None = None  # profile used, with one warning, when this one's weights cannot be had
    source: str = ""  # the file it was read from
    plugins: tuple[str, ...] = ()  # modules or .py files imported when the profile loads (they register
    #                                sources, encoders, detectors, VADs, recognisers, answerers: docs/extending.md)

    def with_sampling(self, **changes: Any) -> "Profile":
        """A copy with some sampling fields changed (command-line overrides)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            return self
        try:
            sampling = dataclasses.replace(self.sampling, **changes)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"profile {self.name!r}: {err}") from err
        return dataclasses.replace(self, sampling=sampling)


def _positive(obj: Any, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not (isinstance(value, int) and value > 0):
            raise ConfigError(f"{type(obj).__name__.lower()}.{name} must be a positive integer, got {value!r}")


def profile_ref(profile: Profile) -> str:
    """How a memory records its profile: the shipped name, or the path of a custom YAML file."""
    source = Path(profile.source) if profile.source else None
    if source is None or not source.is_file() or source.resolve().parent == CONFIG_DIR.resolve():
        return profile.name
    return str(source.resolve())


def list_profiles() -> list[str]:
    """Names of the profiles shipped in ``configs/``."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


def load_profile(name_or_path: str | Path) -> Profile:
    """Read a shipped profile by name (``lite``) or any profile YAML by path."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = CONFIG_DIR / f"{name_or_path}.yaml"
        if not path.is_file():
            raise ConfigError(f"unknown profile {str(name_or_path)!r}; available: {', '.join(list_profiles())}")
    elif not path.is_file():
        raise ConfigError(f"{path}: profile file not found")
    data = _read_yaml(path)
    if data is None:
        raise ConfigError(f"{path}: the profile is empty (expected sections such as 'sampling:'; see configs/lite.yaml)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a profile must be a mapping of sections, got {type(data).__name__}")
    return profile_from_dict(data, default_name=path.stem, where=str(path))


def _read_yaml(path: Path) -> Any:
    """The YAML document of ``path``; a ConfigError of one line naming the file and the problem."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{err.object[err.start]:02x} at offset {err.start})") from err
    except OSError as err:
        raise ConfigError(f"{path}: cannot read profile: {err.strerror or err}") from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{where}: {problem}") from err


def profile_from_dict(data: Mapping[str, Any], default_name: str = "custom", where: str = "<dict>") -> Profile:
    """Build a Profile from a parsed YAML mapping, naming any bad key or value."""
    allowed = {"name", "sampling", "frame_encoder", "text_embedder", "segmenter", "speech", "entities", "ocr",
               "captioner", "ingest", "index", "fallback", "plugins"}
    _check_keys(data, allowed, where, "profile")
    plugins = load_plugins(data.get("plugins") or (), where)
    try:
        return Profile(
            name=str(data.get("name", default_name)),
            sampling=_section(SamplingPolicy, data.get("sampling"), where, "sampling"),
            frame_encoder=_component(data.get("frame_encoder", {"name": "descriptor"}), where, "frame_encoder"),
            text_embedder=_component(data.get("text_embedder", {"name": "minilm"}), where, "text_embedder"),
            segmenter=_section(SegmenterConfig, data.get("segmenter"), where, "segmenter"),
            speech=_section(SpeechConfig, data.get("speech"), where, "speech"),
            entities=_section(EntitiesConfig, data.get("entities"), where, "entities"),
            ocr=_ocr(data.get("ocr"), where),
            captioner=_section(CaptionConfig, data.get("captioner"), where, "captioner"),
            ingest=_section(IngestConfig, data.get("ingest"), where, "ingest"),
            index=str(data.get("index", "IDMap2,Flat")),
            fallback=data.get("fallback"),
            source=where,
            plugins=plugins,
        )
    except ConfigError:
        raise
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: {err}") from err


def load_plugins(plugins: Any, where: str = "<dict>") -> tuple[str, ...]:
    """Import a profile's plug-ins: module names (``my_package.toys``) or ``.py`` files (relative to the
    profile's folder); importing them registers their components. Returns them as given."""
    if isinstance(plugins, str) or not all(isinstance(p, str) and p for p in plugins):
        raise ConfigError(f"{where}: plugins must be a list of module names or .py files, got {plugins!r}")
    for plugin in plugins:
        try:
            _import_plugin(plugin, where)
        except ConfigError:
            raise
        except Exception as err:  # noqa: BLE001 - whatever a plug-in raises on import, name it
            raise ConfigError(f"{where}: plugin {plugin!r} failed to import: {type(err).__name__}: {err}") from err
    return tuple(plugins)


def _import_plugin(plugin: str, where: str) -> None:
    if not plugin.endswith(".py"):
        try:
            importlib.import_module(plugin)
        except ModuleNotFoundError as err:
            raise ConfigError(f"{where}: plugin {plugin!r}: no such module ({err})") from err
        return
    path = Path(plugin)
    if not path.is_absolute() and Path(where).is_file():
        path = Path(where).resolve().parent / path
    if not path.is_file():
        raise ConfigError(f"{where}: plugin {plugin!r}: no such file ({path})")
    path = path.resolve()
    name = f"mnemo_plugin_{path.stem}"
    loaded = sys.modules.get(name)
    if loaded is not None and Path(getattr(loaded, "__file__", "")).resolve() == path:
        return  # already imported (a profile loaded twice)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: str, section: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} in {section}; allowed: {', '.join(sorted(allowed))}"
        )


def _check_numbers(cls: type, data: Mapping[str, Any], where: str, section: str) -> None:
    """Keys whose default is a number must be given a number (or null), not text or a list."""
    for field in dataclasses.fields(cls):
        default, value = field.default, data.get(field.name)
        if field.name not in data or value is None or isinstance(default, bool) or not isinstance(default, (int, float)):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: {section}.{field.name} = {value!r}: expected a number")


def _section(cls: type, data: Any, where: str, section: str) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: section {section!r} must be a mapping, got {type(data).__name__}")
    _check_keys(data, {f.name for f in dataclasses.fields(cls)}, where, section)
    _check_numbers(cls, data, where, section)
    try:
        return cls(**data)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{where}: {section}: {err}") from err


def _ocr(data: Any, where: str) -> OcrConfig:
    """The ocr section: absent or null (off), a reader's name, or a mapping of OcrConfig fields."""
    if isinstance(data, str):
        data = {"name": data}
    return _section(OcrConfig, data, where, "ocr")


def _component(data: Any, where: str, section: str) -> ComponentConfig:
    if data is None:
        return ComponentConfig(None)
    if isinstance(data, str):
        return ComponentConfig(data)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: section {section!r} must be a name or a mapping, got {type(data).__name__}")
    _check_keys(data, {"name", "options"}, where, section)
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise ConfigError(f"{where}: {section}.options must be a mapping")
    return ComponentConfig(data.get("name"), dict(options))
