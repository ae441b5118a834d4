"""`tandem report` and tandem.kpi_report on moto: counters in, exact KPIs out, one Query per dimension.

The counters are written straight into the sandbox's Metrics table, as ctr_ingest would leave them:
three days in range (2026-01-10, 2026-01-11 and, two months on, 2026-03-15), and items the day
before and the day after the range that must never be counted. Every dimension sums to the same
20 calls, so each figure below can be checked by hand against `DAYS`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from datetime import date, timedelta
from typing import Any

import pytest

from lambdas.shared.counters import CounterError, counter_key, read_counters
from lambdas.shared.kpi import COUNTERS
from tandem.cli import main
from tandem.kpi_report import MAX_DAYS, RangeError, build_report, check_range
from tandem.kpi_tables import DASH
from tandem.local import Sandbox

FROM, TO = date(2026, 1, 10), date(2026, 3, 15)
BEFORE, AFTER = "2026-01-09", "2026-03-16"  # just outside the range

# (dimension, day, value, counters): what ingestion would have written.
DAYS: list[tuple[str, str, str, dict[str, int]]] = [
    # all: 20 calls in range.
    ("all", "2026-01-10", "all", {"contacts": 10, "contained": 4, "transferred": 4, "abandoned": 1,
     "callbacks": 1, "handled": 4, "handleSeconds": 1200, "queued": 6, "queueWaitSeconds": 360,
     "answeredInThreshold": 3, "csatCount": 3, "csatSum": 12, "recontacted": 1, "resolved": 3}),
    ("all", "2026-01-11", "all", {"contacts": 6, "contained": 2, "transferred": 3, "errors": 1, "handled": 3,
     "handleSeconds": 900, "queued": 3, "queueWaitSeconds": 90, "answeredInThreshold": 3, "csatCount": 1,
     "csatSum": 5}),
    ("all", "2026-03-15", "all", {"contacts": 4, "contained": 1, "transferred": 1, "abandoned": 1,
     "callbacks": 1, "handled": 1, "handleSeconds": 330, "queued": 3, "queueWaitSeconds": 150,
     "answeredInThreshold": 1}),
    ("all", BEFORE, "all", {"contacts": 100, "contained": 100}),
    ("all", AFTER, "all", {"contacts": 100, "queued": 100, "abandoned": 100}),
    # intent
    ("intent", "2026-01-10", "ORDER_STATUS", {"contacts": 6, "contained": 4, "transferred": 1, "callbacks": 1,
     "handled": 1, "handleSeconds": 300, "queued": 2, "queueWaitSeconds": 120, "answeredInThreshold": 1,
     "recontacted": 1, "resolved": 3}),
    ("intent", "2026-01-10", "BILLING", {"contacts": 4, "transferred": 3, "abandoned": 1, "handled": 3,
     "handleSeconds": 900, "queued": 4, "queueWaitSeconds": 240, "answeredInThreshold": 2, "csatCount": 3,
     "csatSum": 12}),
    ("intent", "2026-01-11", "BILLING", {"contacts": 3, "transferred": 2, "errors": 1, "handled": 2,
     "handleSeconds": 600, "queued": 2, "queueWaitSeconds": 60, "answeredInThreshold": 2, "csatCount": 1,
     "csatSum": 5}),
    ("intent", "2026-01-11", "NONE", {"contacts": 3, "contained": 2, "transferred": 1, "handled": 1,
     "handleSeconds": 300, "queued": 1, "queueWaitSeconds": 30, "answeredInThreshold": 1}),
    ("intent", "2026-03-15", "ORDER_STATUS", {"contacts": 4, "contained": 1, "transferred": 1, "abandoned": 1,
     "callbacks": 1, "handled": 1, "handleSeconds": 330, "queued": 3, "queueWaitSeconds": 150,
     "answeredInThreshold": 1}),
    ("intent", BEFORE, "RETURNS", {"contacts": 40}),
    ("intent", AFTER, "RETURNS", {"contacts": 40}),
    # route: self-served vs agent
    ("route", "2026-01-10", "SELF_SERVICE", {"contacts": 4, "contained": 4, "recontacted": 1, "resolved": 3}),
    ("route", "2026-01-11", "SELF_SERVICE", {"contacts": 2, "contained": 2}),
    ("route", "2026-03-15", "SELF_SERVICE", {"contacts": 1, "contained": 1}),
    ("route", "2026-01-10", "AGENT", {"contacts": 5, "transferred": 4, "abandoned": 1, "handled": 4,
     "handleSeconds": 1200, "queued": 5, "queueWaitSeconds": 300, "answeredInThreshold": 3, "csatCount": 3,
     "csatSum": 12}),
    ("route", "2026-01-11", "AGENT", {"contacts": 3, "transferred": 3, "handled": 3, "handleSeconds": 900,
     "queued": 3, "queueWaitSeconds": 90, "answeredInThreshold": 3, "csatCount": 1, "csatSum": 5}),
    ("route", "2026-03-15", "AGENT", {"contacts": 2, "transferred": 1, "abandoned": 1, "handled": 1,
     "handleSeconds": 330, "queued": 2, "queueWaitSeconds": 100, "answeredInThreshold": 1}),
    ("route", "2026-01-10", "CALLBACK", {"contacts": 1, "callbacks": 1, "queued": 1, "queueWaitSeconds": 60}),
    ("route", "2026-03-15", "CALLBACK", {"contacts": 1, "callbacks": 1, "queued": 1, "queueWaitSeconds": 50}),
    ("route", "2026-01-11", "NONE", {"contacts": 1, "errors": 1}),
    # queue: a tie (6 and 6) and NONE with the most calls
    ("queue", "2026-01-10", "general", {"contacts": 4, "queued": 4}),
    ("queue", "2026-03-15", "general", {"contacts": 2, "queued": 2}),
    ("queue", "2026-01-10", "billing", {"contacts": 2, "queued": 2}),
    ("queue", "2026-01-11", "billing", {"contacts": 3, "queued": 3}),
    ("queue", "2026-03-15", "billing", {"contacts": 1, "queued": 1}),
    ("queue", "2026-01-10", "NONE", {"contacts": 4}),
    ("queue", "2026-01-11", "NONE", {"contacts": 3}),
    ("queue", "2026-03-15", "NONE", {"contacts": 1}),
    # reason: escalation reasons, one out-of-range reason that would otherwise top the ranking
    ("reason", "2026-01-10", "VIP", {"contacts": 2, "transferred": 2}),
    ("reason", "2026-03-15", "VIP", {"contacts": 3, "transferred": 1}),
    ("reason", "2026-01-11", "ASKED_FOR_AGENT", {"contacts": 4, "transferred": 3}),
    ("reason", "2026-01-10", "REPEAT_CALLER", {"contacts": 3, "transferred": 2}),
    ("reason", "2026-03-15", "COMPLAINT", {"contacts": 1}),
    ("reason", "2026-01-11", "FRUSTRATION", {"contacts": 1}),
    ("reason", "2026-01-10", "NONE", {"contacts": 6}),
    ("reason", AFTER, "COMPLAINT", {"contacts": 30}),
]  # fmt: skip

OVERALL = {
    **dict.fromkeys(COUNTERS, 0),  # never written: the histogram and the sums of squares
    "contacts": 20,
    "contained": 7,
    "transferred": 8,
    "abandoned": 2,
    "callbacks": 2,
    "errors": 1,
    "handled": 8,
    "handleSeconds": 2430,
    "queued": 12,
    "queueWaitSeconds": 600,
    "answeredInThreshold": 7,
    "csatCount": 4,
    "csatSum": 17,
    "recontacted": 1,  # a self-served caller came back
    "resolved": 3,
}
OVERALL_KPIS = {
    "contacts": 20,
    "containmentRate": 7 / 20,
    "transferRate": 8 / 20,
    "abandonRate": 2 / 12,
    "callbackRate": 2 / 20,
    "errorRate": 1 / 20,
    "averageHandleSeconds": 303.75,
    "averageQueueWaitSeconds": 50.0,
    "serviceLevel": 7 / 12,
    "csatAverage": 4.25,
    "recontactRate": 1 / 20,
    "resolutionRate": 3 / 20,
    "csatResponses": 4,
}


def put(box: Sandbox, dimension: str, day: str, value: str, counters: dict[str, Any]) -> None:
    item = {k: {"S": v} for k, v in counter_key(dimension, day, value).items()}
    item |= {name: {"N": str(amount)} for name, amount in counters.items()}
    box.client("dynamodb").put_item(TableName=box.table_names["METRICS_TABLE"], Item=item)


@pytest.fixture
def counters(box: Sandbox) -> Sandbox:
    for dimension, day, value, amounts in DAYS:
        put(box, dimension, day, value, amounts)
    return box


def report(box: Sandbox, start: date = FROM, end: date = TO, by: str | None = None, **kwargs: Any) -> Any:
    return build_report(box.client("dynamodb"), box.table_names["METRICS_TABLE"], start, end, by, **kwargs)


def queries(box: Sandbox) -> int:
    return box.aws_calls.count("dynamodb.Query")


def test_the_fixture_is_consistent_every_dimension_sums_to_the_same_calls(counters: Sandbox) -> None:
    for dimension in ("intent", "route", "queue"):
        rows = report(counters, by=dimension).rows
        assert sum(r.totals["contacts"] for r in rows) == 20, dimension


# --- overall ---------------------------------------------------------------------------------


def test_overall_kpis_from_the_all_dimension_exactly(counters: Sandbox) -> None:
    before = queries(counters)
    result = report(counters)
    assert result.overall.as_dict() == OVERALL
    assert result.kpis == pytest.approx(OVERALL_KPIS)
    assert result.rows == ()
    assert (result.days, result.days_with_calls) == (65, 3)
    assert result.reads.requests_by_dimension == {"all": 1}
    assert queries(counters) - before == 1


def test_range_bounds_are_inclusive_and_days_outside_are_ignored(counters: Sandbox) -> None:
    assert report(counters, FROM, FROM).overall["contacts"] == 10  # the first day alone
    assert report(counters, TO, TO).overall["contacts"] == 4  # the last day alone
    assert report(counters, date(2026, 1, 9), date(2026, 1, 9)).overall["contacts"] == 100
    assert report(counters, FROM, date(2026, 3, 16)).overall["contacts"] == 120
    by_intent = report(counters, by="intent")
    assert "RETURNS" not in [row.value for row in by_intent.rows]


def test_a_range_with_no_calls_has_no_ratios_not_zero_ones(counters: Sandbox) -> None:
    result = report(counters, date(2026, 1, 12), date(2026, 3, 14), by="intent")
    assert result.overall.as_dict() == dict.fromkeys(COUNTERS, 0)
    assert result.days_with_calls == 0
    assert result.rows == ()
    assert result.kpis["contacts"] == 0
    assert result.kpis["csatResponses"] == 0
    assert {v for k, v in result.kpis.items() if k not in {"contacts", "csatResponses"}} == {None}


def test_values_with_any_text_on_the_last_day_are_in_range(box: Sandbox) -> None:
    put(box, "intent", "2026-03-15", "A#B", {"contacts": 1})  # a value may itself hold '#'
    put(box, "intent", "2026-03-15", "ÜBER", {"contacts": 2})
    put(box, "intent", "2026-03-15", "~", {"contacts": 3})
    put(box, "intent", "2026-03-16", "", {"contacts": 99})  # the next day, empty value
    rows = report(box, TO, TO, by="intent").rows
    assert [(r.value, r.totals["contacts"]) for r in rows] == [("~", 3), ("ÜBER", 2), ("A#B", 1)]


# --- by dimension ------------------------------------------------------------------------------


def test_by_intent_one_row_per_value_with_its_kpis(counters: Sandbox) -> None:
    result = report(counters, by="intent")
    assert result.overall.as_dict() == OVERALL  # the headline still comes from `all`
    assert [row.value for row in result.rows] == ["ORDER_STATUS", "BILLING", "NONE"]
    order_status, billing, none = (row.kpis for row in result.rows)
    assert order_status == pytest.approx(
        {
            "contacts": 10,
            "containmentRate": 0.5,
            "transferRate": 0.2,
            "abandonRate": 0.2,  # 1 of 5 queued
            "callbackRate": 0.2,
            "errorRate": 0.0,
            "averageHandleSeconds": 315.0,  # 630 s over 2 handled
            "averageQueueWaitSeconds": 54.0,  # 270 s over 5 queued
            "serviceLevel": 0.4,
            "csatAverage": None,
            "recontactRate": 0.1,
            "resolutionRate": 0.3,
            "csatResponses": 0,
        }
    )
    assert billing == pytest.approx(
        {
            "contacts": 7,
            "containmentRate": 0.0,
            "transferRate": 5 / 7,
            "abandonRate": 1 / 6,
            "callbackRate": 0.0,
            "errorRate": 1 / 7,
            "averageHandleSeconds": 300.0,
            "averageQueueWaitSeconds": 50.0,
            "serviceLevel": 4 / 6,
            "csatAverage": 4.25,
            "recontactRate": 0.0,
            "resolutionRate": 0.0,
            "csatResponses": 4,
        }
    )
    assert none["contacts"] == 3
    assert none["containmentRate"] == pytest.approx(2 / 3)
    assert result.reads.requests_by_dimension == {"all": 1, "intent": 1}


def test_by_route_self_served_against_agent_and_zero_denominators(counters: Sandbox) -> None:
    rows = {row.value: row for row in report(counters, by="route").rows}
    assert list(rows) == ["AGENT", "SELF_SERVICE", "CALLBACK", "NONE"]
    self_served = rows["SELF_SERVICE"].kpis
    assert self_served["contacts"] == 7
    assert self_served["containmentRate"] == 1.0
    # Never queued, handled or rated: those KPIs are undefined, not 0.
    for name in (
        "abandonRate",
        "averageHandleSeconds",
        "averageQueueWaitSeconds",
        "serviceLevel",
        "csatAverage",
    ):
        assert self_served[name] is None, name
    agent = rows["AGENT"].kpis
    assert agent == pytest.approx(
        {
            "contacts": 10,
            "containmentRate": 0.0,
            "transferRate": 0.8,
            "abandonRate": 0.2,
            "callbackRate": 0.0,
            "errorRate": 0.0,
            "averageHandleSeconds": 303.75,
            "averageQueueWaitSeconds": 49.0,
            "serviceLevel": 0.7,
            "csatAverage": 4.25,
            "recontactRate": 0.0,
            "resolutionRate": 0.0,
            "csatResponses": 4,
        }
    )
    assert rows["CALLBACK"].kpis["callbackRate"] == 1.0
    assert rows["CALLBACK"].kpis["serviceLevel"] == 0.0  # queued, never answered by an agent


def test_by_queue_ties_by_name_and_none_last(counters: Sandbox) -> None:
    rows = report(counters, by="queue").rows
    assert [(r.value, r.totals["contacts"]) for r in rows] == [("billing", 6), ("general", 6), ("NONE", 8)]


def test_escalation_reasons_ranked_by_contacts(counters: Sandbox) -> None:
    result = report(counters, by="reason")
    ranking = [(row.value, row.totals["contacts"]) for row in result.rows]
    assert ranking == [
        ("VIP", 5),
        ("ASKED_FOR_AGENT", 4),
        ("REPEAT_CALLER", 3),
        ("COMPLAINT", 1),  # the 30 complaints of the day after do not count
        ("FRUSTRATION", 1),
        ("NONE", 6),
    ]
    assert result.to_dict()["rows"][0] | {"counts": None, "kpis": None} == {
        "value": "VIP",
        "rank": 1,
        "counts": None,
        "kpis": None,
        "provisional": False,  # no clock given: nothing is judged provisional
    }


# --- reads -------------------------------------------------------------------------------------


class RecordingClient:
    """The sandbox's DynamoDB client, keeping every Query request it forwards."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.requests: list[dict[str, Any]] = []

    def query(self, **request: Any) -> Any:
        self.requests.append(json.loads(json.dumps(request)))
        return self.client.query(**request)


