"""The demo's last step: its calls as contact records, through ctr_ingest, into the KPI report.

The calls' records (`tandem.demo.contact_records`) go, in stream order, in Kinesis events of up to 100
records, to the real ctr_ingest handler in the same sandbox; optionally the whole stream again,
shuffled, as Kinesis redelivers after a retry (each call must count once, and the newest version of
a record must win whatever the order). Then `build_report` reads the Metrics table's counters for
the calls' days, as `tandem report` does, and the figures are checked against what the simulator
said of each call.

The oracle also says which calls were *recontacted*: the same caller (a number; withheld and
invalid ones never match) started another call within the recontact window after the call's
start (`RECONTACT_WINDOW`, the sandbox's ctr_ingest setting), and which were *resolved*: contained
and not recontacted. It reads them from the calls' numbers and start times, not from the records,
overall and by the rule that decided each call (`by_rule`). The demo's calls are all inbound. The
counters are compared with these once `lambdas.shared.kpi.COUNTERS` has them.
"""

from __future__ import annotations

import random
import re
import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from infra.constants import SERVICE_LEVEL_SECONDS
from lambdas.ctr_ingest.aggregates import NONE
from lambdas.shared import kpi
from lambdas.shared.kpi import COUNTERS, CSAT_HISTOGRAM, OUTCOME_COUNTERS
from lambdas.shared.tables import METRICS
from tandem.demo.contact_records import StreamedRecord, contact_records, kinesis_record, oracle_outcome
from tandem.demo.scenarios import decision_rule, rating
from tandem.flows.simulator import SimulationResult
from tandem.kpi import Totals
from tandem.kpi_report import Report, build_report
from tandem.kpi_tables import kpi_tables
from tandem.local import Sandbox
from tandem.local.kinesis import KINESIS_BATCH, batch_outcome
from tandem.local.sandbox import FAKE_ENV
from tandem.output import table

# ctr_ingest counts a call on its local day in the centre's zone: the sandbox's TIME_ZONE.
CENTRE_ZONE = ZoneInfo(FAKE_ENV["TIME_ZONE"])
OUTCOME_NAMES = tuple(OUTCOME_COUNTERS.values())  # contained, transferred, abandoned, callbacks, errors
# ctr_ingest's recontact window in the sandbox (its RECONTACT_WINDOW_HOURS setting, 72 h by default).
RECONTACT_WINDOW = timedelta(hours=int(FAKE_ENV.get("RECONTACT_WINDOW_HOURS", "72")))
E164 = re.compile(r"\+[1-9]\d{6,14}")  # a caller's number; anything else ("anonymous") never matches
RULE_FIGURES = ("contacts", "contained", "recontacted", "resolved")
RULE_RATES = (kpi.CONTAINMENT_RATE, kpi.RECONTACT_RATE, kpi.RESOLUTION_RATE)
RuleOutcomes = dict[str, dict[str, int]]  # rule (NONE: no decision) → RULE_FIGURES → calls


@dataclass(frozen=True)
class PlacedForKpis:
    """One simulated call: what happened, when it started, who called (for CustomerEndpoint)."""

    result: SimulationResult
    started: datetime
    caller: str


@dataclass(frozen=True)
class Delivery:
    name: str
    records: int
    events: int
    calls_counted: int  # calls whose counters changed
    calls_unchanged: int  # calls with nothing newer: duplicates and older versions
    records_failed: int
    redelivery: bool = False  # the same records again: must change nothing


