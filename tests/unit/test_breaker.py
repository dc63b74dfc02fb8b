"""Registry calls in bounded time: a hung store opens the circuit; cached versions keep answering."""

from __future__ import annotations

import threading

import pytest

from adapters.memory.models import InMemoryModelLoader
from adapters.memory.registry import InMemoryModelRegistry
from application.breaker import BreakerRegistry
from application.serving import ServedModels
from domain.errors import TrackingUnavailableError


class HungRegistry(InMemoryModelRegistry):
    """Answers until `hang` is set; then every read waits (a stopped tracking server)."""

    def __init__(self) -> None:
        super().__init__()
        self.hang, self.release, self.calls = threading.Event(), threading.Event(), 0

    def resolve(self, name, ref):
        self.calls += 1
        if self.hang.is_set():
            self.release.wait(30)
        return super().resolve(name, ref)

    def reachable(self):
        self.calls += 1
        if self.hang.is_set():
            self.release.wait(30)
        return True


@pytest.fixture
def hung():
    registry = HungRegistry()
    registry.add("lightgbm", "r1", {"test_mape": 3.0})
    registry.set_alias("lightgbm", "champion", 1)
    yield registry
    registry.release.set()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_store_that_misses_the_deadline_is_not_asked_again_until_the_cool_down_ends(hung):
    clock = Clock()
    guarded = BreakerRegistry(hung, deadline=0.2, health_deadline=0.2, cooldown=10, clock=clock)
    assert guarded.resolve("lightgbm", "champion").version == 1
    hung.hang.set()
    with pytest.raises(TrackingUnavailableError) as missed:
        guarded.resolve("lightgbm", "champion")
    assert missed.value.public == "the tracking store is not answering"
    calls = hung.calls
    with pytest.raises(TrackingUnavailableError):
        guarded.resolve("lightgbm", "1")
    assert not guarded.reachable()
    assert hung.calls == calls, "an open circuit does not ask the store"
    clock.now = 11  # cool-down over: the store is asked again, and answers
    hung.hang.clear()
    assert guarded.reachable() and hung.calls == calls + 1


def test_a_store_that_fails_fast_does_not_open_the_circuit():
    registry = InMemoryModelRegistry()
    guarded = BreakerRegistry(registry, deadline=0.2)
    registry.up = False
    with pytest.raises(TrackingUnavailableError):
        guarded.resolve("lightgbm", "1")
    registry.up = True
    registry.add("lightgbm", "r1", {})
    assert guarded.resolve("lightgbm", "1").version == 1


def test_a_version_loaded_through_an_alias_answers_by_number_while_the_store_hangs(hung):
    served = ServedModels(BreakerRegistry(hung, deadline=0.2), InMemoryModelLoader())
    served.model(served.resolve("lightgbm", "champion"))
    hung.hang.set()
    assert served.resolve("lightgbm", "1").version == 1
    assert served.resolve("lightgbm", "champion").version == 1  # the last answer, kept while the store is down