def test_pages_are_followed_and_stay_one_logical_query(counters: Sandbox) -> None:
    table = counters.table_names["METRICS_TABLE"]
    recording = RecordingClient(counters.client("dynamodb"))
    paged = build_report(recording, table, FROM, TO, "intent", page_size=2)
    whole = report(counters, by="intent")
    assert paged.overall == whole.overall
    assert paged.rows == whole.rows
    intent = [r for r in recording.requests if r["ExpressionAttributeValues"][":pk"]["S"] == "DIM#intent"]
    assert len(intent) == paged.reads.requests_by_dimension["intent"] >= 3  # 5 items, 2 a page
    assert len(recording.requests) == paged.reads.requests
    # Every page is the same key condition, continued from where the previous one stopped.
    first = {k: v for k, v in intent[0].items() if k != "ExclusiveStartKey"}
    assert all({k: v for k, v in r.items() if k != "ExclusiveStartKey"} == first for r in intent)
    assert "ExclusiveStartKey" not in intent[0]
    assert all("ExclusiveStartKey" in r for r in intent[1:])
    assert first["ExpressionAttributeValues"][":low"]["S"] == "2026-01-10#"
    assert first["ExpressionAttributeValues"][":high"]["S"] == "2026-03-15$"


def test_read_counters_returns_the_items_of_one_dimension(counters: Sandbox) -> None:
    items = read_counters(
        counters.client("dynamodb"), counters.table_names["METRICS_TABLE"], "queue", FROM, TO
    )
    assert len(items) == 8
    assert {item["pk"]["S"] for item in items} == {"DIM#queue"}


