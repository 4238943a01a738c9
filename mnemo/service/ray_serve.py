"""``mnemo serve --ray``: the same app as a Ray Serve deployment, with ingests on a Ray actor.

One replica holds the service's state (the job manager is the single writer of each memory and of the
job records), so the deployment is never scaled out; Ray Serve's proxy takes the HTTP requests and the
ingests run on an ``IngestActor`` (``ray_worker.py``) placed on the replica's node, where the memories'
folders are. Routes, authentication, limits and path confinement are those of ``create_app``.
"""

from __future__ import annotations

import logging
import signal
import time

from mnemo.runtime.ray_actors import connect  # first: it sets Ray's auth mode before Ray is imported

import ray  # noqa: E402
from ray import serve  # noqa: E402

from mnemo.service.options import ServiceOptions  # noqa: E402

logger = logging.getLogger(__name__)

APP_NAME = "mnemo"
REPLICA_CPUS = 0.5  # the replica answers questions; the ingest actor takes the heavy share
LOCAL_CPUS = 2  # a Ray started here: fits a 2-core machine (replica 0.5 + ingest actor 1)
MAX_ONGOING = 64  # requests one replica takes at once (server-sent event streams stay open)


@serve.deployment(num_replicas=1, max_ongoing_requests=MAX_ONGOING, ray_actor_options={"num_cpus": REPLICA_CPUS},
                  graceful_shutdown_timeout_s=30)
@serve.ingress()
class MnemoDeployment:
    """The service's FastAPI app, built on the replica (its state cannot travel in a pickle)."""

    def __init__(self, options: ServiceOptions) -> None:
        self._options = options

    def __serve_build_asgi_app__(self):
        import mnemo.compat  # noqa: F401 - the torchvision shim, before the readers load encoders
        from mnemo.service.app import create_app
        from mnemo.service.ray_worker import RayWorker

        return create_app(self._options, worker_class=RayWorker)


def run(options: ServiceOptions, address: str | None = None) -> None:
    """Serve under Ray Serve until interrupted (Ctrl-C or SIGTERM), then take it all down again.

    ``address``: a running cluster (``auto``, ``ray://host:10001``) whose nodes see ``options.root``;
    None starts a local Ray of ``LOCAL_CPUS`` CPUs that ends with the server."""
    _connect(address)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        serve.start(http_options={"host": options.host, "port": options.port}, proxy_location="HeadOnly")
        serve.run(MnemoDeployment.bind(options), name=APP_NAME, route_prefix="/")
        logger.info("serving under Ray Serve: %s", ray.cluster_resources())
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        _take_down(local=address is None)


def _connect(address: str | None) -> None:
    """Join the cluster at ``address``, or start a Ray here (``"local"``: never the last cluster that
    ``ray start`` left in /tmp/ray, which a plain ``ray.init()`` would join)."""
    if address:
        connect(address)
    else:
        ray.init(address="local", num_cpus=LOCAL_CPUS, include_dashboard=False, logging_level=logging.WARNING,
                 configure_logging=False)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _take_down(local: bool) -> None:
    """Stop the app (its lifespan stops the ingest: a running job resumes on restart), then Ray if ours."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
    try:
        if local:
            serve.shutdown()
        else:  # someone else's cluster: remove only our app
            serve.delete(APP_NAME)
    finally:
        ray.shutdown()
        signal.signal(signal.SIGINT, signal.default_int_handler)