@dataclass(frozen=True)
class KpiRun:
    calls: int
    records: int
    post_call_updates: int  # calls with a second, newer version of their record
    deliveries: tuple[Delivery, ...]
    report: Report
    expected: dict[str, int]  # counter → calls, from the test oracle (simulator's outcomes) and ratings
    # The same days' counters before these calls: zero in a fresh sandbox; on `tandem sandbox up`'s
    # server, what earlier runs counted, so the check is on what these calls added.
    before: Totals = field(default_factory=Totals)
    source: str = ""  # where the counters are: `Sandbox.description`

    expected_by_rule: RuleOutcomes = field(default_factory=dict)  # the oracle's figures by rule
    by_rule: Report | None = None  # the counters by rule, when ctr_ingest counts by rule
    before_by_rule: dict[str, Totals] = field(default_factory=dict)  # by rule, before these calls

    def added(self, name: str) -> int:
        return self.report.overall[name] - self.before[name]

    def disagreements(self) -> list[str]:
        """Where the counters differ from what the simulator said of the calls; [] when they agree."""
        found = [
            f"{name}: counted {self.added(name)}, expected {amount}"
            for name, amount in self.expected.items()
            if self.added(name) != amount
        ]
        if self.by_rule is not None:
            counted = {row.value: row.totals for row in self.by_rule.rows}
            for rule in sorted(set(counted) | set(self.expected_by_rule)):
                expected = self.expected_by_rule.get(rule, {})
                for name in RULE_FIGURES:
                    before = self.before_by_rule[rule][name] if rule in self.before_by_rule else 0
                    got = (counted[rule][name] if rule in counted else 0) - before
                    if got != expected.get(name, 0):
                        found.append(f"rule {rule}, {name}: counted {got}, expected {expected.get(name, 0)}")
        failed = sum(d.records_failed for d in self.deliveries)
        if failed:
            found.append(f"{failed} record(s) failed to ingest")
        found += [
            f"{d.name}: {d.calls_counted} call(s) counted again"
            for d in self.deliveries
            if d.redelivery and d.calls_counted
        ]
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "records": self.records,
            "postCallUpdates": self.post_call_updates,
            "deliveries": [
                {
                    "name": d.name,
                    "records": d.records,
                    "events": d.events,
                    "callsCounted": d.calls_counted,
                    "callsUnchanged": d.calls_unchanged,
                    "recordsFailed": d.records_failed,
                }
                for d in self.deliveries
            ],
            "expected": self.expected,
            "before": self.before.as_dict(),
            "source": self.source,
            "expectedByRule": self.expected_by_rule,
            "disagreements": self.disagreements(),
            "report": self.report.to_dict(),
            "byRule": self.by_rule.to_dict() if self.by_rule is not None else None,
        }


@dataclass(frozen=True)
class Contact:
    caller: str | None  # the number; None when withheld or not a number
    start: datetime  # whole seconds, as the record's InitiationTimestamp
    rule: str
    contained: bool


def recontacted(contacts: Sequence[Contact], window: timedelta = RECONTACT_WINDOW) -> list[bool]:
    """For each contact, whether its caller started another call within `window` after its start."""
    by_caller: dict[str, list[tuple[datetime, int]]] = {}
    for index, contact in enumerate(contacts):
        if contact.caller is not None:
            by_caller.setdefault(contact.caller, []).append((contact.start, index))
    flags = [False] * len(contacts)
    for calls in by_caller.values():
        calls.sort()
        for position, (start, index) in enumerate(calls):
            later = next((other for other, _ in calls[position + 1 :] if other > start), None)
            flags[index] = later is not None and later - start <= window
    return flags


def rule_rates(figures: dict[str, int]) -> dict[str, float | None]:
    """A rule's (or the day's) shares of its contacts: contained, recontacted, resolved."""
    return {rate.key: rate.of(figures) for rate in RULE_RATES}


