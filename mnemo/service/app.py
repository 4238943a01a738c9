"""The app factory: routes, errors as JSON, authentication, CORS, the web page, the jobs' lifespan."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from mnemo.service import errors
from mnemo.service.auth import COOKIE, BearerAuth, token_matches
from mnemo.service.jobs import WorkerProcess
from mnemo.service.options import ServiceOptions
from mnemo.service.routes import entities, jobs, memories, queries
from mnemo.service.state import Service, service

logger = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
API_VERSION = "1"


def create_app(options: ServiceOptions, background: bool = True, worker_class=WorkerProcess) -> FastAPI:
    """The service as an ASGI app (``background=False``: no ingest worker and no model warm-up, for
    tests of the API's surface; jobs are then queued but never run). ``worker_class`` runs the ingests:
    a local process by default, a Ray actor under Ray Serve (``mnemo.service.ray_worker.RayWorker``)."""
    svc = Service(options, background=background, worker_class=worker_class)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        svc.start()
        try:
            yield
        finally:
            svc.stop()

    app = FastAPI(title="mnemo", version=API_VERSION, lifespan=lifespan,
                  description="Questions over long videos, answered with evidence. Memories are folders "
                              "under the service root; every route but the page and /v1/health needs "
                              "`Authorization: Bearer <token>` when the server has a token.")
    app.state.service = svc
    errors.install(app)
    _library_errors(app)
    for router in (memories.router, jobs.router, queries.router, entities.router):
        app.include_router(router)
    _misc_routes(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if options.cors_origins:  # closed unless origins are named
        app.add_middleware(CORSMiddleware, allow_origins=list(options.cors_origins), allow_credentials=True,
                           allow_methods=["GET", "POST", "PUT", "DELETE"], allow_headers=["Authorization",
                                                                                           "Content-Type"])
    app.add_middleware(errors.BugsAsJson)
    app.add_middleware(BearerAuth, token=options.token)
    return app


def _misc_routes(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/v1/health", tags=["service"])
    async def health(svc: Service = Depends(service)) -> dict:
        """Liveness (public): the version and whether a token is required."""
        return {"ok": True, "version": API_VERSION, "auth": svc.options.token is not None}

    @app.post("/v1/session", tags=["service"])
    async def session(request: Request, svc: Service = Depends(service)) -> Response:
        """For the web page: trade the bearer token (already checked) for an HttpOnly cookie that
        ``<video>`` and ``<img>`` requests carry."""
        response = JSONResponse({"ok": True})
        token = svc.options.token
        if token is not None:
            given = request.headers.get("authorization", "").partition(" ")[2].strip()
            if token_matches(given, token):
                response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
        return response


def _library_errors(app: FastAPI) -> None:
    """Errors of the layers below, as the 4xx a user can act on."""
    from memory.entities import EntityForgotten, EntityNotFound
    from memory.store import StoreError
    from mnemo.errors import MemoryNotFound
    from perception.errors import UnknownComponent, WeightsUnavailable
    from streams.errors import SourceError

    statuses = [(EntityNotFound, 404), (MemoryNotFound, 404), (EntityForgotten, 409), (SourceError, 422),
                (StoreError, 409), (WeightsUnavailable, 503), (UnknownComponent, 400), (ValueError, 400)]
    for kind, status in statuses:
        app.add_exception_handler(kind, _handler(status))


def _handler(status: int):
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        return JSONResponse(errors.error_body(status, message), status_code=status)

    return handle
