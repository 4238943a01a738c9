"""mnemo serve: the long-video QA service, an HTTP API and a web page (issue #28)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from mnemo.commands.app import UserError, app, err


@app.command("serve")
def serve(
    root: Path = typer.Option(..., "--root", help="Folder whose sub-folders are the memories (created if missing)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; anything but loopback needs a token."),
    port: int = typer.Option(8080, "--port", help="TCP port."),
    token: Optional[str] = typer.Option(None, "--token", envvar="MNEMO_TOKEN",
                                        help="Bearer token every request must carry (or MNEMO_TOKEN)."),
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Ingest profile (default: the one a "
                                          "memory records, else mnemo's default)."),
    media_root: List[Path] = typer.Option([], "--media-root", help="A folder whose files may be ingested by "
                                          "path (repeat for several)."),
    max_upload_mb: float = typer.Option(4096, "--max-upload-mb", min=0.001, help="Largest accepted upload, MB."),
    cors: List[str] = typer.Option([], "--cors-origin", help="An origin allowed by CORS (default: none)."),
    ingest_nice: int = typer.Option(10, "--ingest-nice", min=0, max=19, help="CPU niceness of the ingest worker "
                                    "(0: as the server): questions are answered first on a busy machine."),
    text_backend: str = typer.Option("onnx", "--text-backend", help="How questions' MiniLM vectors are computed: "
                                     "onnx (onnxruntime, a third of torch's CPU, vectors within ~1e-7) or torch "
                                     "(bit for bit `mnemo ask`'s)."),
    use_ray: bool = typer.Option(False, "--ray", help="Run under Ray Serve, ingests on a Ray actor."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="With --ray: a running cluster "
                                              "('auto', 'ray://host:10001') that sees --root; default: a local "
                                              "Ray started here."),
) -> None:
    """Serve memories over HTTP (API under /v1, OpenAPI at /openapi.json) with a web page at /."""
    from mnemo.service.options import ServiceOptions  # light: bad options fail before the app is imported

    if ray_address and not use_ray:
        raise UserError("--ray-address: only with --ray")
    root.mkdir(parents=True, exist_ok=True)
    try:
        options = ServiceOptions(root=root, host=host, port=port, token=token or None, profile=profile,
                                 media_roots=tuple(media_root), max_upload_bytes=int(max_upload_mb * 2**20),
                                 cors_origins=tuple(cors), ingest_nice=ingest_nice,
                                 text_backend=text_backend)
    except ValueError as error:
        raise UserError(str(error)) from error
    import uvicorn

    from mnemo.config import load_profile
    from mnemo.service import create_app

    if profile is not None:
        load_profile(profile)  # a bad profile fails before the server starts
    where = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    err.print(f"mnemo serving {options.root} at {where} ({'token required' if token else 'no token: loopback only'})"
              + (" under Ray Serve" if use_ray else ""))
    if use_ray:
        from mnemo.service import ray_serve

        return ray_serve.run(options, address=ray_address)
    uvicorn.run(create_app(options), host=host, port=port, log_level="warning", access_log=False)
