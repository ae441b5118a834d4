"""No test reads the wall clock next to a pinned clock (tests/clock_mix.py), and the check can fail.

The guard walks every module of tests/ and tandem/ (the sandbox, simulator and demo the tests drive).
The negative controls run it on small synthetic modules that each mix the two in one way, starting
with the defect it was written for: a TTL from the pinned decision clock compared with `time.time()`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.clock_mix import Finding, find_mixes

REPO = Path(__file__).resolve().parents[2]


def scan(tmp_path: Path, sources: dict[str, str]) -> list[Finding]:
    """Write each dotted module's source under tmp_path and run the guard over them."""
    for name, source in sources.items():
        path = tmp_path.joinpath(*name.split(".")).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return find_mixes(tmp_path.rglob("*.py"), tmp_path)


def lines(findings: list[Finding]) -> list[tuple[str, int]]:
    return [(f.path, f.line) for f in findings]


def test_no_module_of_the_suite_or_the_sandbox_mixes_a_pinned_clock_with_the_wall_clock() -> None:
    paths = [p for folder in ("tests", "tandem") for p in (REPO / folder).rglob("*.py")]
    assert len(paths) > 50  # the walk found the suite
    findings = find_mixes(paths, REPO)
    assert not findings, "\n".join(map(str, findings))


def test_the_defect_it_was_written_for_is_reported_at_the_wall_clock_read(tmp_path: Path) -> None:
    findings = scan(
        tmp_path,
        {
            "tests.test_ttl": """
                import time
                from datetime import UTC, datetime

                MONDAY_10_NY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)

                def test_ttl(box):
                    with box.clock(MONDAY_10_NY):
                        box.invoke("ivr_decision", {})
                    item = {}
                    assert int(item["expiresAt"]["N"]) > time.time() + 80 * 86400
            """
        },
    )
    assert lines(findings) == [("tests/test_ttl.py", 11)]
    assert "time.time" in findings[0].message
    assert "pins a clock" in findings[0].message


@pytest.mark.parametrize(
    ("source", "read_line"),
    [
        pytest.param(
            """
            from time import time as wall
            def test_x(box):
                with box.clock(object()):
                    pass
                assert wall() > 0
            """,
            6,
            id="time-imported-under-another-name",
        ),
        pytest.param(
            """
            import datetime as dt
            def test_x():
                moment = dt.datetime(2026, 1, 1)
                assert dt.datetime.now() > moment
            """,
            5,
            id="module-alias-and-a-fixed-datetime",
        ),
        pytest.param(
            """
            from datetime import date
            FROM = date(2026, 1, 10)
            def helper():
                return date.today()
            def test_x():
                assert helper() > FROM
            """,
            5,
            id="a-helper-reads-today-for-a-fixed-date",
        ),
        pytest.param(
            """
            from datetime import datetime
            from lambdas.escalation import handler
            def test_x(monkeypatch):
                monkeypatch.setattr(handler, "clock", lambda: None)
                assert datetime.utcnow()
            """,
            6,
            id="a-patched-handler-clock-and-utcnow",
        ),
        pytest.param(
            """
            def test_x(box):
                with box.clock(object()):
                    pass
                assert box.now
            """,
            5,
            id="the-sandbox-seeding-moment-next-to-its-pinned-clock",
        ),
        pytest.param(
            """
            import time
            from lambdas.ivr_decision import handler
            def test_x():
                handler.clock = lambda: None
                stamp = time.gmtime()
            """,
            6,
            id="an-assigned-clock-and-gmtime",
        ),
        pytest.param(
            """
            import time
            from somewhere import TtlCache
            def test_x(clock):
                cache = TtlCache(clock=clock)
                assert time.time_ns()
            """,
            6,
            id="a-fake-clock-and-time-ns",
        ),
    ],
)
def test_each_way_of_mixing_is_reported(tmp_path: Path, source: str, read_line: int) -> None:
    assert lines(scan(tmp_path, {"tests.test_mix": source})) == [("tests/test_mix.py", read_line)]


def test_a_pin_inside_a_function_of_another_module_is_followed_through_its_callers(tmp_path: Path) -> None:
    findings = scan(
        tmp_path,
        {
            "tool.simulator": """
                from datetime import UTC, datetime
                OPEN_MOMENT = datetime(2026, 11, 23, 15, tzinfo=UTC)
                def simulate(box):
                    with box.clock(OPEN_MOMENT):
                        return 1
            """,
            "tool.scenarios": """
                from tool.simulator import simulate
                def run_scenario(box):
                    return simulate(box)
            """,
            "tool": "from tool.scenarios import run_scenario\n",
            "tests.test_flow": """
                import time
                from tool import run_scenario
                def test_x(box):
                    run_scenario(box)
                    assert time.time() > 0
            """,
        },
    )
    assert lines(findings) == [("tests/test_flow.py", 6)]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            """
            import time
            def test_x(box):
                with box.clock(object()):
                    started = time.perf_counter()
                assert time.monotonic() - started < 5
            """,
            id="interval-clocks-are-not-dates",
        ),
        pytest.param(
            """
            import time
            from datetime import UTC, datetime
            def test_x(box):
                assert box.invoke("crm_lookup", {})
                assert datetime.now(UTC).timestamp() <= time.time()
            """,
            id="the-wall-clock-alone",
        ),
        pytest.param(
            """
            from datetime import UTC, datetime, timedelta
            MONDAY = datetime(2026, 11, 23, 15, tzinfo=UTC)
            def test_x(box):
                with box.clock(MONDAY):
                    assert box.invoke("survey", {})["expiresAt"] == MONDAY + timedelta(days=90)
            """,
            id="the-pinned-clock-alone",
        ),
        pytest.param(
            """
            from datetime import UTC, datetime
            def test_x(box):
                with box.clock(datetime(2026, 1, 1, tzinfo=UTC)):
                    pass
                now = datetime.now(UTC)  # clock-mix: the sandbox seeds its data at the wall clock
            """,
            id="an-allowance-with-its-reason",
        ),
    ],
)
def test_what_is_not_a_mix_is_not_reported(tmp_path: Path, source: str) -> None:
    assert scan(tmp_path, {"tests.test_ok": source}) == []


def test_an_allowance_without_a_reason_or_without_a_read_is_itself_reported(tmp_path: Path) -> None:
    findings = scan(
        tmp_path,
        {
            "tests.test_allow": """
                from datetime import UTC, datetime
                def test_x(box):
                    with box.clock(datetime(2026, 1, 1, tzinfo=UTC)):
                        pass  # clock-mix: nothing on this line reads the wall clock
                    now = datetime.now(UTC)  # clock-mix: fine
            """
        },
    )
    assert [(f.line, f.message) for f in findings] == [
        (5, "a clock-mix allowance on a line that reads no wall clock"),
        (6, "a clock-mix allowance must say why the mix is right"),
    ]
