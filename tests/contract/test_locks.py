"""The Locks port: one holder of a key at a time, other keys free; the file locks across processes."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from adapters.filesystem.locks import FileLocks
from adapters.memory.locks import ThreadLocks


@pytest.fixture(params=["memory", "file"])
def locks(request, tmp_path):
    return ThreadLocks() if request.param == "memory" else FileLocks("sqlite:///test.db", str(tmp_path))


def _overlaps(locks, first: str, second: str) -> bool:
    """Whether two threads holding `first` and `second` were ever inside at the same time."""
    inside, overlapped = [], []

    def work(key: str) -> None:
        with locks.hold(key):
            inside.append(key)
            if len(inside) > 1:
                overlapped.append(True)
            time.sleep(0.2)
            inside.remove(key)

    threads = [threading.Thread(target=work, args=(key,)) for key in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return bool(overlapped)


def test_one_holder_of_a_key_at_a_time(locks):
    assert not _overlaps(locks, "promote lightgbm", "promote lightgbm")


def test_other_keys_are_free(locks):
    assert _overlaps(locks, "promote lightgbm", "promote catboost")


def _hold_for(folder: str, seconds: float, started) -> None:
    with FileLocks("sqlite:///test.db", folder).hold("promote lightgbm"):
        started.set()
        time.sleep(seconds)
        (Path(folder) / "released").touch()  # the last thing done while holding it


def test_file_locks_hold_across_processes(tmp_path):
    started = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_for, args=(str(tmp_path), 1.0, started))
    holder.start()
    assert started.wait(30)
    with FileLocks("sqlite:///test.db", str(tmp_path)).hold("promote lightgbm"):
        assert (tmp_path / "released").exists(), "the second process entered while the first held the lock"
    holder.join(30)
    with FileLocks("sqlite:///other.db", str(tmp_path)).hold("promote lightgbm"):
        pass  # another store's key of the same name is another lock
