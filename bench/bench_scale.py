"""How the sandbox scales: a synthetic day of N calls, and contact records through ctr_ingest.

Each figure comes from a fresh interpreter (peak memory is per process: `_peak_mb`), run
one after another so the ratios share the machine's mood:

- `tandem demo --calls N --format json` (`tandem.demo.day.run_day`): calls/s of the calls phase and
  the process's peak memory, at N = 100 and 1,000 (and 10,000 with `--full`);
- `tandem ingest` streaming a gzip file of 10,000 generated records through ctr_ingest: records/s
  and peak memory;
- ctr_ingest fed N generated contact records (bench.bench_metrics.record) in Kinesis events of 100,
  end to end on the sandbox: records/s at 1,000 and 10,000, the median of three interleaved runs of
  each (the Metrics table grows by a call state per record, which is what made moto's
  TransactWriteItems quadratic).

`--full` adds the 10,000-call day and, for comparison, ctr_ingest at 1,000 records on moto's own
TransactWriteItems and item construction (without `tandem.local.moto_patches`).
"""

from __future__ import annotations

import io
import json
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.common import REPO, heading, verdict

DAY_CALLS = (100, 1_000)
DAY_CALLS_FULL = 10_000
INGEST_RECORDS = (1_000, 10_000)
INGEST_ROUNDS = 3
INGEST_FILE_RECORDS = 10_000
BATCH = 100
CALLS_PER_SECOND_GOAL = 60  # at 1,000 calls
FLAT_GOAL = 0.8  # rate at 10x the size / rate at 1x
PEAK_MB_GOAL = 500  # at 10,000 calls
RECORDS_PER_SECOND_GOAL = 300


def _at_least(value: float, goal: float) -> str:
    return verdict(goal, value)


