"""The API and the dashboard as two child processes of `ml-portfolio run`, stopped together.

Each child is `ml-portfolio serve` / `ml-portfolio dashboard` with the parent's tracking URI,
warehouse and results file, in its own session: Ctrl-C reaches the parent only, which then
stops both children in order and waits for them, so no server outlives the command.
"""

from __future__ import annotations

import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from types import FrameType

from domain.errors import InvalidValueError, SourceUnavailableError
from entrypoints.config import Settings

READY_SECONDS = 180  # the API loads the champion before it answers
STOP_SECONDS = 20


def check_ports(host: str, ports: Iterable[int]) -> None:
    """InvalidValueError naming the first port that cannot be listened on."""
    ports = list(ports)
    if len(set(ports)) < len(ports):
        raise InvalidValueError(f"the API and the dashboard need two different ports, not {ports[0]} twice")
    for port in ports:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            try:
                sock.bind((host, port))
            except OSError as exc:
                raise InvalidValueError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                                        "pick another with --api-port / --dashboard-port") from None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _stop(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.terminate()  # uvicorn drains its connections on SIGTERM; the dashboard holds nothing to save
    deadline = time.monotonic() + STOP_SECONDS
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _wait_ready(children: dict[str, subprocess.Popen[bytes]], ready: dict[str, str]) -> None:
    """Until every child answers its URL; SourceUnavailableError if one exits or the time is up."""
    deadline = time.monotonic() + READY_SECONDS
    waiting = dict(ready)
    while waiting:
        for name in list(waiting):
            if children[name].poll() is not None:
                raise SourceUnavailableError(f"the {name} exited with code {children[name].returncode} while starting")
            if _answers(waiting[name]):
                del waiting[name]
        if time.monotonic() > deadline:
            raise SourceUnavailableError(f"the {' and the '.join(waiting)} did not answer within {READY_SECONDS} s")
        time.sleep(0.3)


def _watch(children: dict[str, subprocess.Popen[bytes]]) -> int:
    """Until a child stops by itself (1); Ctrl-C or SIGTERM end the wait as KeyboardInterrupt."""
    while True:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"error: the {name} stopped (exit code {child.returncode}); stopping the rest", file=sys.stderr)
                return 1
        time.sleep(0.5)


def _commands(settings: Settings, results_json: str, host: str, ports: tuple[int, int]) -> dict[str, list[str]]:
    base = [sys.executable, "-m", "entrypoints.cli", "--tracking-uri", settings.tracking_uri,
            "--warehouse", settings.warehouse]
    return {
        "API": [*base, "serve", "--host", host, "--port", str(ports[0])],
        "dashboard": [*base, "dashboard", "--host", host, "--port", str(ports[1]), "--results-json", results_json],
    }


def serve_api_and_dashboard(settings: Settings, results_json: str, host: str, api_port: int,
                            dashboard_port: int) -> int:
    """Start both, say where they are, and wait for Ctrl-C (0) or a child that dies (1)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    api_url, dashboard_url = f"http://{shown}:{api_port}", f"http://{shown}:{dashboard_port}"
    # Ctrl-C and a supervisor's stop both end the wait. Set explicitly: a shell starts background
    # jobs with SIGINT ignored, and the children would inherit that and never stop on it.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, command in _commands(settings, results_json, host, (api_port, dashboard_port)).items():
            children[name] = subprocess.Popen(command, start_new_session=True)
        print("starting the API and the dashboard ...", file=sys.stderr, flush=True)
        _wait_ready(children, {"API": f"{api_url}/health", "dashboard": f"{dashboard_url}/"})
        body = '{"series_id": "1", "horizon": 12, "confidence_level": 0.9}'
        print(f"\nAPI        {api_url}  (docs {api_url}/schema)\nDashboard  {dashboard_url}\n"
              f"Try        curl -s {api_url}/predict -H 'Content-Type: application/json' -d {shlex.quote(body)}\n"
              "Ctrl-C stops both.", flush=True)
        return _watch(children)
    except KeyboardInterrupt:
        print("stopping the API and the dashboard ...", file=sys.stderr, flush=True)
        return 0
    finally:
        _stop(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if children:
            print("stopped", file=sys.stderr, flush=True)
