"""The warehouse's tables: their schema, and a sync's rows as one data frame per table.

Tables: experiments, runs, metrics, params, tags, series_errors (per-series test errors of runs
that recorded them), run_summaries (each run as a leaderboard sees it, written at sync so a
benchmark reads one narrow row per run), sync_state (one watermark per tracking URI) and
benchmark_history (one row per ranked model per benchmark).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pandas as pd

from domain.runs import Experiment, Run, SeriesErrors, to_epoch_ms

SCHEMA = """
CREATE TABLE IF NOT EXISTS experiments (experiment_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, experiment_id VARCHAR NOT NULL, origin VARCHAR NOT NULL, name VARCHAR,
    status VARCHAR NOT NULL, start_time BIGINT, end_time BIGINT);
CREATE TABLE IF NOT EXISTS metrics (run_id VARCHAR NOT NULL, key VARCHAR NOT NULL, value DOUBLE);
CREATE TABLE IF NOT EXISTS params (run_id VARCHAR NOT NULL, key VARCHAR NOT NULL, value VARCHAR);
CREATE TABLE IF NOT EXISTS tags (run_id VARCHAR NOT NULL, key VARCHAR NOT NULL, value VARCHAR);
CREATE TABLE IF NOT EXISTS series_errors (
    run_id VARCHAR NOT NULL, series_id VARCHAR NOT NULL, metric VARCHAR NOT NULL, value DOUBLE);
CREATE TABLE IF NOT EXISTS run_summaries (
    run_id VARCHAR PRIMARY KEY, model_name VARCHAR NOT NULL, dataset_name VARCHAR NOT NULL, errors_artifact VARCHAR,
    metrics VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS sync_state (
    origin VARCHAR PRIMARY KEY, watermark_ms BIGINT, synced_at TIMESTAMPTZ, runs BIGINT);
CREATE TABLE IF NOT EXISTS benchmark_history (
    generated_at TIMESTAMPTZ NOT NULL, source VARCHAR NOT NULL, filters VARCHAR NOT NULL, rank_by VARCHAR NOT NULL,
    aggregate VARCHAR NOT NULL, rank INTEGER NOT NULL, model_name VARCHAR NOT NULL, dataset_name VARCHAR NOT NULL,
    value DOUBLE NOT NULL, runs INTEGER NOT NULL, run_id VARCHAR);
"""
CHILD_TABLES = ("metrics", "params", "tags", "series_errors", "run_summaries")
# A warehouse written before series ids were text kept per-store errors under whole-number store
# ids: the first write of this version moves them over (and its readers ask for a sync).
UPGRADE = """
INSERT INTO series_errors SELECT run_id, CAST(store_id AS VARCHAR), metric, value FROM store_errors;
DROP TABLE store_errors;
ALTER TABLE run_summaries RENAME COLUMN store_errors TO errors_artifact;
"""


def sync_frames(origin: str, experiments: Sequence[Experiment], runs: Sequence[Run],
            errors: Mapping[str, SeriesErrors]) -> dict[str, pd.DataFrame]:
    """One frame per table, in the tables' column order, for a sync's rows."""
    children = {
        table: pd.DataFrame(
            [(r.run_id, k, v) for r in runs for k, v in getattr(r, table).items()], columns=["run_id", "key", "value"]
        ).astype({"value": "float64" if table == "metrics" else "object"})
        for table in ("metrics", "params", "tags")
    }
    return {
        "experiments": pd.DataFrame({"experiment_id": [e.experiment_id for e in experiments],
                                     "name": [e.name for e in experiments]}),
        "runs": pd.DataFrame({
            "run_id": [r.run_id for r in runs], "experiment_id": [r.experiment_id for r in runs],
            "origin": origin, "name": [r.name for r in runs], "status": [r.status.value for r in runs],
            "start_time": pd.array([to_epoch_ms(r.start_time) for r in runs], dtype="Int64"),
            "end_time": pd.array([to_epoch_ms(r.end_time) for r in runs], dtype="Int64"),
        }),
        **children,
        "run_summaries": pd.DataFrame(
            [(r.run_id, s.model_name, s.dataset_name, s.errors_artifact, json.dumps(dict(s.metrics)))
             for r in runs for s in (r.summary(),)],
            columns=["run_id", "model_name", "dataset_name", "errors_artifact", "metrics"],
        ),
        "series_errors": pd.DataFrame(
            [(run_id, series, metric, value) for run_id, by_series in errors.items()
             for series, by_metric in by_series.items() for metric, value in by_metric.items()],
            columns=["run_id", "series_id", "metric", "value"],
        ).astype({"series_id": "object", "value": "float64"}),
    }