class CallRecords:
    """The calls' contact records and the counts the KPIs must show, gathered call by call.

    A long day adds each call as it ends and keeps only its records' stream form
    (`StreamedRecord`) and running counts, never the call's trace; the records come out of `rng`
    in the order the calls are added, as they would from the whole list at once.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.records: list[StreamedRecord] = []
        self.calls = 0
        self.updated = 0  # calls with a second, newer version of their record
        self.outcomes: Counter[str] = Counter()
        self.csat_count = self.csat_sum = 0
        self.ratings: Counter[int] = Counter()  # rating → calls, for the CSAT histogram
        self.days: set[date] = set()
        self.contacts: list[Contact] = []  # who called when, for the recontacts

    def add(self, call: PlacedForKpis) -> None:
        made = contact_records(call.result, started=call.started, rng=self.rng, caller=call.caller)
        self.records += [StreamedRecord.of(record) for record in made]
        self.calls += 1
        self.updated += len(made) > 1
        outcome = oracle_outcome(call.result)
        self.outcomes[OUTCOME_COUNTERS[outcome]] += 1
        start = call.started.replace(microsecond=0)  # Connect's timestamps are whole seconds
        number = call.caller if E164.fullmatch(call.caller) else None
        self.contacts.append(
            Contact(number, start, decision_rule(call.result) or NONE, outcome == kpi.CONTAINED)
        )
        if (value := rating(call.result)) is not None:
            self.csat_count += 1
            self.csat_sum += value
            self.ratings[value] += 1
        self.days.add(call.started.astimezone(CENTRE_ZONE).date())

    def expected(self) -> dict[str, int]:
        """counter → calls, from the test oracle (the simulator's outcomes, the callers and start
        times) and the ratings."""
        flags = recontacted(self.contacts)
        return {
            "contacts": self.calls,
            **{name: self.outcomes[name] for name in OUTCOME_NAMES},
            "csatCount": self.csat_count,
            "csatSum": self.csat_sum,
            **{name: self.ratings[rating] for rating, name in CSAT_HISTOGRAM.items()},
            "recontacted": sum(flags),
            "resolved": sum(c.contained and not again for c, again in zip(self.contacts, flags, strict=True)),
        }

    def by_rule(self) -> RuleOutcomes:
        """rule → RULE_FIGURES → calls, most calls first: the oracle's outcomes by deciding rule."""
        figures: dict[str, Counter[str]] = {}
        for contact, again in zip(self.contacts, recontacted(self.contacts), strict=True):
            counts = figures.setdefault(contact.rule, Counter())
            counts["contacts"] += 1
            counts["contained"] += contact.contained
            counts["recontacted"] += again
            counts["resolved"] += contact.contained and not again
        ranked = sorted(figures.items(), key=lambda item: (-item[1]["contacts"], item[0]))
        return {rule: {name: counts[name] for name in RULE_FIGURES} for rule, counts in ranked}

    def ingest_and_report(
        self, box: Sandbox, *, redeliver: bool = False, by: str = "route", by_rule: bool = False
    ) -> KpiRun:
        """The records through ctr_ingest in stream order (and again, shuffled, with `redeliver`);
        with `by_rule`, a second report by rule too, checked against the oracle's."""
        if not self.calls:
            raise ValueError("no calls to ingest")
        days = sorted(self.days)
        before = self._report(box, days, by).overall
        before_by_rule = (
            {row.value: row.totals for row in self._report(box, days, "rule").rows} if by_rule else {}
        )
        # Stream order: by last update, a later version after the first (a stable sort keeps ties).
        streamed = sorted(self.records, key=lambda r: r.last_update)
        deliveries = [_deliver(box, "as streamed", streamed, range(len(streamed)))]
        if redeliver:
            again = list(range(len(streamed)))  # the same records, same sequence numbers, in another order
            self.rng.shuffle(again)
            deliveries.append(_deliver(box, "redelivered, shuffled", streamed, again, redelivery=True))
        return self.kpi_run(box, deliveries, before, before_by_rule, by=by, by_rule=by_rule)

    def kpi_run(
        self,
        box: Sandbox,
        deliveries: Sequence[Delivery],
        before: Totals,
        before_by_rule: dict[str, Totals],
        *,
        by: str = "route",
        by_rule: bool = False,
    ) -> KpiRun:
        """The report after `deliveries`, with what the oracle expects of every call added so far."""
        days = sorted(self.days)
        return KpiRun(
            self.calls,
            len(self.records),
            self.updated,
            tuple(deliveries),
            self._report(box, days, by),
            self.expected(),
            before,
            f"{box.description}, {box.table_names[METRICS.env_var]}",
            self.by_rule(),
            self._report(box, days, "rule") if by_rule else None,
            before_by_rule,
        )

    def stream_new(self, box: Sandbox, name: str, since: int) -> Delivery:
        """The records from the `since`-th on, in stream order, through ctr_ingest: as the stream
        carries a day's calls before the next day's (sequence numbers go on from `since`)."""
        fresh = sorted(self.records[since:], key=lambda r: r.last_update)
        return _deliver(box, name, fresh, range(len(fresh)), first_index=since)

    @staticmethod
    def _report(box: Sandbox, days: list[date], by: str) -> Report:
        return build_report(
            box.client("dynamodb"),
            box.table_names[METRICS.env_var],
            days[0],
            days[-1],
            by,
            service_level_seconds=SERVICE_LEVEL_SECONDS,
        )


def ingest_and_report(
    box: Sandbox,
    calls: Sequence[PlacedForKpis],
    *,
    rng: random.Random,
    redeliver: bool = False,
    by: str = "route",
) -> KpiRun:
    """The calls' records through ctr_ingest (and again, shuffled, with `redeliver`); their report."""
    records = CallRecords(rng)
    for call in calls:
        records.add(call)
    return records.ingest_and_report(box, redeliver=redeliver, by=by)


