"""The CLI as a user meets it: help, bad flags, bad files, unreachable stores."""

from __future__ import annotations

import signal
import subprocess

import pytest

from tests.conftest import CLI, Lines, free_port, run_cli
from tests.support import every_experiment


def test_help_lists_commands_and_flags(store):
    top = run_cli(["--help"], store)
    assert top.returncode == 0 and "train" in top.stdout and "--tracking-uri" in top.stdout
    train = run_cli(["train", "--help"], store)
    for flag in ("--models", "--data", "--dataset", "--experiment-name", "--horizon", "--folds", "--no-register"):
        assert flag in train.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--models", "prophet"], "unknown model(s) prophet"),
        (["train", "--horizon", "0"], "horizon must be a whole number of periods in 1..52, not 0"),
        (["train", "--freq", "hourly"], "unknown frequency 'hourly'; one of daily (D), weekly (W), monthly (M)"),
        (["train", "--fill", "mean"], "invalid choice: 'mean'"),
        (["train", "--holidays", "XX"], "unknown holiday calendar 'XX': use walmart, none or a country code"),
        (["train", "--distributed-fit"], "--distributed-fit trains on a Dask cluster: give --jobs N or --scheduler"),
        (["train", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:1"], "not allowed with argument --jobs"),
        (["train", "--holidays", "new year"], "--holidays must be walmart, none or a country code"),
        (["synthetic", "--freq", "daily", "--output", "/proc/no/such.csv"], "cannot write /proc/no/such.csv"),
        (["train", "--horizon", "twelve"], "not a whole number"),
        (["train", "--folds", "0"], "must be a whole number >= 1"),
        (["train", "--data", "does-not-exist.csv"], "error: data file not found: does-not-exist.csv"),
        (["train", "--date-format", "yyyy-mm-dd"], "must be a strftime format such as %d/%m/%Y"),
        (["train", "--id-col", "shop"], "--id-col 'shop' is not a column of the table"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(store, args, message):
    result = run_cli(args, store)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_table_too_short_for_the_protocol(store, tmp_path):
    csv = tmp_path / "short.csv"
    csv.write_text("Store,Date,Weekly_Sales\n" + "".join(f"1,{d:02d}-01-2010,100\n" for d in (1, 8, 15)))
    result = run_cli(["train", "--data", str(csv)], store)
    assert result.returncode == 2
    assert "the table spans 3 weeks; it needs at least 66: a season (52) and a period for the error scale before " \
           "the backtest origin, one week of fold and the 12-week test window" in result.stderr
    assert result.stderr.count("\n") == 1  # one line: nothing was read into the actuals store or said before it


def test_a_horizon_beyond_the_frequency_limit_is_refused_before_training(store):
    made = run_cli(["synthetic", "--freq", "daily", "--series", "2", "--output", "daily.csv"], store)
    assert made.returncode == 0 and "wrote daily.csv: 2 daily series, 1,460 rows" in made.stdout
    result = run_cli(["train", "--data", "daily.csv", "--horizon", "40"], store)
    assert result.returncode == 2
    assert "horizon must be a whole number of days in 1..28 for a daily panel, not 40" in result.stderr
    assert store.client().search_experiments(filter_string="name = 'daily'") == []


def test_unreachable_tracking_server_exits_2(store, tmp_path):
    port = free_port()  # nobody listens on it
    result = run_cli(
        ["--tracking-uri", f"http://127.0.0.1:{port}", "train", "--models", "seasonal_naive"], store, timeout=120
    )
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: MLflow at http://127.0.0.1:{port} failed while opening experiment")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_training_ends_its_run_killed(store, sig, code):
    """SIGTERM (a supervisor) or Ctrl-C during training: the run in progress is KILLED, not left RUNNING."""
    process = subprocess.Popen(CLI + ["train", "--models", "lightgbm"], cwd=store.folder, env=store.env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        stderr = Lines(process.stderr)
        stderr.until(lambda line: "backtest fold 1/4" in line)  # the run exists once training has started
        process.send_signal(sig)
        assert process.wait(timeout=120) == code
        assert stderr.rest().strip().splitlines()[-1] == "interrupted"
    finally:
        process.kill()
        process.wait()
    client = store.client()
    (run,) = client.search_runs(every_experiment(client))
    assert run.info.status == "KILLED" and run.info.end_time is not None
    assert client.search_registered_models() == []


def test_the_walmart_data_under_other_names_trains_with_no_flags_to_the_same_metrics(store, walmart_csv):
    import pandas as pd

    raw = pd.read_csv(walmart_csv)
    dates = pd.to_datetime(raw["Date"], format="%d-%m-%Y").dt.strftime("%Y-%m-%d")
    for name, columns in (("plain", ("store", "date", "sales")), ("nixtla", ("unique_id", "ds", "y"))):
        pd.DataFrame(dict(zip(columns, (raw["Store"], dates, raw["Weekly_Sales"])))).to_csv(
            store.folder / f"{name}.csv", index=False)
    said = {}
    for data in (str(walmart_csv), "plain.csv", "nixtla.csv"):
        trained = run_cli(["train", "--models", "seasonal_naive,aligned_naive", "--data", data, "--no-register"],
                          store)
        assert trained.returncode == 0, trained.stderr
        said[data] = next(line for line in trained.stderr.splitlines() if "columns:" in line)
    assert "id 'store', time 'date', target 'sales'; dates: ISO 8601" in said["plain.csv"]
    assert "id 'unique_id', time 'ds', target 'y'" in said["nixtla.csv"]
    runs = store.client().search_runs([e.experiment_id for e in store.client().search_experiments()])
    metrics = {(run.data.tags["dataset"], run.data.tags["model_type"]):
               {k: v for k, v in run.data.metrics.items() if k.startswith(("test_", "fold"))} for run in runs}
    for model in ("SeasonalNaive", "AlignedNaive"):  # the aligned naive reads the holiday calendar too
        assert metrics[("plain", model)] == metrics[("nixtla", model)] == metrics[("walmart", model)]
        assert metrics[("walmart", model)]["test_mape"] > 0
