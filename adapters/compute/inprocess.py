"""InProcessRunner: every task runs in this process, when its result is first asked for.

So the embedded default trains as it always has: one model after another, each window when its
turn comes, its progress line printed just before it starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
_UNSET: Any = object()


class _Later(Generic[T]):
    def __init__(self, task: Callable[..., T], args: tuple[Any, ...]) -> None:
        self._task, self._args, self._value = task, args, _UNSET

    def result(self) -> T:
        if self._value is _UNSET:
            self._value = self._task(*self._args)
            self._args = ()  # what it needed is no longer held
        return self._value


class InProcessRunner:
    def describe(self) -> str:
        return "in this process"

    def slots(self) -> int:
        return 1

    def share(self, value: T) -> T:
        return value

    def submit(self, task: Callable[..., T], *args: Any) -> _Later[T]:
        return _Later(task, args)

    def close(self) -> None:
        return None
