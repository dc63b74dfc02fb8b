"""Locks that every process on this machine honours: `fcntl.flock` on a file per key.

Promotions take one per (tracking store, model), so two API workers or a CLI and a server
promoting the same model at the same time record each step (1 -> 2, then 2 -> 3), never two
moves from the same version. Processes on other machines do not see these files: API replicas
on several hosts promote through one of them (README, Production layout).
"""

from __future__ import annotations

import fcntl
import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class FileLocks:
    """Locks named within `scope` (the tracking store's URI: keys of two stores never meet)."""

    def __init__(self, scope: str, folder: str | None = None) -> None:
        self._scope = scope
        self._folder = Path(folder or Path(tempfile.gettempdir()) / "ml-portfolio-locks")

    def _path(self, key: str) -> Path:
        self._folder.mkdir(parents=True, exist_ok=True)
        return self._folder / f"{hashlib.sha256(f'{self._scope} {key}'.encode()).hexdigest()[:32]}.lock"

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Wait for the lock named `key`, hold it for the block."""
        with self._path(key).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def attempt(self, key: str) -> Iterator[bool]:
        """Hold the lock named `key` for the block if nobody holds it (True); else go on without it (False)."""
        with self._path(key).open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