def test_a_year_of_counters_is_one_request_per_dimension(box: Sandbox) -> None:
    client, table = box.client("dynamodb"), box.table_names["METRICS_TABLE"]
    start = date(2025, 1, 1)
    items = []
    for offset in range(365):
        day = (start + timedelta(days=offset)).isoformat()
        items.append((counter_key("all", day, "all"), {"contacts": 6, "contained": 3, "queued": 3}))
        for intent, contacts in (("ORDER_STATUS", 3), ("BILLING", 2), ("NONE", 1)):
            items.append((counter_key("intent", day, intent), {"contacts": contacts}))
    for batch in range(0, len(items), 25):
        requests = [
            {
                "PutRequest": {
                    "Item": {k: {"S": v} for k, v in key.items()}
                    | {n: {"N": str(a)} for n, a in amounts.items()}
                }
            }
            for key, amounts in items[batch : batch + 25]
        ]
        client.batch_write_item(RequestItems={table: requests})
    before = queries(box)
    result = build_report(client, table, start, date(2025, 12, 31), "intent")
    assert result.reads.requests_by_dimension == {"all": 1, "intent": 1}
    assert result.reads.requests == queries(box) - before == 2
    assert result.overall["contacts"] == 365 * 6
    assert result.days_with_calls == 365
    assert result.kpis["containmentRate"] == 0.5
    assert [(r.value, r.totals["contacts"]) for r in result.rows] == [
        ("ORDER_STATUS", 1095),
        ("BILLING", 730),
        ("NONE", 365),
    ]