def _deliver(
    box: Sandbox,
    name: str,
    streamed: Sequence[StreamedRecord],
    order: Sequence[int],
    *,
    redelivery: bool = False,
    first_index: int = 0,
) -> Delivery:
    """`streamed[i]` for each i of `order`, as the stream's (first_index + i)-th record, in events of
    KINESIS_BATCH."""
    records = events = counted = unchanged = failed = 0
    for start in range(0, len(order), KINESIS_BATCH):
        batch = order[start : start + KINESIS_BATCH]
        event = {"Records": [kinesis_record(first_index + index, streamed[index]) for index in batch]}
        outcome = batch_outcome(box.invoke("ctr_ingest", event), box.last.log_lines)
        counted += outcome.calls_counted
        unchanged += outcome.calls_unchanged
        failed += len(outcome.failed)
        records += len(batch)
        events += 1
    return Delivery(name, records, events, counted, unchanged, failed, redelivery)


def print_kpis(run: KpiRun, *, what: str) -> None:
    """The section both demos end with: records, deliveries, the report, and whether it agrees."""
    report = run.report
    span = str(report.start) if report.start == report.end else f"{report.start} to {report.end}"
    print("Contact records → ctr_ingest → KPIs")
    intro = (
        f"{what} as Connect would record them: {run.records} contact trace records "
        f"({run.post_call_updates} calls also have a newer, post-call version), streamed in Kinesis "
        f"events to the real ctr_ingest handler, then read back from the Metrics table's counters as "
        f"`tandem report` reads them, for {span} ({run.source or 'the sandbox'})."
    )
    print(textwrap.fill(intro, width=100) + "\n")
    rows = [
        [d.name, d.records, d.events, d.calls_counted, d.calls_unchanged, d.records_failed]
        for d in run.deliveries
    ]
    print(
        table(["delivery", "records", "events", "calls counted", "unchanged (dupes, older)", "failed"], rows)
    )
    print()
    if run.before["contacts"]:
        earlier = (
            f"The shared sandbox already held {run.before['contacts']:,} calls on these days (earlier "
            "runs): the report counts them too, and the check below is on what these calls added."
        )
        print(textwrap.fill(earlier, width=100) + "\n")
    print(kpi_tables(report))
    if run.by_rule is not None:
        print("\nBy rule: contained is not resolved when the caller rings back within the recontact window")
        print(rule_table([(row.value, row.totals.as_dict()) for row in run.by_rule.rows]))
    problems = run.disagreements()
    if problems:
        for problem in problems:
            print(f"!! the counters disagree with the calls: {problem}")
    else:
        e = run.expected
        again = " and the redelivery changed nothing" if any(d.redelivery for d in run.deliveries) else ""
        recontacts = (
            f", {e['recontacted']} recontacted within {_hours(RECONTACT_WINDOW)} h, {e['resolved']} resolved"
            if {"recontacted", "resolved"} <= set(COUNTERS)
            else ""
        )
        agreement = (
            f"The counters agree with the calls: {e['contacts']} contacts, {e['contained']} contained "
            f"(self-served, closed, or hung up in the IVR), {e['transferred']} to an agent, "
            f"{e['callbacks']} callbacks, {e['abandoned']} abandoned, {e['errors']} errors, "
            f"{e['csatCount']} ratings{recontacts}{again}."
        )
        print("\n" + textwrap.fill(agreement, width=100))


def rule_table(rows: Sequence[tuple[str, dict[str, int]]]) -> str:
    """Calls by rule: contained, recontacted and resolved, each with its share of the rule's calls."""

    def figure(count: int, share: float | None) -> str:
        return f"{count:,} ({share:.0%})" if share is not None else f"{count:,}"

    lines = []
    for rule, figures in rows:
        rates = rule_rates(figures)
        lines.append(
            [
                rule,
                f"{figures['contacts']:,}",
                figure(figures["contained"], rates[kpi.CONTAINMENT_RATE.key]),
                figure(figures["recontacted"], rates["recontactRate"]),
                figure(figures["resolved"], rates["resolutionRate"]),
            ]
        )
    return table(["rule", "calls", "contained", "recontacted", "resolved"], lines)


def _hours(window: timedelta) -> int:
    return round(window.total_seconds() / 3600)
