"""Run the suite with the wall clock moved years ahead: `TANDEM_TIME_TRAVEL_YEARS=10 pytest ...`.

A test that mixes a pinned clock (`box.clock`, a fixed datetime) with the wall clock passes on the
day it was written and fails some years later. Moving the wall clock ahead finds such a test today.
`make test` runs the integration and flow tiers a second time this way (see docs/reliability.md).

The travel starts in `pytest_configure`, before any test module is imported, in the controller and
in every pytest-xdist worker (they inherit the variable), and lasts the whole session. It uses
time-machine, which patches `time.time`, `datetime.now`, `date.today` and the other wall-clock reads
for every thread of the process; the clock keeps ticking from the destination (`tick=True`), so
elapsed wall time stays real. `time.monotonic` and `time.perf_counter` are not patched: the
handlers' time budgets (lambdas/shared/budget.py), hypothesis deadlines and the tests' own timings
behave as they always do. Child processes (the moto server of `tandem sandbox up`) keep the real
clock; they only store what this process writes.

Registered from tests/conftest.py (`pytest_plugins`).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import time_machine

TRAVEL_VAR = "TANDEM_TIME_TRAVEL_YEARS"
MAX_YEARS = 100
_TRAVEL_KEY = pytest.StashKey[time_machine.travel]()


def travel_years(raw: str | None) -> int:
    """How many years ahead the variable asks for; 0 when unset or empty."""
    text = (raw or "").strip()
    if not text:
        return 0
    if not text.isdigit() or not 0 <= int(text) <= MAX_YEARS:
        raise pytest.UsageError(
            f"{TRAVEL_VAR} must be a whole number of years from 0 to {MAX_YEARS}, not {raw!r}"
        )
    return int(text)


def years_ahead(moment: datetime, years: int) -> datetime:
    """The same calendar moment `years` later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def pytest_configure(config: pytest.Config) -> None:
    years = travel_years(os.environ.get(TRAVEL_VAR))
    if years:
        traveller = time_machine.travel(years_ahead(datetime.now(UTC), years), tick=True)
        traveller.start()
        config.stash[_TRAVEL_KEY] = traveller


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_TRAVEL_KEY, None)
    if traveller is not None:
        traveller.stop()
        del config.stash[_TRAVEL_KEY]


def pytest_report_header(config: pytest.Config) -> str | None:
    if _TRAVEL_KEY not in config.stash:
        return None
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return f"time travel: {TRAVEL_VAR}={os.environ[TRAVEL_VAR].strip()}, the wall clock reads {now}"
