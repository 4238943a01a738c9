"""The service's settings: where memories live, who may call it, and its limits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

LOOPBACK_NAMES = ("localhost",)
SURPRISE_DIR = "surprise"  # per-stream surprise traces written by ingests, in the memory folder
TEXT_BACKENDS = ("onnx", "torch")  # MiniLM backends for questions (perception/text/minilm.py)


@dataclass(frozen=True)
class ServiceOptions:
    """What ``mnemo serve`` was started with; validated on construction."""

    root: Path  # the folder whose sub-folders are the memories
    host: str = "127.0.0.1"  # address to bind; anything but loopback needs a token
    port: int = 8080  # TCP port
    token: str | None = None  # bearer token every request must carry (None: no authentication, loopback only)
    profile: str | None = None  # ingest profile; None: the one a memory records, else mnemo's default
    media_roots: tuple[Path, ...] = ()  # folders whose files may be ingested by path ({"path": ...})
    max_upload_bytes: int = 4 * 2**30  # largest accepted upload
    max_question_chars: int = 1000  # longest accepted question or search text
    max_k: int = 100  # most results a search may ask for
    cors_origins: tuple[str, ...] = ()  # origins allowed by CORS (none: closed)
    max_ingests: int = 1  # ingests running at once (each in the worker process, one per memory at a time)
    refresh_s: float = 0.5  # how often readers look for events committed by an ingest
    ingest_nice: int = 10  # CPU niceness of the ingest worker (0-19; 0: as the server): answers come first
    # how questions' MiniLM vectors are computed: "onnx" (onnxruntime, one thread, ~1/3 of torch's CPU, vectors
    # within ~1e-7 of the stored torch ones) or "torch" (bit for bit `mnemo ask`'s); other embedders as the profile
    text_backend: str = "onnx"

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())
        object.__setattr__(self, "media_roots", tuple(Path(p).resolve() for p in self.media_roots))
        if not self.root.is_dir():
            raise ValueError(f"root={str(self.root)!r}: not a directory (create it first)")
        if not 0 < self.port < 65536:
            raise ValueError(f"port={self.port}: expected 1-65535")
        for name in ("max_upload_bytes", "max_question_chars", "max_k", "max_ingests"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)}: expected a positive number")
        if not (isinstance(self.ingest_nice, int) and 0 <= self.ingest_nice <= 19):
            raise ValueError(f"ingest_nice={self.ingest_nice!r}: expected a niceness from 0 to 19")
        if self.text_backend not in TEXT_BACKENDS:
            raise ValueError(f"text_backend={self.text_backend!r}: expected one of {', '.join(TEXT_BACKENDS)}")
        if self.token is not None and len(self.token) < 16:
            raise ValueError("token: expected at least 16 characters (e.g. `python -c 'import secrets; "
                             "print(secrets.token_urlsafe(32))'`)")
        if self.token is None and not is_loopback(self.host):
            raise ValueError(f"host={self.host!r} is not loopback: refusing to serve without a token "
                             "(pass --token or set MNEMO_TOKEN)")
        for path in self.media_roots:
            if not path.is_dir():
                raise ValueError(f"media_roots: {str(path)!r} is not a directory")

    @property
    def jobs_dir(self) -> Path:
        """Where job records are kept (survives restarts)."""
        return self.root / ".mnemo-service" / "jobs"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
