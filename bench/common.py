"""Helpers shared by the benchmarks: fresh-interpreter import timing and output."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASELINE = 'import boto3; boto3.client("dynamodb")'
TIMER = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
# Enough for a client to be created at import without touching any network or real account.
IMPORT_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "CUSTOMERS_TABLE": "bench-Customers",
    "INTERACTIONS_TABLE": "bench-Interactions",
    "METRICS_TABLE": "bench-Metrics",
    "PYTHONDONTWRITEBYTECODE": "1",
}


def time_import(code: str, extra_env: dict[str, str] | None = None) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | IMPORT_ENV | (extra_env or {})
    out = subprocess.run(
        [sys.executable, "-c", TIMER.format(code=code)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def cold_import_ratio(
    module: str, runs: int = 15, extra_env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """(median module seconds, median baseline seconds, ratio), runs interleaved so drift hits both."""
    time_import(BASELINE)  # let the OS page cache settle before measuring
    ours, base = [], []
    for _ in range(runs):
        ours.append(time_import(f"import {module}", extra_env))
        base.append(time_import(BASELINE))
    mine, baseline = statistics.median(ours), statistics.median(base)
    return mine, baseline, mine / baseline


def verdict(value: float, budget: float) -> str:
    return "within budget" if value <= budget else "OVER BUDGET"


def heading(text: str) -> None:
    print(f"\n== {text} ==")
