import random

import pytest
from scipy.stats import wilcoxon as scipy_wilcoxon

from domain.errors import InvalidValueError
from domain.significance import wilcoxon


@pytest.mark.parametrize("n", [5, 12, 45])
def test_exact_p_value_matches_scipy(n):
    rng = random.Random(n)
    a = [rng.gauss(0, 1) for _ in range(n)]
    b = [x + rng.gauss(0.4, 1) for x in a]
    ours = wilcoxon(a, b, metric="mape", paired_by="store")
    theirs = scipy_wilcoxon(a, b)
    assert ours.method.endswith("(exact)")
    assert ours.p_value == pytest.approx(theirs.pvalue) and ours.statistic == theirs.statistic


@pytest.mark.parametrize("n", [60, 200])
def test_normal_approximation_matches_scipy_with_ties(n):
    rng = random.Random(n)
    a = [round(rng.gauss(0, 1), 1) for _ in range(n)]
    b = [round(x + rng.gauss(0.2, 1), 1) for x in a]
    ours = wilcoxon(a, b, metric="mape", paired_by="store")
    theirs = scipy_wilcoxon(a, b, correction=True, method="approx")
    assert ours.p_value == pytest.approx(theirs.pvalue)


def test_a_clear_gap_is_significant_and_the_sign_says_who_is_better():
    a = [1.0 + i / 100 for i in range(30)]
    b = [x + 0.5 + i / 1000 for i, x in enumerate(a)]
    test = wilcoxon(a, b, metric="mape", paired_by="store")
    assert test.significant() and test.mean_difference < 0


def test_bad_samples():
    with pytest.raises(InvalidValueError, match="equal lengths"):
        wilcoxon([1.0], [1.0, 2.0], metric="mape", paired_by="store")
    with pytest.raises(InvalidValueError, match="identical"):
        wilcoxon([1.0, 2.0], [1.0, 2.0], metric="mape", paired_by="store")
