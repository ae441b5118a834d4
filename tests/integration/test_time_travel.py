"""The time-travel pass (tests/time_travel.py) really moves the wall clock, and only the wall clock.

Here, in a tier that `make test` runs a second time with `TANDEM_TIME_TRAVEL_YEARS=10`, so that pass
fails if the clock did not move. In the ordinary pass the same test checks that nothing travels.
The real clock is read through time-machine's escape hatch, which bypasses its patches. How the
variable is read: tests/unit/test_time_travel.py.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, date, datetime, timedelta

import time_machine

from tests.time_travel import TRAVEL_VAR, travel_years, years_ahead

# Two reads of the clock a moment apart, or a 29 February moved to the 28th, differ by less than
# this; a pass that did not travel is off by whole years.
SAME_MOMENT = timedelta(days=1)


def test_the_wall_clock_reads_as_far_ahead_as_the_pass_asks() -> None:
    years = travel_years(os.environ.get(TRAVEL_VAR))
    hatch = time_machine.escape_hatch
    assert hatch.is_travelling() is (years > 0)
    real = hatch.datetime.datetime.now(UTC) if years else datetime.now(UTC)
    expected = years_ahead(real, years)
    seen: list[datetime] = []
    worker = threading.Thread(target=lambda: seen.append(datetime.now(UTC)))  # as budget.py's threads see it
    worker.start()
    worker.join()
    for moment in (datetime.now(UTC), datetime.fromtimestamp(time.time(), UTC), *seen):
        assert abs(moment - expected) < SAME_MOMENT, (moment, expected)
    assert abs(date.today() - expected.date()) <= SAME_MOMENT