def _peak_mb() -> float:
    """This process's peak resident memory. On Linux, `VmHWM` (the peak of this program's memory
    since it started): `getrusage`'s `ru_maxrss` keeps, across exec, the peak of the process it was
    forked from, so a child of a large bench process would report its parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux and the BSDs: KiB


def child_day(calls: int) -> dict[str, Any]:
    """One synthetic day, its JSON discarded: the calls phase's rate and the process's peak memory."""
    import contextlib

    from tandem.demo.day import run_day

    output = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(output):
        status = run_day(calls, output_format="json", progress=io.StringIO())
    total = time.perf_counter() - started
    summary = json.loads(output.getvalue())["summary"]
    return {
        "status": status,
        "callsPerSecond": summary["calls"] / summary["seconds"],
        "seconds": total,
        "peakMb": _peak_mb(),
    }


def child_ingest(records: int, patched: bool = True) -> dict[str, Any]:
    """`records` contact records through the real ctr_ingest, 100 an event, end to end."""
    import random

    from bench.bench_metrics import kinesis_event, record
    from tandem.local import moto_patches, sandbox

    if not patched:  # moto without the sandbox patches, for the comparison only
        moto_patches.install = lambda: False  # type: ignore[assignment]
        moto_patches.uninstall()
    rng = random.Random(17)
    made = [record(n, rng) for n in range(records)]
    with sandbox(seed=False, attach=False, history=False) as box:
        box.invoke("ctr_ingest", kinesis_event([record(10**7, rng)], 10**7))  # warm: imports, clients
        started = time.perf_counter()
        for first in range(0, records, BATCH):
            answer = box.invoke("ctr_ingest", kinesis_event(made[first : first + BATCH], first))
            assert answer == {"batchItemFailures": []}, answer
        seconds = time.perf_counter() - started
    return {"recordsPerSecond": records / seconds, "seconds": seconds, "peakMb": _peak_mb()}


def child_ingest_file(records: int) -> dict[str, Any]:
    """`tandem ingest`'s path: a gzip JSON-lines file of `records` generated records, streamed from
    disk through the real ctr_ingest, 100 an event (peak memory is mostly moto's tables; the reader's
    own bound is tested in tests/unit/test_record_files.py)."""
    import gzip
    import json
    import random
    import tempfile
    from pathlib import Path

    from bench.bench_metrics import record
    from tandem.local import sandbox
    from tandem.record_ingest import ingest_files

    rng = random.Random(19)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.jsonl.gz"
        with gzip.open(path, "wt", encoding="utf-8") as out:
            for n in range(records):
                out.write(json.dumps(record(n, rng)) + "\n")
        with sandbox(seed=False, attach=False, history=False) as box:
            started = time.perf_counter()
            summary = ingest_files(box, [path])
            seconds = time.perf_counter() - started
        assert summary.clean and summary.records == records, summary.to_dict()
        file_mb = path.stat().st_size / 1e6
    return {
        "recordsPerSecond": records / seconds,
        "seconds": seconds,
        "peakMb": _peak_mb(),
        "fileMb": file_mb,
    }


def _fresh(call: str) -> dict[str, Any]:
    code = f"import json; from bench import bench_scale; print(json.dumps(bench_scale.{call}))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{call} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _days(full: bool) -> None:
    sizes = DAY_CALLS + ((DAY_CALLS_FULL,) if full else ())
    runs = {n: _fresh(f"child_day({n})") for n in sizes}
    for n, run in runs.items():
        assert run["status"] == 0, f"the {n}-call day did not agree with its KPIs"
        print(
            f"tandem demo --calls {n:,} --format json: {run['callsPerSecond']:.1f} calls/s, "
            f"peak memory {run['peakMb']:.0f} MB ({run['seconds']:.1f} s in all, with ctr_ingest)"
        )
    at_1k = runs[1_000]["callsPerSecond"]
    print(
        f"calls/s at 1,000 calls: {at_1k:.1f} (goal >= {CALLS_PER_SECOND_GOAL}: "
        f"{_at_least(at_1k, CALLS_PER_SECOND_GOAL)})"
    )
    if DAY_CALLS_FULL in runs:
        flat = runs[DAY_CALLS_FULL]["callsPerSecond"] / at_1k
        peak = runs[DAY_CALLS_FULL]["peakMb"]
        print(f"calls/s at 10,000 / at 1,000: {flat:.2f} (goal >= {FLAT_GOAL}: {_at_least(flat, FLAT_GOAL)})")
        print(
            f"peak memory at 10,000 calls: {peak:.0f} MB "
            f"(goal < {PEAK_MB_GOAL}: {verdict(peak, PEAK_MB_GOAL)})"
        )
    else:
        print("(the 10,000-call day, its flatness and its peak memory: `make bench-full`)")


def _ingest(full: bool) -> None:
    # The machine's speed moves between runs by more than the figure's margin: each size runs
    # INGEST_ROUNDS times, the sizes interleaved, and the medians are compared.
    rounds: dict[int, list[dict[str, Any]]] = {n: [] for n in INGEST_RECORDS}
    for _ in range(INGEST_ROUNDS):
        for n in INGEST_RECORDS:
            rounds[n].append(_fresh(f"child_ingest({n})"))
    rates = {n: sorted(run["recordsPerSecond"] for run in done) for n, done in rounds.items()}
    for n, done in rounds.items():
        rate, peak = statistics.median(rates[n]), max(run["peakMb"] for run in done)
        print(
            f"ctr_ingest, {n:,} records: {rate:.0f} records/s, median of {len(done)} "
            f"({rates[n][0]:.0f}-{rates[n][-1]:.0f}; goal >= {RECORDS_PER_SECOND_GOAL}: "
            f"{_at_least(rate, RECORDS_PER_SECOND_GOAL)}), peak memory {peak:.0f} MB"
        )
    from_file = _fresh(f"child_ingest_file({INGEST_FILE_RECORDS})")
    print(
        f"tandem ingest, a {from_file['fileMb']:.1f} MB gzip file of {INGEST_FILE_RECORDS:,} records: "
        f"{from_file['recordsPerSecond']:.0f} records/s, peak memory {from_file['peakMb']:.0f} MB"
    )
    small, large = INGEST_RECORDS
    flat = statistics.median(rates[large]) / statistics.median(rates[small])
    paired = ", ".join(
        f"{b['recordsPerSecond'] / a['recordsPerSecond']:.2f}"
        for a, b in zip(rounds[small], rounds[large], strict=True)
    )
    print(
        f"records/s at {large:,} / at {small:,}: {flat:.2f} "
        f"(goal >= {FLAT_GOAL}: {_at_least(flat, FLAT_GOAL)}); each round's own ratio: {paired}"
    )
    if full:
        unpatched = _fresh(f"child_ingest({small}, patched=False)")["recordsPerSecond"]
        print(
            f"ctr_ingest, {small:,} records on unpatched moto (TransactWriteItems, item construction): "
            f"{unpatched:.0f} records/s "
            f"(the patch: {statistics.median(rates[small]) / unpatched:.1f}x)"
        )


def main(full: bool = False) -> None:
    heading("scale (synthetic day, ctr_ingest; fresh interpreter per size)")
    _days(full)
    _ingest(full)
