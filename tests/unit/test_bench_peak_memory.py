"""The scale bench's peak memory is the measured program's own, not the process it was started from."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.bench_scale import _peak_mb

REPO = Path(__file__).resolve().parents[2]
PAGE = 4096


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_a_child_of_a_large_process_reports_its_own_peak() -> None:
    held = bytearray(300 * 1024 * 1024)
    for offset in range(0, len(held), PAGE):  # resident, not just reserved
        held[offset] = 1
    assert _peak_mb() > 300
    child = subprocess.run(
        [sys.executable, "-c", "from bench.bench_scale import _peak_mb; print(_peak_mb())"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    # getrusage's ru_maxrss would say 300+ here: Linux carries the parent's peak across fork and exec
    assert float(child.stdout) < 150
    del held
