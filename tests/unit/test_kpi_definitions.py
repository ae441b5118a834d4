"""lambdas/shared/kpi.py: the one definition of every KPI, and a check that there is no second one."""

from __future__ import annotations

import ast
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lambdas.shared import kpi
from tests.import_graph import top_level_imports

REPO = Path(__file__).resolve().parents[2]
MODULE = REPO / "lambdas" / "shared" / "kpi.py"


def _norm(word: str) -> str:
    return re.sub(r"[-_]", "", word).lower()


# What a KPI divides: every rate's numerators (and their other spellings) and denominators.
ALL_RATES = (
    *kpi.RATES,
    kpi.SELF_SERVICE_RATE,
    kpi.SURVEY_RESPONSE_RATE,
    *kpi.DASHBOARD_RATES,
    *kpi.INGEST_DASHBOARD_RATES,
    kpi.TO_PERSON_RATE,
)
NUMERATORS = {_norm(n) for rate in ALL_RATES for n in rate.numerator} | {"ratings", "containment"}
DENOMINATORS = {_norm(rate.denominator) for rate in ALL_RATES}
MATH = re.compile(r"(\w+)\s*/\s*(\w+)")


def _words(node: ast.AST) -> set[str]:
    """The identifiers and string constants an expression mentions, normalised."""
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(_norm(child.id))
        elif isinstance(child, ast.Attribute):
            found.add(_norm(child.attr))
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            found.add(_norm(child.value))
    return found


