"""A registry that answers in bounded time: every call has a deadline, and a store that missed one
is not asked again for a while (a circuit breaker).

A tracking server that hangs (stopped, overloaded, a dead network path) makes every call wait
for the HTTP client's own timeout, once per retry: a minute or more. Behind this wrapper a call
that has not answered by its deadline fails with TrackingUnavailableError, and for `cooldown`
seconds after that every call fails at once, so the API serves what it has cached without
waiting and `/health` says `degraded` within the deadline. After the cool-down the next call
tries the store again (half-open); one that answers closes the circuit. A call that failed
quickly (the store answered with an error) passes through and does not open the circuit.
Writes (moving an alias, recording a promotion) are refused at once while the circuit is open
but never cut off by a deadline: a write left running behind a timeout could move an alias
whose promotion is then never recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from application.ports import ModelRegistry
from domain.errors import TrackingUnavailableError
from domain.models import ModelVersion, Promotion, RegisteredModel

T = TypeVar("T")


def _settle(future: Future[T], call: Callable[[], T]) -> None:
    try:
        future.set_result(call())
    except BaseException as exc:  # the caller re-raises it
        future.set_exception(exc)


class BreakerRegistry:
    """ModelRegistry around another, with a deadline per call and a circuit breaker."""

    def __init__(self, registry: ModelRegistry, deadline: float = 5.0, health_deadline: float = 1.5,
                 cooldown: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._registry, self._deadline, self._cooldown, self._clock = registry, deadline, cooldown, clock
        self._health_deadline = health_deadline
        self._lock = threading.Lock()
        self._open_until = 0.0

    def _closed(self) -> None:
        with self._lock:
            if self._clock() < self._open_until:
                raise TrackingUnavailableError(
                    "the tracking store missed a deadline moments ago; not asked again until the cool-down ends",
                    public="the tracking store is not answering")

    def _call(self, call: Callable[[], T], deadline: float | None = None) -> T:
        self._closed()
        deadline = deadline or self._deadline
        future: Future[T] = Future()
        # A daemon thread per call: a hung one is left behind and never holds the process open.
        threading.Thread(target=_settle, args=(future, call), daemon=True, name="registry-call").start()
        try:
            return future.result(timeout=deadline)
        except FutureTimeout:
            with self._lock:
                self._open_until = self._clock() + self._cooldown
            raise TrackingUnavailableError(f"the tracking store did not answer within {deadline:g} s",
                                           public="the tracking store is not answering") from None

    def _write(self, call: Callable[[], T]) -> T:
        self._closed()
        return call()

    def models(self) -> list[RegisteredModel]:
        return self._call(self._registry.models)

    def resolve(self, name: str, ref: str) -> ModelVersion:
        return self._call(lambda: self._registry.resolve(name, ref))

    def evaluation_metrics(self, version: ModelVersion) -> dict[str, float]:
        return self._call(lambda: self._registry.evaluation_metrics(version))

    def versions_of_run(self, run_id: str) -> list[ModelVersion]:
        return self._call(lambda: self._registry.versions_of_run(run_id))

    def set_alias(self, name: str, alias: str, version: int) -> None:
        self._write(lambda: self._registry.set_alias(name, alias, version))

    def record_promotion(self, promotion: Promotion) -> None:
        self._write(lambda: self._registry.record_promotion(promotion))

    def promotions(self, name: str) -> list[Promotion]:
        return self._call(lambda: self._registry.promotions(name))

    def reachable(self) -> bool:
        try:
            return self._call(self._registry.reachable, self._health_deadline)
        except TrackingUnavailableError:
            return False
