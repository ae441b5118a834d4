"""The experiment demo's callers: working days, distinct numbers, who rings back when, and what a
caller kept from a person does."""

from __future__ import annotations

import contextlib
import io
import random
from datetime import date, datetime, timedelta

import pytest

from lambdas.documents.registry import bundled_defaults
from lambdas.policy.calendar import Calendar
from tandem.cli import main
from tandem.demo.day import PROBLEMS, Problem
from tandem.demo.experiment_callers import (
    ASKS_FOR_PERSON,
    FIRST_HOUR,
    LAST_HOUR,
    NEW_YORK,
    ExperimentCaller,
    PlannedCall,
    calling_days,
    new_callers,
    ring_back,
)

ORDER_STATUS = next(p for p in PROBLEMS if p.key == "1")


@pytest.fixture(scope="module")
def calendar() -> Calendar:
    value = bundled_defaults(("calendar",))["calendar"].value
    assert isinstance(value, Calendar)
    return value


def a_call(
    problem: Problem = ORDER_STATUS, at: datetime | None = None, caller: str = "+12025550300"
) -> PlannedCall:
    moment = at or datetime(2027, 1, 11, 10, tzinfo=NEW_YORK)
    return PlannedCall(moment, caller, problem, seed=1, hours="open", queue_wait_seconds=None)


def test_calling_days_are_the_weekdays_the_calendar_opens(calendar: Calendar) -> None:
    days = calling_days(calendar, 10)
    assert days[0] == date(2027, 1, 11) and len(days) == 10
    assert all(day.weekday() < 5 for day in days)
    assert days[5] == date(2027, 1, 18)  # the weekend skipped


def test_new_callers_have_distinct_numbers_within_the_calling_hours(calendar: Calendar) -> None:
    rng = random.Random(3)
    first = new_callers(date(2027, 1, 11), 0, 200, rng, calendar)
    second = new_callers(date(2027, 1, 12), 200, 200, rng, calendar)
    numbers = [c.caller for c in first + second if c.caller != "anonymous"]
    assert len(numbers) == len(set(numbers)) > 350
    assert all(FIRST_HOUR <= c.moment.hour <= LAST_HOUR for c in first + second)
    assert [c.moment for c in first] == sorted(c.moment for c in first)
    assert not any(c.ring_back for c in first)


def test_a_ring_back_is_the_same_number_on_a_later_calling_day_within_the_window(calendar: Calendar) -> None:
    days = calling_days(calendar, 5)
    rng = random.Random(5)
    call = a_call()
    caller = ExperimentCaller(call)
    later = [again for _ in range(200) if (again := ring_back(call, caller, days, rng, calendar)) is not None]
    assert 150 < len(later) < 200  # most, not all, ring back
    for again in later:
        assert again.caller == call.caller and again.ring_back
        assert again.moment.date() in days[1:]
        assert timedelta(hours=14) <= again.moment - call.moment <= timedelta(hours=72)
    # After the last simulated day nobody is simulated ringing back; a withheld caller never is
    assert (
        ring_back(a_call(at=datetime(2027, 1, 15, 17, tzinfo=NEW_YORK)), caller, days, rng, calendar) is None
    )
    assert ring_back(a_call(caller="anonymous"), caller, days, rng, calendar) is None


def test_a_caller_kept_from_a_person_is_not_helped_and_rates_low() -> None:
    kept = ExperimentCaller(a_call(ASKS_FOR_PERSON))
    answers = [kept("inbound_main", "ask-if-resolved", "Did that answer your question?") for _ in range(50)]
    assert set(answers) == {"1", "0"} and kept.kept and kept.failed_by_machine
    ratings = [kept("survey", "ask-rating", "How satisfied...") for _ in range(200)]
    low = sum(r in ("1", "2") for r in ratings) / sum(r != "" for r in ratings)
    assert low > 0.7


def test_a_caller_who_never_heard_an_answer_was_not_failed_by_the_machine() -> None:
    caller = ExperimentCaller(a_call())
    assert caller("inbound_main", "ask-menu", "Press 1 for an order") == "1"
    assert not caller.kept and not caller.failed_by_machine


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--experiment", "deflect"], "--experiment needs --calls N (new callers a day)"),
        (["--calls", "10", "--days", "3"], "--days only with --experiment"),
        (["--calls", "10", "--experiment", "deflect", "--handlers"], "choose one of --calls and --handlers"),
    ],
)
def test_the_experiment_options_are_refused_in_one_line(args: list[str], message: str) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["demo", *args]) == 2
    assert err.getvalue().strip().splitlines() == [f"tandem demo: {message}"]


def test_the_days_must_be_a_small_whole_number() -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        main(["demo", "--calls", "10", "--experiment", "aa", "--days", "0"])
    assert exit_.value.code == 2
    assert "'0': expected 1 to 60 days" in err.getvalue()
