"""The feature pipeline of the machine-learning members: a correction to last year's sales.

Direct multi-step: one row per (series, origin, step); every feature of a row comes from sales
at or before its origin, so a row never sees the period it predicts or anything later. The
target is a ratio to a base that already holds the season:

    base(t | o) = year_ago(t) x growth(o)        target = sales(t) / base(t | o)

`year_ago(t)` is the series' own value one season before t, aligned on the holiday calendar:
each day of period t is mapped to its comparable day a year ago and the periods holding those
days are mixed by how many days each holds (for the week before Christmas 2011 that is six
sevenths of the week 52 weeks back and one seventh of the week 53 back). `growth(o)` is the
series' last quarter-season over its aligned year-ago values. A store's own holiday uplift so
travels in its own year-ago value, which repeats from year to year, instead of being learnt
from a week-of-year that a pooled model can only learn for all stores at once, and a tree never
has to extrapolate beyond the range of targets it was trained on. Rows without a year-ago value
(the first season of a series) have no base and are not trained on.

Nothing assumes weeks or 52: `Seasonality` (seasonality.py) carries the frequency (periods per
season, what a period covers) and the calendar, `YearAgo` the aligned year-ago values.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields

import numpy as np

from adapters.forecasting.covariates import CovariateGrid, feature_columns
from adapters.forecasting.seasonality import Seasonality, YearAgo

# A pooled model learns the same corrections from a sample of the rows as from all of them: past this
# many candidate rows (the Walmart table has 270,270), a fit trains on a sample (seeded), so its cost
# stops growing with the number of series.
DESIGN_ROWS, SAMPLE_SEED = 500_000, 7

FEATURES = (
    "step",
    "growth",  # the base's growth: last quarter-season over its aligned year-ago values
    "growth_last",  # the last period's year-over-year ratio / growth
    "growth_short",  # the last third of the quarter-season's ratio / growth
    "season_jump",  # year_ago(t) / the year-ago level of the last quarter-season: the seasonal move ahead
    "lag_plain",  # the plain seasonal lag of t / year_ago(t): how far the calendar moved it
    "lag_before",  # the period before the plain lag / year_ago(t)
    "lag_after",  # the period after it / year_ago(t) (unknown when after the origin)
    "last_1",  # the last period / the quarter-season level
    "yoy_noise",  # spread of the year-over-year ratios of the quarter-season / growth
    "two_years",  # the value two seasons back x its growth / base (unknown without two seasons)
)


@dataclass(frozen=True, slots=True)
class Design:
    """Rows of the design matrix with where they come from."""

    X: np.ndarray  # rows x FEATURES
    base: np.ndarray  # a prediction is the model's output x base
    origin: np.ndarray  # period index of the origin
    target: np.ndarray  # period index of the predicted period (may be beyond the data)
    series: np.ndarray  # column index of the series

    def where(self, mask: np.ndarray) -> Design:
        return Design(*(getattr(self, f.name)[mask] for f in fields(self)))

    def ratio_target(self, sales: np.ndarray) -> np.ndarray:
        return sales[self.target, self.series] / self.base


def _ratio_of_sums(numerator: np.ndarray, denominator: np.ndarray, at_least: int) -> np.ndarray:
    """Per column sum(numerator) / sum(denominator) over the rows where the denominator is known;
    NaN with fewer than `at_least` such rows."""
    known = ~np.isnan(denominator)
    with np.errstate(invalid="ignore", divide="ignore"):  # a series with no known denominator: NaN
        ratio = np.where(known, numerator, 0).sum(axis=0) / np.where(known, denominator, 0).sum(axis=0)
    return np.where(known.sum(axis=0) >= at_least, ratio, np.nan)


@dataclass(frozen=True, slots=True)
class _AtOrigin:
    """What every row of one origin shares, per series."""

    growth: np.ndarray
    growth_last: np.ndarray
    growth_short: np.ndarray
    level_year_ago: np.ndarray
    last_1: np.ndarray
    yoy_noise: np.ndarray
    growth_two_years: np.ndarray


def _at_origin(sales: np.ndarray, origin: int, year_ago: YearAgo, seasonality: Seasonality) -> _AtOrigin:
    k = seasonality.level_periods
    window = range(max(0, origin - k + 1), origin + 1)
    past = sales[window.start : origin + 1]
    past_year_ago = year_ago.values(sales, window, origin)
    growth = _ratio_of_sums(past, past_year_ago, max(1, k // 3))

    def growth_over(periods: int) -> np.ndarray:
        if origin - periods + 1 < 0:
            return np.full(sales.shape[1], np.nan)
        return _ratio_of_sums(past[-periods:], past_year_ago[-periods:], periods) / growth

    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a series that has not started yet: all NaN
        yoy = past / past_year_ago
        two_years = year_ago.two_years(sales, window, origin)
        return _AtOrigin(
            growth=growth, growth_last=growth_over(1), growth_short=growth_over(max(1, k // 3)),
            level_year_ago=np.nanmean(past_year_ago, axis=0) if np.isfinite(past_year_ago).any()
            else np.full(sales.shape[1], np.nan),
            last_1=sales[origin] / past.mean(axis=0),
            yoy_noise=np.nanstd(yoy, axis=0) / growth if np.isfinite(yoy).any() else np.full(sales.shape[1], np.nan),
            growth_two_years=_ratio_of_sums(past, two_years, max(1, k // 3)),
        )


def origin_rows(sales: np.ndarray, origin: int, steps: int, year_ago: YearAgo, seasonality: Seasonality,
                covariates: CovariateGrid | None = None) -> Design:
    """Feature rows for every series forecast from `origin` for steps 1..steps, step-major: FEATURES,
    then the covariates' columns (covariates.py) when there are any."""
    n_series, season = sales.shape[1], seasonality.season
    shared = _at_origin(sales, origin, year_ago, seasonality)
    targets = origin + np.arange(1, steps + 1)

    def lag(periods: int) -> np.ndarray:
        back = targets - periods
        known = (back >= 0) & (back <= origin)
        found = np.full((steps, n_series), np.nan)
        found[known] = sales[back[known]]
        return found

    with np.errstate(invalid="ignore", divide="ignore"):
        last_year = year_ago.values(sales, targets, origin)  # steps x series
        base = last_year * shared.growth
        two_years = year_ago.two_years(sales, targets, origin) * shared.growth_two_years / base
        every = np.ones((steps, n_series))
        columns = [every * np.arange(1, steps + 1)[:, None], every * shared.growth, every * shared.growth_last,
                   every * shared.growth_short, last_year / shared.level_year_ago, lag(season) / last_year,
                   lag(season + 1) / last_year, lag(season - 1) / last_year, every * shared.last_1,
                   every * shared.yoy_noise, two_years]
    if covariates is not None:
        columns += feature_columns(covariates, origin, targets, season, seasonality.level_periods)
    X = np.stack(columns, axis=-1).reshape(steps * n_series, len(columns))
    X[np.isinf(X)] = np.nan  # a ratio to a zero (a series that sold nothing then) says nothing
    return Design(
        X=X,
        base=base.ravel(),
        origin=np.full(steps * n_series, origin),
        target=np.repeat(targets, n_series),
        series=np.tile(np.arange(n_series), steps),
    )


def training_design(sales: np.ndarray, year_ago: YearAgo, seasonality: Seasonality, max_step: int,
                    budget: int = DESIGN_ROWS, seed: int = SAMPLE_SEED,
                    covariates: CovariateGrid | None = None) -> Design:
    """Every (origin, step) row whose target lies inside the data and whose base is known and
    positive; when there are more than `budget` candidate rows (every origin, step and series), a
    seeded uniform sample of the rows at the rate budget / candidates, so the cost of a fit stops
    growing with the number of series."""
    periods = sales.shape[0]
    candidates = sales.shape[1] * sum(min(max_step, periods - 1 - o) for o in range(1, periods - 1))
    keep = min(1.0, budget / max(candidates, 1))
    random = np.random.default_rng(seed)
    designs = []
    for origin in range(1, periods - 1):
        rows = origin_rows(sales, origin, min(max_step, periods - 1 - origin), year_ago, seasonality, covariates)
        with np.errstate(invalid="ignore"):
            usable = np.isfinite(rows.base) & (rows.base > 0)
        if keep < 1.0:
            usable &= random.random(len(usable)) < keep
        designs.append(rows.where(usable))
    return Design(*(np.concatenate([getattr(d, f.name) for d in designs]) for f in fields(Design)))
