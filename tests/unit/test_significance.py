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
    ours = wilcoxon(a, b, metric="mape", paired_by="series")
    theirs = scipy_wilcoxon(a, b)
    assert ours.method.endswith("(exact)")
    assert ours.p_value == pytest.approx(theirs.pvalue) and ours.statistic == theirs.statistic


@pytest.mark.parametrize("n", [60, 200])
def test_normal_approximation_matches_scipy_with_ties(n):
    rng = random.Random(n)
    a = [round(rng.gauss(0, 1), 1) for _ in range(n)]
    b = [round(x + rng.gauss(0.2, 1), 1) for x in a]
    ours = wilcoxon(a, b, metric="mape", paired_by="series")
    theirs = scipy_wilcoxon(a, b, correction=True, method="approx")
    assert ours.p_value == pytest.approx(theirs.pvalue)


def test_a_clear_gap_is_significant_and_the_sign_says_who_is_better():
    a = [1.0 + i / 100 for i in range(30)]
    b = [x + 0.5 + i / 1000 for i, x in enumerate(a)]
    test = wilcoxon(a, b, metric="mape", paired_by="series")
    assert test.significant() and test.mean_difference < 0


def test_bad_samples():
    with pytest.raises(InvalidValueError, match="equal lengths"):
        wilcoxon([1.0], [1.0, 2.0], metric="mape", paired_by="series")
    with pytest.raises(InvalidValueError, match="identical"):
        wilcoxon([1.0, 2.0], [1.0, 2.0], metric="mape", paired_by="series")


def test_runs_with_folds_but_no_per_series_errors_are_compared_fold_by_fold():
    from scipy.stats import wilcoxon as scipy_wilcoxon

    from adapters.memory.runs import InMemoryRunRepository
    from application.benchmark import RankRuns
    from domain.benchmarks import BenchmarkRequest
    from domain.runs import Experiment, Run

    best_folds = [3.1, 4.0, 2.5, 3.3, 5.2, 2.9]
    second_folds = [3.6, 4.3, 3.4, 3.2, 6.0, 3.3, 9.9]  # one fold more: only the six both have are paired

    def run(run_id: str, model: str, test_mape: float, folds: list[float]) -> Run:
        metrics = {"test_mape": test_mape, **{f"fold{k}_mape": v for k, v in enumerate(folds, start=1)}}
        return Run(run_id=run_id, experiment_id="1", tags={"model_type": model, "dataset": "walmart"}, metrics=metrics)

    source = InMemoryRunRepository([Experiment(experiment_id="1", name="retail")],
                                   [run("a", "Best", 3.0, best_folds), run("b", "Second", 3.5, second_folds),
                                    run("c", "Third", 4.0, [5.0] * 6)])
    report = RankRuns(source)(BenchmarkRequest())
    test = report.significance
    assert test is not None and (test.paired_by, test.pairs, test.metric) == ("fold", 6, "mape")
    expected = scipy_wilcoxon(best_folds, second_folds[:6])
    assert test.p_value == pytest.approx(expected.pvalue) and test.statistic == pytest.approx(expected.statistic)
    assert test.mean_difference == pytest.approx(sum(b - s for b, s in zip(best_folds, second_folds)) / 6)
