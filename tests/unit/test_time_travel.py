"""How tests/time_travel.py reads TANDEM_TIME_TRAVEL_YEARS and where it moves the clock to.

Whether the clock really moves is checked in tests/integration/test_time_travel.py, in the tier the
time-travel pass runs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.time_travel import MAX_YEARS, TRAVEL_VAR, travel_years, years_ahead


@pytest.mark.parametrize(
    ("raw", "years"), [(None, 0), ("", 0), (" 10 ", 10), ("0", 0), (str(MAX_YEARS), MAX_YEARS)]
)
def test_the_variable_names_whole_years(raw: str | None, years: int) -> None:
    assert travel_years(raw) == years


@pytest.mark.parametrize("raw", ["ten", "-1", "1.5", str(MAX_YEARS + 1)])
def test_anything_else_is_a_one_line_usage_error(raw: str) -> None:
    with pytest.raises(pytest.UsageError, match=f"^{TRAVEL_VAR} must be a whole number of years"):
        travel_years(raw)


def test_a_leap_day_moves_to_the_28th_of_february() -> None:
    assert years_ahead(datetime(2028, 2, 29, 12, tzinfo=UTC), 10) == datetime(2038, 2, 28, 12, tzinfo=UTC)
    assert years_ahead(datetime(2026, 12, 4, 1, tzinfo=UTC), 10) == datetime(2036, 12, 4, 1, tzinfo=UTC)
