"""Is the gap between two models real? The Wilcoxon signed-rank test on paired errors.

Standard library only. Zero differences are dropped (Wilcoxon's convention), tied absolute
differences share their average rank. With fewer than 51 pairs and no ties the p-value is
exact; otherwise the normal approximation with tie and continuity corrections is used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import InvalidValueError

EXACT_LIMIT = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class PairedTest:
    """Outcome of comparing the best model (a) with the runner-up (b) on paired samples."""

    method: str
    metric: str
    pairs: int
    statistic: float
    p_value: float
    mean_difference: float  # mean of a - b: negative when a has the smaller errors
    paired_by: str  # what a pair is: "series" or "fold"

    def __post_init__(self) -> None:
        if not 0.0 <= self.p_value <= 1.0:
            raise InvalidValueError(f"p-value must be in [0, 1], not {self.p_value}")

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value < alpha


def _ranks(values: Sequence[float]) -> tuple[list[float], bool]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    ties = False
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        ties = ties or j > i
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks, ties


def _exact_two_sided(n: int, statistic: float) -> float:
    # counts[s] = number of sign patterns whose positive-rank sum is s
    total = n * (n + 1) // 2
    counts = [1] + [0] * total
    for rank in range(1, n + 1):
        for s in range(total, rank - 1, -1):
            counts[s] += counts[s - rank]
    low = math.floor(min(statistic, total - statistic))
    return min(1.0, 2 * sum(counts[: low + 1]) / (1 << n))


def wilcoxon(a: Sequence[float], b: Sequence[float], *, metric: str, paired_by: str) -> PairedTest:
    if len(a) != len(b):
        raise InvalidValueError(f"paired samples need equal lengths, not {len(a)} and {len(b)}")
    differences = [x - y for x, y in zip(a, b)]
    nonzero = [d for d in differences if d != 0]
    n = len(nonzero)
    if n == 0:
        raise InvalidValueError("the two samples are identical: nothing to test")
    ranks, ties = _ranks([abs(d) for d in nonzero])
    plus = sum(r for r, d in zip(ranks, nonzero) if d > 0)
    minus = sum(r for r, d in zip(ranks, nonzero) if d < 0)
    statistic = min(plus, minus)
    if n <= EXACT_LIMIT and not ties and len(nonzero) == len(differences):
        p_value, method = _exact_two_sided(n, plus), "Wilcoxon signed-rank (exact)"
    else:
        mean = n * (n + 1) / 4
        tie_term = 0.0
        for value in set(ranks):
            t = ranks.count(value)
            tie_term += t**3 - t
        variance = n * (n + 1) * (2 * n + 1) / 24 - tie_term / 48
        z = (abs(plus - mean) - 0.5) / math.sqrt(variance) if variance > 0 else 0.0
        p_value, method = min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2))), "Wilcoxon signed-rank (normal approximation)"
    return PairedTest(
        method=method, metric=metric, pairs=len(differences), statistic=statistic,
        p_value=p_value, mean_difference=sum(differences) / len(differences), paired_by=paired_by,
    )
