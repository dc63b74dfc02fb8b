"""The Panel dashboard: one `Dashboard` per browser session, built from the shared container.

Pages (one module each): Overview, Model comparison, Forecasts, Monitoring, Predictions explorer,
Benchmark results. The session object (session.py) holds what the pages share: the run source (MLflow
live, the benchmark JSON, the DuckDB warehouse), the experiment, the primary metric and the
runs read, once per source switch or Reload, into a RunSnapshot that the pages re-rank through
the same RankRuns use case the benchmark command runs. A failure to read one source is shown
where its data would be; the other pages keep working.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import panel as pn
from tornado.httputil import HTTPServerRequest
from tornado.web import OutputTransform

from domain.errors import masked
from entrypoints.container import Container

UPLOAD_BYTES = 256 * 1024 * 1024
ASSETS = Path(__file__).with_name("assets")  # served at /assets/
STATIC = ("/static/", "/assets/")
KEPT_SECONDS = 24 * 3600


class CachedStatic(OutputTransform):
    """Static files the browser keeps for a day: Bokeh gives its own scripts a versioned address
    kept for years, but Panel's bundled scripts, styles and fonts come without one and so without
    any Cache-Control, which made a returning browser ask for each again on every page load."""

    def __init__(self, request: HTTPServerRequest) -> None:
        self._static = request.path.startswith(STATIC)

    def transform_first_chunk(self, status_code: int, headers: Any, chunk: bytes,
                              finishing: bool) -> tuple[int, Any, bytes]:
        if self._static and status_code in (200, 304) and "Cache-Control" not in headers:
            headers["Cache-Control"] = f"public, max-age={KEPT_SECONDS}"
        return status_code, headers, chunk


def create_dashboard(container: Container) -> Callable[[], pn.template.BaseTemplate]:
    """The session factory: one container (and model cache) for the server, one Dashboard per session."""
    from entrypoints.dashboard.app import Dashboard

    def session() -> pn.template.BaseTemplate:
        return Dashboard(container, container.settings().source).template

    return session


def serve(container: Container, host: str, port: int) -> None:
    import holoviews as hv

    settings = container.settings()
    pn.extension(notifications=False, js_files={"theme": "assets/theme.js"})  # light or dark, as the browser prefers
    # Canvas, not WebGL: a browser without a GPU (headless, remote desktops) draws WebGL in software,
    # which took longer than anything else on the Model comparison page.
    hv.renderer("bokeh").webgl = False
    origins = ["*"] if host in ("0.0.0.0", "::") else [f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    print(
        f"dashboard on http://{host}:{port} reading {settings.source} (tracking store {masked(settings.tracking_uri)})",
        file=sys.stderr,
        flush=True,
    )
    # An upload travels over the session's websocket: room for the largest CSV the explorer takes
    # (1,000,000 rows is about 31 MB), where Bokeh's 20 MB default closed the session.
    pn.serve(create_dashboard(container), address=host, port=port, websocket_origin=origins, show=False,
             title="ml-portfolio", verbose=False, websocket_max_message_size=UPLOAD_BYTES,
             static_dirs={"assets": str(ASSETS)}, transforms=[CachedStatic])
