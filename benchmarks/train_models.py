"""Wall time and peak memory of `ml-portfolio train`, per model and for the whole portfolio.

Every measurement is a whole `ml-portfolio train` process (start-up, data load, training,
logging, registration) into a fresh temporary SQLite store; the baseline is the process that
trains only `seasonal_naive`, measured in the same run, so the ratios show what each model
costs on top of the fixed overhead. `ensemble` alone trains the members it combines (without
logging them), so its row is the cost of the ensemble from scratch. The last row, the whole
portfolio (`--models all`), is checked against its target: under 240 s on the Walmart table.

    python benchmarks/train_models.py [--data PATH] [--models all|a,b]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import processes  # noqa: E402
from domain.training import MODEL_TYPES  # noqa: E402

BASELINE = "seasonal_naive"
MODELS = tuple(MODEL_TYPES)
TARGET_SECONDS = 240  # the whole portfolio on the Walmart table
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "Walmart.csv"


def measure(models: str, data: str | None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        return processes.measure(__file__, ["train", "--models", models] + (["--data", data] if data else []), folder)


def main() -> None:
    processes.run_child_if_asked()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA) if DEFAULT_DATA.is_file() else None,
                        help="sales CSV (default: ../shared/data/Walmart.csv if present, else the synthetic table)")
    parser.add_argument("--models", default="all", help="models to time one by one (default: all)")
    args = parser.parse_args()
    models = MODELS if args.models == "all" else tuple(args.models.split(","))
    print(f"data: {args.data or 'synthetic'}; each row is one whole `ml-portfolio train` process", flush=True)
    rows = {BASELINE: measure(BASELINE, args.data)}
    for model in models:
        if model != BASELINE:
            rows[model] = measure(model, args.data)
    rows[f"all {len(MODELS)} models"] = measure("all", args.data)
    base = rows[BASELINE]
    print(f"{'process':<18}{'wall s':>9}{'peak MiB':>10}{'time / baseline':>17}{'memory / baseline':>19}")
    for name, row in rows.items():
        print(f"{name:<18}{row['seconds']:>9.1f}{row['peak_mib']:>10.0f}"
              f"{row['seconds'] / base['seconds']:>17.2f}{row['peak_mib'] / base['peak_mib']:>19.2f}")
    print(f"baseline: the {BASELINE}-only process")
    whole = rows[f"all {len(MODELS)} models"]["seconds"]
    verdict = "within" if whole < TARGET_SECONDS else "OVER"
    print(
        f"whole portfolio: {whole:.0f} s, {verdict} the {TARGET_SECONDS} s target ({whole / TARGET_SECONDS:.2f} of it)"
    )


if __name__ == "__main__":
    main()
