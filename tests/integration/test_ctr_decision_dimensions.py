"""The real ctr_ingest on the sandbox, counting by who decided (rule, variant) and by half-hour interval.

Contact records carry the flow's `ruleId`, `variant` and `experimentId` attributes (flows/inbound_main.json
keeps ivr_decision's answer); ctr_ingest counts each call once under its rule, under
`<experiment>:<variant>` (two experiments' challengers kept apart) and under `<queue>@HH:MM`. Each call
here has its own caller number, so no call recontacts another.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tandem.kpi_report import build_report
from tandem.local import Sandbox
from tests.integration.test_ctr_ingest_handler import AGENT, DAY, QUEUE, call, counters, kinesis_event

NEW_YORK = ZoneInfo("America/New_York")  # the sandbox centre's TIME_ZONE
INGESTED = "contact records ingested"


def decided(n: int, rule: str, variant: str, experiment: str = "", **fields: Any) -> dict[str, Any]:
    """Call n, decided by `rule` in `variant` of `experiment`, from a caller of its own."""
    attributes = {"route": "SELF_SERVICE", "tandemOutcome": "SELF_SERVED", "ruleId": rule}
    attributes |= {"variant": variant, "experimentId": experiment} | fields.pop("attributes", {})
    record = call(n, attributes=attributes, **fields)
    record["CustomerEndpoint"] = {"Address": f"+1202555{n:04d}", "Type": "TELEPHONE_NUMBER"}
    return record


def queued(n: int, rule: str, variant: str, experiment: str = "") -> dict[str, Any]:
    """Call n, sent to the general queue and answered by an agent."""
    person = {"route": "AGENT", "tandemOutcome": "QUEUED", "queue": "general"}
    return decided(n, rule, variant, experiment, queue=QUEUE, agent=AGENT, attributes=person)


def test_two_experiments_challengers_and_the_champion_count_apart_by_variant_and_rule(box: Sandbox) -> None:
    # Given calls from December's experiment, January's, and calls from before experiments existed
    records = [
        decided(1, "routine-self-service", "challenger", "exp-2026-12"),
        decided(2, "routine-self-service", "challenger", "exp-2026-12"),
        queued(3, "vip-customer", "champion", "exp-2026-12"),
        decided(4, "routine-self-service", "challenger", "exp-2027-01"),
        queued(5, "repeat-caller", "champion"),
        decided(6, "routine-self-service", "champion"),
        call(7, attributes={"route": "SELF_SERVICE", "tandemOutcome": "SELF_SERVED"}),  # no decision kept
    ]
    assert box.invoke("ctr_ingest", kinesis_event(*records)) == {"batchItemFailures": []}
    contained = {"contacts": 1, "contained": 1, "resolved": 1}
    answered = {
        "contacts": 1,
        "transferred": 1,
        "handled": 1,
        "handleSeconds": 200,
        "handleSecondsSquared": 200 * 200,
        "queued": 1,
        "queueWaitSeconds": 15,
        "queueWaitSecondsSquared": 15 * 15,
        "answeredInThreshold": 1,
    }
    # Then each experiment's challenger has its own calls: they never merge
    assert counters(box, "variant", "exp-2026-12:challenger") == {
        "contacts": 2,
        "contained": 2,
        "resolved": 2,
    }
    assert counters(box, "variant", "exp-2027-01:challenger") == contained
    assert counters(box, "variant", "exp-2026-12:champion") == answered
    assert counters(box, "variant", "none:champion") == {
        **answered,
        "contacts": 2,
        "contained": 1,
        "resolved": 1,
    }
    assert counters(box, "variant", "NONE") == contained  # no variant attribute: not a champion
    # And by rule, whatever the variant
    assert counters(box, "rule", "routine-self-service") == {"contacts": 4, "contained": 4, "resolved": 4}
    assert counters(box, "rule", "vip-customer") == answered
    assert counters(box, "rule", "NONE") == contained
    # And by interval: 14:15 UTC is 09:15 in New York; the queued calls under their queue
    assert counters(box, "interval", "general@09:00") == {
        name: amount * 2 for name, amount in answered.items()
    }
    assert counters(box, "interval", "NONE@09:00") == {"contacts": 5, "contained": 5, "resolved": 5}
    # And the report gives a row per variant, every KPI in it, rates as fractions
    report = build_report(box.client("dynamodb"), box.table_names["METRICS_TABLE"], _day(), _day(), "variant")
    rows = {row.value: row.kpis for row in report.rows}
    assert list(rows) == [
        "exp-2026-12:challenger",
        "none:champion",
        "exp-2026-12:champion",
        "exp-2027-01:challenger",
        "NONE",
    ]
    assert rows["exp-2026-12:challenger"]["resolutionRate"] == 1.0
    assert rows["none:champion"]["containmentRate"] == 0.5
    assert rows["exp-2026-12:champion"]["recontactRate"] == 0.0
    assert rows["exp-2026-12:champion"]["averageHandleSeconds"] == 200.0


def test_the_same_records_again_change_no_variant_or_rule(box: Sandbox) -> None:
    records = [decided(n, f"rule-{n % 3}", "challenger", "exp-2026-12") for n in range(1, 10)]
    box.invoke("ctr_ingest", kinesis_event(*records))
    before = _all_counters(box)
    shuffled = records + records[:4]
    random.Random(7).shuffle(shuffled)
    box.invoke("ctr_ingest", kinesis_event(*shuffled))
    assert _all_counters(box) == before
    assert before[("DIM#variant", f"{DAY}#exp-2026-12:challenger")]["contacts"] == 9
    assert sum(c["contacts"] for (pk, _), c in before.items() if pk == "DIM#rule") == 9


# --- what a batch costs ------------------------------------------------------------------------------

QUEUES = ("general", "billing", "priority", "returns")
RULES = (
    "routine-self-service",
    "vip-customer",
    "repeat-caller",
    "explicit-agent-request",
    "self-service-failed",
    "low-confidence",
    "after-hours-callback",
    "holiday-closed",
    "complaint",
    "default",
)
INTENTS = ("ORDER_STATUS", "RETURNS", "BILLING", "COMPLAINT", "DELIVERY", "ACCOUNT")
REASONS = ("", "VIP_CUSTOMER", "REPEAT_CALLER", "ASKED_FOR_AGENT", "LOW_CONFIDENCE", "COMPLAINT")


def half_day_records(rng: random.Random, count: int, *, hours: float) -> list[dict[str, Any]]:
    """`count` records of calls starting over `hours` from 08:00 in New York, as a centre's day makes
    them: about half contained, the rest queued on four queues; one experiment running (a fifth of
    the calls decided by its challenger); some rated calls with a newer, post-call version."""
    opening = datetime(2025, 3, 4, 8, 0, tzinfo=NEW_YORK)
    records: list[dict[str, Any]] = []
    n = 0
    while len(records) < count:
        n += 1
        start = opening + timedelta(seconds=rng.uniform(0, hours * 3600))
        begun = start.astimezone(UTC)
        variant = "challenger" if rng.random() < 0.2 else "champion"
        attributes = {
            "ruleId": rng.choice(RULES),
            "variant": variant,
            "experimentId": "exp-2026-12",
            "intent": rng.choice(INTENTS),
            "csat": rng.choice(("", "", "3", "4", "5")),
        }
        fields: dict[str, Any] = {
            "start": _stamp(begun),
            "updated": _stamp(begun + timedelta(minutes=rng.randint(2, 15))),
        }
        if rng.random() < 0.5:
            attributes |= {"route": "SELF_SERVICE", "tandemOutcome": "SELF_SERVED"}
        else:
            queue = rng.choice(QUEUES)
            enqueued = begun + timedelta(seconds=40)
            attributes |= {"route": "AGENT", "tandemOutcome": "QUEUED", "queue": queue}
            attributes |= {"reasons": rng.choice(REASONS)}
            fields["queue"] = QUEUE | {"Name": queue, "EnqueueTimestamp": _stamp(enqueued)}
            if rng.random() < 0.85:
                fields["agent"] = AGENT | {
                    "ConnectedToAgentTimestamp": _stamp(enqueued + timedelta(seconds=15))
                }
        record = decided(
            n, attributes.pop("ruleId"), attributes.pop("variant"), **fields, attributes=attributes
        )
        records.append(record)
        if attributes["csat"] and rng.random() < 0.4 and len(records) < count:  # the post-call rating
            newer = dict(record, LastUpdateTimestamp=_stamp(begun + timedelta(minutes=30)))
            record["Attributes"] = {k: v for k, v in attributes.items() if k != "csat"}
            records.append(newer)
    return records


def test_a_hundred_records_of_a_half_day_cost_at_most_six_dynamodb_calls(box: Sandbox) -> None:
    # Given 100 records of calls spread over 12 hours (every half-hour of four queues in play: the
    # worst case for the interval dimension), in one Kinesis batch
    records = half_day_records(random.Random(18), 100, hours=12)
    assert box.invoke("ctr_ingest", kinesis_event(*records)) == {"batchItemFailures": []}
    summary = next(line for line in box.last.log_lines if line.get("message") == INGESTED)
    counted = _all_counters(box)
    # Then every call counted once, and the batch took one read and a few transactions
    calls = len({r["ContactId"] for r in records})
    assert summary["calls_counted"] == calls == counted[("DIM#all", f"{DAY}#all")]["contacts"]
    assert sum(c["contacts"] for (pk, _), c in counted.items() if pk == "DIM#interval") == calls
    intervals = sum(pk == "DIM#interval" for pk, _ in counted)
    print(f"\n100 records, {calls} calls over 12 h, {len(counted)} counter items ({intervals} intervals): "
          f"{summary['dynamodb_calls']} DynamoDB calls")  # fmt: skip
    # Two reads (call states and caller items: 200 keys), ~170 state and caller Puts and ~90 counter
    # items in 100-action transactions (docs/decision_log.md, "Recontacts")
    assert summary["dynamodb_calls"] <= 6, summary


def test_a_hundred_records_off_the_live_stream_cost_at_most_five_dynamodb_calls(box: Sandbox) -> None:
    # Given a Kinesis batch as the stream delivers it: 100 records of calls that started within half
    # an hour (the stream is a minute or two behind the calls), so a few intervals per queue
    records = half_day_records(random.Random(5), 100, hours=0.5)
    assert box.invoke("ctr_ingest", kinesis_event(*records)) == {"batchItemFailures": []}
    summary = next(line for line in box.last.log_lines if line.get("message") == INGESTED)
    assert summary["calls_counted"] == len({r["ContactId"] for r in records})
    # Then: the dimensions add no call (3 before recontacts: 1 read, 2 transactions); each caller's
    # recontact index item adds one read and one transaction
    assert summary["dynamodb_calls"] <= 5, summary


def _all_counters(box: Sandbox) -> dict[tuple[str, str], dict[str, int]]:
    items = box.client("dynamodb").scan(TableName=box.table_names["METRICS_TABLE"])["Items"]
    return {
        (item["pk"]["S"], item["sk"]["S"]): {
            k: int(v["N"]) for k, v in item.items() if "N" in v and int(v["N"])
        }
        for item in items
        if item["pk"]["S"].startswith("DIM#")
    }


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _day() -> Any:
    return datetime.fromisoformat(DAY).date()
