"""Wall time and peak memory of `ml-portfolio train`, per model and for the whole portfolio.

Every measurement is a whole `ml-portfolio train` process (start-up, data load, training,
logging, registration) into a fresh temporary SQLite store; the baseline is the process that
trains only `seasonal_naive`, measured in the same run, so the ratios show what each model
costs on top of the fixed overhead. `ensemble` alone trains the members it combines (without
logging them), so its row is the cost of the ensemble from scratch. The last row, the whole
portfolio (`--models all`), is checked against its target: under 240 s on a weekly table (the
Walmart table), under 120 s on a quarterly one (the three in ../shared/data).

    python benchmarks/train_models.py [--data PATH] [--id-col/--time-col/--target-col NAME] [--models all|a,b]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from adapters.filesystem.sales_csv import read_file  # noqa: E402
from adapters.forecasting.table import read_table  # noqa: E402
from benchmarks import processes  # noqa: E402
from domain.columns import ColumnSpec, PanelSpec  # noqa: E402
from domain.training import MODEL_TYPES  # noqa: E402

BASELINE = "seasonal_naive"
MODELS = tuple(MODEL_TYPES)
TARGET_SECONDS = {"weekly": 240, "quarterly": 120}  # the whole portfolio, by the table's frequency
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "Walmart.csv"


def measure(models: str, flags: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        return processes.measure(__file__, ["train", "--models", models, *flags], folder)


def main() -> None:
    processes.run_child_if_asked()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA) if DEFAULT_DATA.is_file() else None,
                        help="sales CSV (default: ../shared/data/Walmart.csv if present, else the synthetic table)")
    for role in ("id", "time", "target"):
        parser.add_argument(f"--{role}-col", metavar="NAME", help="as `train` takes it")
    parser.add_argument("--models", default="all", help="models to time one by one (default: all)")
    args = parser.parse_args()
    models = MODELS if args.models == "all" else tuple(args.models.split(","))
    columns = {f"--{role}-col": getattr(args, f"{role}_col") for role in ("id", "time", "target")}
    flags = [part for pair in {"--data": args.data, **columns}.items() if pair[1] for part in pair]
    frequency = frequency_of(args)
    print(f"data: {args.data or 'synthetic'} ({frequency}); each row is one whole `ml-portfolio train` process",
          flush=True)
    rows = {BASELINE: measure(BASELINE, flags)}
    for model in models:
        if model != BASELINE:
            rows[model] = measure(model, flags)
    rows[f"all {len(MODELS)} models"] = measure("all", flags)
    base = rows[BASELINE]
    print(f"{'process':<18}{'wall s':>9}{'peak MiB':>10}{'time / baseline':>17}{'memory / baseline':>19}")
    for name, row in rows.items():
        print(f"{name:<18}{row['seconds']:>9.1f}{row['peak_mib']:>10.0f}"
              f"{row['seconds'] / base['seconds']:>17.2f}{row['peak_mib'] / base['peak_mib']:>19.2f}")
    print(f"baseline: the {BASELINE}-only process")
    whole = rows[f"all {len(MODELS)} models"]["seconds"]
    target = TARGET_SECONDS.get(frequency)
    if target is None:
        print(f"whole portfolio: {whole:.0f} s (no target for a {frequency} table)")
        return
    verdict = "within" if whole < target else "OVER"
    print(f"whole portfolio: {whole:.0f} s, {verdict} the {target} s target ({whole / target:.2f} of it)")


def frequency_of(args: argparse.Namespace) -> str:
    """The frequency `train` reads the table as (the synthetic table is weekly)."""
    if not args.data:
        return "weekly"
    raw, content = read_file(args.data)
    columns = ColumnSpec(id=args.id_col, time=args.time_col, target=args.target_col)
    return read_table(raw, source=args.data, name=Path(args.data).stem, content=content, columns=columns,
                      panel=PanelSpec()).info.frequency.name


if __name__ == "__main__":
    main()