def kpi_formulas(source: str) -> list[str]:
    """Divisions (and ratio/share calls, and metric-math strings) whose operands are a KPI's."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.FloorDiv):
            if isinstance(node.right, ast.Constant):
                continue  # a unit conversion (seconds to minutes), not a ratio
            if _words(node.left) & NUMERATORS or _words(node.right) & DENOMINATORS:
                found.append(ast.unparse(node))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("ratio", "share")
        ):
            if node.args and _words(node.args[0]) & NUMERATORS:
                found.append(ast.unparse(node))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            fractions = MATH.findall(node.value)  # metric math and docstrings: "a / b"
            if any(_norm(right) in DENOMINATORS for _, right in fractions):
                found.append(node.value)
    return found


def test_no_kpi_formula_is_defined_outside_the_module() -> None:
    # Given every module the functions, the CLI, the demo and the stack are made of
    files = [p for root in ("lambdas", "tandem", "infra") for p in sorted((REPO / root).rglob("*.py"))]
    assert MODULE in files and len(files) > 50
    # Then none but lambdas/shared/kpi.py divides a KPI's numerator or denominator
    found = {
        str(path.relative_to(REPO)): formulas
        for path in files
        if path != MODULE and (formulas := kpi_formulas(path.read_text(encoding="utf-8")))
    }
    assert found == {}


@pytest.mark.parametrize(
    "source",
    [
        'rate = t["contained"] / t["contacts"]',
        "containment = contained / total",
        'x = share(outcomes["self-served"])',
        "average = sum(ratings) / len(ratings)",
        'expression = "100 * served / decisions"',
        "aht = handle_seconds // handled",
    ],
)
def test_the_check_finds_a_formula_written_again(source: str) -> None:
    assert kpi_formulas(source), source


def test_the_check_leaves_other_arithmetic_alone() -> None:
    assert kpi_formulas("per_minute = budget / 60\nshare = len(taken) / len(transitions)") == []
    assert kpi_formulas("minutes = queue_wait_seconds // 60") == []
    assert kpi_formulas('expression = "100 * errors / MAX([invocations, 1])"') == []


def test_the_module_is_standard_library_only() -> None:
    # The ctr_ingest asset imports it: no third-party package, nothing from tandem/ or infra/
    imported = top_level_imports(MODULE)
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported


FACTS = dict.fromkeys(
    ("callback", "to_person", "queued", "not_connected", "line_failed", "served_in_ivr"), False
)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({}, "contained"),
        ({"served_in_ivr": True}, "contained"),
        ({"callback": True, "to_person": True, "queued": True}, "callback"),  # a returned callback
        ({"to_person": True, "queued": True}, "transferred"),
        ({"queued": True, "not_connected": True}, "abandoned"),
        ({"not_connected": True}, "error"),
        ({"line_failed": True}, "error"),
        ({"line_failed": True, "served_in_ivr": True}, "contained"),  # served before the line failed
    ],
)
def test_outcome_is_the_first_rule_that_matches(facts: dict[str, bool], expected: str) -> None:
    assert kpi.outcome(**(FACTS | facts)) == expected


def test_measures() -> None:
    assert kpi.handle_seconds(300, None, 40) == 340
    start = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    later = datetime(2026, 11, 23, 10, 1, 30, tzinfo=UTC)
    assert kpi.queue_wait_seconds(12, start, later) == 12  # Connect's own duration first
    assert kpi.queue_wait_seconds(None, start, later) == 90
    assert kpi.queue_wait_seconds(None, later, start) == 0  # clocks disagreeing are not a wait
    assert kpi.answered_in_threshold(queued=True, answered=True, wait_seconds=20, threshold_seconds=20)
    assert not kpi.answered_in_threshold(queued=True, answered=False, wait_seconds=1, threshold_seconds=20)


def test_call_counters_name_only_counters_and_leave_zeros_out() -> None:
    counters = kpi.call_counters(
        outcome="transferred", handle_seconds=0, queue_wait_seconds=30, answered_in_threshold=False, csat=4
    )
    assert counters == {
        "contacts": 1,
        "transferred": 1,
        "handled": 1,
        "queued": 1,
        "queueWaitSeconds": 30,
        "queueWaitSecondsSquared": 900,
        "csatCount": 1,
        "csatSum": 4,
        "csat4": 1,
    }
    assert set(counters) <= set(kpi.COUNTERS)
    assert set(kpi.OUTCOME_COUNTERS) == set(kpi.OUTCOMES)


def test_every_rate_reads_counters_and_the_report_names_each_once() -> None:
    for rate in kpi.RATES:
        assert {*rate.numerator, rate.denominator} <= set(kpi.COUNTERS), rate
    assert len(set(kpi.KPI_NAMES)) == len(kpi.KPI_NAMES)
    # The self-service rate is its own measure, never containment under another name
    assert kpi.SELF_SERVICE_RATE.key not in kpi.KPI_NAMES
    assert kpi.SELF_SERVICE_RATE.of({"selfServed": 3, "contacts": 12}) == 0.25
    assert kpi.TO_PERSON_DECISIONS.of({"RouteAgent": 2, "RouteCallback": 1, "Decisions": 6}) == 0.5
    assert kpi.CONTAINMENT_RATE.of({}) is None


@pytest.mark.parametrize(
    ("outcome", "recontacted", "expected"),
    [
        ("contained", False, {"resolved": 1}),
        ("contained", True, {"recontacted": 1}),  # the caller came back: contained, not resolved
        ("transferred", False, {}),  # a person answered: never "resolved" by the machine
        ("transferred", True, {"recontacted": 1}),
        ("abandoned", True, {"recontacted": 1}),
    ],
)
def test_recontacted_and_resolved(outcome: str, recontacted: bool, expected: dict[str, int]) -> None:
    counters = kpi.call_counters(
        outcome=outcome,
        handle_seconds=None,
        queue_wait_seconds=None,
        answered_in_threshold=False,
        csat=None,
        recontacted=recontacted,
    )
    assert counters == {"contacts": 1, kpi.OUTCOME_COUNTERS[outcome]: 1, **expected}


def test_csat_histogram_and_sums_of_squares() -> None:
    for rating in kpi.RATINGS:
        counters = kpi.call_counters(
            outcome="transferred",
            handle_seconds=120,
            queue_wait_seconds=7,
            answered_in_threshold=True,
            csat=rating,
        )
        # One bucket per rating, and its sum and count as before
        assert [counters.get(f"csat{r}", 0) for r in (1, 2, 3, 4, 5)] == [
            int(r == rating) for r in (1, 2, 3, 4, 5)
        ]
        assert (counters["csatCount"], counters["csatSum"]) == (1, rating)
        assert (counters["handleSecondsSquared"], counters["queueWaitSecondsSquared"]) == (14400, 49)
    with pytest.raises(ValueError, match="csat must be one of"):
        kpi.call_counters(
            outcome="contained",
            handle_seconds=None,
            queue_wait_seconds=None,
            answered_in_threshold=False,
            csat=6,
        )


def test_recontact_and_resolution_rates_are_of_contacts_and_in_every_report() -> None:
    counts = {"contacts": 8, "contained": 5, "recontacted": 2, "resolved": 4}
    assert kpi.RECONTACT_RATE.of(counts) == 0.25
    assert kpi.RESOLUTION_RATE.of(counts) == 0.5
    assert {kpi.RECONTACT_RATE, kpi.RESOLUTION_RATE} <= set(kpi.RATES)
    assert {"recontactRate", "resolutionRate"} <= set(kpi.KPI_NAMES)
    assert kpi.RESOLUTION_RATE.of({}) is None
    # The dashboard's figures are of ctr_ingest's per-batch metrics, with the same numerators
    assert kpi.RECONTACTS_ADDED_SHARE.of({"RecontactsAdded": 1, "ContactsAdded": 4}) == 0.25
    assert kpi.RESOLVED_ADDED_SHARE.of({"ResolvedAdded": 3, "ContactsAdded": 4}) == 0.75


def test_docs_define_every_kpi_counter_and_dimension() -> None:
    from lambdas.ctr_ingest.aggregates import DIMENSIONS

    text = (REPO / "docs" / "kpis.md").read_text(encoding="utf-8")
    spans = re.findall(r"`([^`]+)`", text)  # names in code: `contacts`, `callbacks / contacts`
    documented = {word for span in spans for word in re.findall(r"\w+", span)}
    documented |= {"csat2", "csat3", "csat4"}  # written `csat1` ... `csat5`
    missing = {*kpi.KPI_NAMES, *kpi.COUNTERS, *DIMENSIONS} - documented
    assert not missing, missing
