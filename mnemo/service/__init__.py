"""The long-video QA service: an HTTP API (FastAPI, versioned under /v1) and a web page.

``mnemo serve --root DIR`` runs it; ``create_app(ServiceOptions(root=...))`` builds the ASGI app.
"""

from mnemo.service.app import create_app
from mnemo.service.options import ServiceOptions

__all__ = ["ServiceOptions", "create_app"]