# --- range and counter checks ------------------------------------------------------------------


def test_range_validation() -> None:
    check_range(FROM, FROM)  # one day
    check_range(date(2024, 1, 1), date(2024, 12, 31))  # 366 days, a leap year
    with pytest.raises(RangeError, match="starts after it ends"):
        check_range(TO, FROM)
    with pytest.raises(RangeError, match=f"367 days; a report covers at most {MAX_DAYS}"):
        check_range(date(2025, 1, 1), date(2026, 1, 2))


def test_a_bad_range_or_dimension_reads_nothing(box: Sandbox) -> None:
    before = queries(box)
    with pytest.raises(RangeError):
        report(box, TO, FROM)
    with pytest.raises(ValueError, match="cannot report by 'all'"):
        report(box, by="all")
    assert queries(box) == before


def test_a_fractional_counter_is_an_error_not_a_truncated_figure(box: Sandbox) -> None:
    put(box, "all", "2026-01-10", "all", {"contacts": "2.5"})
    with pytest.raises(CounterError, match=r"DIM#all 2026-01-10#all: contacts is .*2\.5.*not a whole number"):
        report(box)


# --- the command -------------------------------------------------------------------------------


@pytest.fixture
def cli(counters: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """`tandem report` reading the test's sandbox: a nested sandbox() would reset moto's state."""
    monkeypatch.setattr("tandem.local.sandbox", lambda **_: contextlib.nullcontext(counters))
    return counters


def test_table_output_has_the_headline_and_the_by_table(
    cli: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--from", "2026-01-10", "--to", "2026-03-15", "--by", "reason"]) == 0
    out = capsys.readouterr().out
    assert "Tandem KPIs 2026-01-10 to 2026-03-15 (65 days, 3 with calls)" in out
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    assert "20" in lines["contacts"]
    assert "35.0%" in lines["containment"]
    assert "40.0%" in lines["transfer"]
    assert "16.7%" in lines["abandon"]
    assert "2 abandoned of 12 queued" in lines["abandon"]
    assert "10.0%" in lines["callback"]
    assert "5.0%" in lines["errors"]
    assert "05:04" in lines["AHT"]  # 303.75 s
    assert "00:50" in lines["avg queue wait"]
    assert "58.3%" in lines["service level"]
    assert "(20 s)" in lines["service level"]
    assert "4.25 (n=4)" in lines["CSAT"]
    assert "5.0%" in lines["recontact"] and "1 the caller rang again" in lines["recontact"]
    assert "15.0%" in lines["resolution"] and "3 contained, not recontacted" in lines["resolution"]
    ranked = [line.split()[1] for line in out.splitlines() if line[:1].isdigit()]
    assert ranked == ["VIP", "ASKED_FOR_AGENT", "REPEAT_CALLER", "COMPLAINT", "FRUSTRATION", "NONE"]
    assert "Note:" not in out


def test_undefined_ratios_print_as_a_dash(cli: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--from", "2026-01-10", "--to", "2026-03-15", "--by", "route"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if " SELF_SERVICE " in line)
    assert row.split()[2:] == [
        "7",
        "35.0%",
        "100.0%",
        "0.0%",
        DASH,
        "0.0%",
        "0.0%",
        DASH,
        DASH,
        DASH,
        DASH,
        "(n=0)",
        "14.3%",  # 1 of 7 recontacted
        "42.9%",  # 3 of 7 resolved: 4 contained, one of them recontacted
    ]


def test_csv_is_the_overall_row_then_one_row_per_value(
    cli: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["report", "--from", "2026-01-10", "--to", "2026-03-15", "--by", "intent", "--format", "csv"])
        == 0
    )
    captured = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert [(r["dimension"], r["value"]) for r in rows] == [
        ("all", "all"),
        ("intent", "ORDER_STATUS"),
        ("intent", "BILLING"),
        ("intent", "NONE"),
    ]
    overall = rows[0]
    assert {name: int(overall[name]) for name in COUNTERS} == OVERALL
    assert float(overall["containmentRate"]) == 0.35
    assert float(overall["abandonRate"]) == pytest.approx(2 / 12)
    assert float(overall["averageHandleSeconds"]) == 303.75
    assert rows[1]["csatAverage"] == ""  # ORDER_STATUS: no ratings
    assert captured.err == ""


def test_json_has_raw_counts_ratios_and_reads(cli: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["report", "--from", "2026-01-10", "--to", "2026-03-15", "--by", "queue", "--format", "json"])
        == 0
    )
    document = json.loads(capsys.readouterr().out)
    assert document["from"] == "2026-01-10"
    assert document["to"] == "2026-03-15"
    assert document["days"] == 65
    assert document["by"] == "queue"
    assert document["overall"]["counts"] == OVERALL
    assert document["overall"]["kpis"] == pytest.approx(OVERALL_KPIS)
    assert [(r["rank"], r["value"], r["counts"]["contacts"]) for r in document["rows"]] == [
        (1, "billing", 6),
        (2, "general", 6),
        (3, "NONE", 8),
    ]
    assert document["rows"][2]["kpis"]["abandonRate"] is None
    assert document["reads"]["requestsByDimension"] == {"all": 1, "queue": 1}
    assert document["serviceLevelThresholdSeconds"] == 20  # infra.constants.SERVICE_LEVEL_SECONDS
    assert document["note"] is None
    assert "in-process sandbox" in document["source"]


def test_a_fresh_sandbox_is_empty_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["overall"]["counts"]["contacts"] == 0
    assert "no sandbox server is running" in document["note"]
    assert main(["report", "--from", "2026-01-01", "--to", "2026-01-31"]) == 0
    out = capsys.readouterr().out
    assert "Note: no sandbox server is running" in out
    assert "tandem sandbox up" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2026-3-1", "--to", "2026-03-31"], "--from '2026-3-1': expected a date YYYY-MM-DD"),
        (["--from", "20260301", "--to", "2026-03-31"], "--from '20260301': expected a date YYYY-MM-DD"),
        (["--from", "2026-02-30", "--to", "2026-03-31"], "--from '2026-02-30': not a date"),
        (["--from", "2026-03-01", "--to", "tomorrow"], "--to 'tomorrow': expected a date YYYY-MM-DD"),
        (["--from", "2026-03-31", "--to", "2026-03-01"], "the range starts after it ends"),
        (
            ["--from", "2025-01-01", "--to", "2026-01-02"],
            "2025-01-01 to 2026-01-02 is 367 days; a report covers at most 366",
        ),
        (
            ["--from", "2026-03-01", "--to", "2026-03-31", "--region", "eu-west-1"],
            "--region: only with --target aws",
        ),
        (["--from", "2026-03-01", "--to", "2026-03-31", "--target", "aws"], "--target aws needs --table"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("METRICS_TABLE", raising=False)
    assert main(["report", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"tandem report: {message}")
    assert captured.err.count("\n") == 1


def test_argparse_rejects_an_unknown_dimension(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--from", "2026-03-01", "--to", "2026-03-31", "--by", "agent"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'agent'" in capsys.readouterr().err


def test_an_unreadable_counter_exits_1(box: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    put(box, "all", "2026-01-10", "all", {"contacts": "2.5"})
    monkeypatch.setattr("tandem.local.sandbox", lambda **_: contextlib.nullcontext(box))
    assert main(["report", "--from", "2026-01-10", "--to", "2026-01-10"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tandem report: tandem-Metrics: DIM#all 2026-01-10#all: contacts")
    assert err.count("\n") == 1
