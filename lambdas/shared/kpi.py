"""Every contact-centre KPI, defined once: what a call counts as, the counters, and each rate.

Standard library only, so ctr_ingest (which writes the counters), `tandem report` and the demo
(which read them) and the dashboard (infra/constructs/monitoring.py builds its metric math from
`DASHBOARD_RATES`) all import the same definitions. docs/kpis.md explains them for readers.

A call's outcome is the first rule of `outcome` that matches; what each call adds to the
counters is `call_counters`; every rate is a `Rate`: a sum of counters over one counter, `None`
when the denominator is zero (nothing to divide by is not a 0 % rate). Rates are taken of totals
summed over a range, never averaged over days, which would weight a quiet day like a busy one.

Outcomes say what became of a call; two counters say whether that held. A call is `recontacted`
when the same caller started another inbound contact within the recontact window after it (72 h by
default; ctr_ingest decides, counting the earlier call again when the later one arrives), and
`resolved` when it was contained and not recontacted. Their rates, `RECONTACT_RATE` and
`RESOLUTION_RATE`, are of all contacts. The counters also keep what interval estimates need: a CSAT
histogram (`csat1`..`csat5`) and the sums of squares of handle time and queue wait.

Two measures are easy to confuse with containment, so they have names of their own:

- the **self-service rate** (`SELF_SERVICE_RATE`): calls the IVR answered (the flow marked them
  SELF_SERVED) over calls. Containment also counts calls that heard the closed message or hung
  up in the menu. The demo reports it from the simulator's outcomes; the Metrics table has no
  counter for it.
- the **decision shares** on the dashboard: IVR decisions to self-service, or to a person, over
  all decisions (ivr_decision's `Decisions` and `Route*` metrics). A decision is made before the
  caller is served, so it is not an outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

# Outcomes, in the order their rules apply.
CONTAINED, TRANSFERRED, ABANDONED, CALLBACK, ERROR = (
    "contained",
    "transferred",
    "abandoned",
    "callback",
    "error",
)
OUTCOMES = (CONTAINED, TRANSFERRED, ABANDONED, CALLBACK, ERROR)

RATINGS = (1, 2, 3, 4, 5)
CSAT_HISTOGRAM = {rating: f"csat{rating}" for rating in RATINGS}  # rating → its counter

# What each call adds to the counters of its day, for each dimension value it has.
COUNTERS = (
    "contacts",  # calls (initial contact ids), whatever became of them
    "contained",  # ended in the IVR: no queue, no agent, no external transfer, not an error
    "transferred",  # reached an agent or an external number
    "abandoned",  # queued, never reached an agent, no callback
    "callbacks",  # took a callback (tandemOutcome CALLBACK)
    "errors",  # the flow could not serve the call (NOT_CONNECTED, a telecom problem)
    "handled",  # calls with agent handle time (the AHT denominator)
    "handleSeconds",  # agent interaction + customer hold + after-contact work
    "queued",  # calls that entered a queue (the queue wait and service-level denominator)
    "queueWaitSeconds",  # time in queue
    "answeredInThreshold",  # queued calls an agent answered within the service-level threshold
    "csatCount",  # calls with a post-call rating
    "csatSum",  # sum of those ratings (1..5)
    *CSAT_HISTOGRAM.values(),  # csat1..csat5: calls rated 1, 2, 3, 4, 5 (for intervals of the average)
    "handleSecondsSquared",  # sum of each handled call's handleSeconds squared (its variance)
    "queueWaitSecondsSquared",  # sum of each queued call's queueWaitSeconds squared
    "recontacted",  # the caller started another inbound contact within the recontact window after it
    "resolved",  # contained and not recontacted
)
OUTCOME_COUNTERS = {
    CONTAINED: "contained",
    TRANSFERRED: "transferred",
    ABANDONED: "abandoned",
    CALLBACK: "callbacks",
    ERROR: "errors",
}


def outcome(
    *,
    callback: bool,
    to_person: bool,
    queued: bool,
    not_connected: bool,
    line_failed: bool,
    served_in_ivr: bool,
) -> str:
    """The call's outcome (one of `OUTCOMES`): the first rule that matches.

    callback: the caller took a callback (ahead of transferred: the agent who calls back connects,
    yet the caller chose the callback). transferred (`to_person`): an agent connected or the call
    went to an external number. abandoned: queued, and none of the above (AWS's own definition).
    error: the flow could not serve the call, or the line failed before the IVR had served the
    caller (`served_in_ivr`: it had answered them or told them the centre is closed).
    contained: anything else; the call ended in the IVR.
    """
    if callback:
        return CALLBACK
    if to_person:
        return TRANSFERRED
    if queued:
        return ABANDONED
    if not_connected or (line_failed and not served_in_ivr):
        return ERROR
    return CONTAINED


def handle_seconds(interaction: int | None, hold: int | None, acw: int | None) -> int:
    """Agent interaction + customer hold + after-contact work (Amazon Connect's AHT); missing is 0."""
    return (interaction or 0) + (hold or 0) + (acw or 0)


def queue_wait_seconds(duration: int | None, enqueued: datetime | None, dequeued: datetime | None) -> int:
    """Time in queue: Connect's duration, else dequeue - enqueue, else 0."""
    if duration is not None:
        return duration
    if enqueued and dequeued and dequeued >= enqueued:
        return round((dequeued - enqueued).total_seconds())
    return 0


def answered_in_threshold(*, queued: bool, answered: bool, wait_seconds: int, threshold_seconds: int) -> bool:
    """Queued, answered by an agent, and waited at most the threshold (equal counts)."""
    return queued and answered and wait_seconds <= threshold_seconds


def call_counters(
    *,
    outcome: str,
    handle_seconds: int | None,
    queue_wait_seconds: int | None,
    answered_in_threshold: bool,
    csat: int | None,
    recontacted: bool = False,
) -> dict[str, int]:
    """What one call adds to each counter, zero counters left out. `None`: not handled / not queued.

    `recontacted`: the caller started another inbound contact within the recontact window after
    this one (ctr_ingest decides; a call counted before that contact arrived is counted again with
    the flag). A contained call that was not recontacted is `resolved`.
    """
    counters = {
        "contacts": 1,
        OUTCOME_COUNTERS[outcome]: 1,
        "recontacted": int(recontacted),
        "resolved": int(outcome == CONTAINED and not recontacted),
    }
    if handle_seconds is not None:
        counters |= {
            "handled": 1,
            "handleSeconds": handle_seconds,
            "handleSecondsSquared": handle_seconds * handle_seconds,
        }
    if queue_wait_seconds is not None:
        counters |= {
            "queued": 1,
            "queueWaitSeconds": queue_wait_seconds,
            "queueWaitSecondsSquared": queue_wait_seconds * queue_wait_seconds,
            "answeredInThreshold": int(answered_in_threshold),
        }
    if csat is not None:
        if csat not in CSAT_HISTOGRAM:
            raise ValueError(f"csat must be one of {RATINGS}, got {csat}")
        counters |= {"csatCount": 1, "csatSum": csat, CSAT_HISTOGRAM[csat]: 1}
    return {name: amount for name, amount in counters.items() if amount}


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when nothing was there to divide by.

    Counts are whole numbers, except a replay's projected ones (tandem/replay/projection.py), which
    are expected values: a moved call adds its intent's observed share of a call to each count.
    """
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class Rate:
    """`key` (its JSON/CSV name) = sum of `numerator` counts / the `denominator` count."""

    key: str
    numerator: tuple[str, ...]
    denominator: str

    def of(self, counts: Mapping[str, float]) -> float | None:
        return ratio(sum(counts.get(name, 0) for name in self.numerator), counts.get(self.denominator, 0))


CONTAINMENT_RATE = Rate("containmentRate", ("contained",), "contacts")
TRANSFER_RATE = Rate("transferRate", ("transferred",), "contacts")
# Of queued calls: only a queued call can abandon (and it is Connect's ABANDONMENT_RATE).
ABANDON_RATE = Rate("abandonRate", ("abandoned",), "queued")
CALLBACK_RATE = Rate("callbackRate", ("callbacks",), "contacts")
ERROR_RATE = Rate("errorRate", ("errors",), "contacts")
AVERAGE_HANDLE_SECONDS = Rate("averageHandleSeconds", ("handleSeconds",), "handled")  # not per contact
AVERAGE_QUEUE_WAIT_SECONDS = Rate("averageQueueWaitSeconds", ("queueWaitSeconds",), "queued")  # abandoned too
SERVICE_LEVEL = Rate("serviceLevel", ("answeredInThreshold",), "queued")  # abandoned calls count against it
CSAT_AVERAGE = Rate("csatAverage", ("csatSum",), "csatCount")  # ratings 1..5
# Of all contacts: the caller started another inbound contact within the window after this one.
RECONTACT_RATE = Rate("recontactRate", ("recontacted",), "contacts")
# Contained and the caller did not come back: containment that held.
RESOLUTION_RATE = Rate("resolutionRate", ("resolved",), "contacts")
# Of rated calls: ratings of 1 or 2. An experiment's guardrail (lambdas/shared/experiment_stats.py);
# not a column of `tandem report`.
LOW_CSAT_SHARE = Rate("lowCsatShare", (CSAT_HISTOGRAM[1], CSAT_HISTOGRAM[2]), "csatCount")
# The KPIs of the Metrics table's counters, in report order.
RATES = (
    CONTAINMENT_RATE,
    TRANSFER_RATE,
    ABANDON_RATE,
    CALLBACK_RATE,
    ERROR_RATE,
    AVERAGE_HANDLE_SECONDS,
    AVERAGE_QUEUE_WAIT_SECONDS,
    SERVICE_LEVEL,
    CSAT_AVERAGE,
    RECONTACT_RATE,
    RESOLUTION_RATE,
)
KPI_NAMES = ("contacts", *(rate.key for rate in RATES), "csatResponses")
# The proportions an experiment judges (a primary metric or a guardrail: a difference of two rates);
# the means (handle time, queue wait, CSAT average) are reported, not judged.
JUDGED_RATES = (
    CONTAINMENT_RATE,
    TRANSFER_RATE,
    ABANDON_RATE,
    CALLBACK_RATE,
    ERROR_RATE,
    SERVICE_LEVEL,
    RECONTACT_RATE,
    RESOLUTION_RATE,
    LOW_CSAT_SHARE,
)

KpiValue = int | float | None


def kpis(counts: Mapping[str, int]) -> dict[str, KpiValue]:
    """Every KPI of summed counters, keyed by `KPI_NAMES`."""
    return {
        "contacts": counts.get("contacts", 0),
        **{rate.key: rate.of(counts) for rate in RATES},
        "csatResponses": counts.get("csatCount", 0),
    }


# Not of Metrics counters: the demo counts these from what the flow did with each call.
SELF_SERVICE_RATE = Rate("selfServiceRate", ("selfServed",), "contacts")
SURVEY_RESPONSE_RATE = Rate("responseRate", ("csatCount",), "surveysOffered")  # callers asked to rate
# Calls handed to a person (their route at the end of the call is AGENT or CALLBACK, as ctr_ingest
# counts `route`) over calls: what a replay projects agent demand from (tandem/replay/projection.py).
TO_PERSON_RATE = Rate("toPersonRate", ("toPerson",), "contacts")

# The dashboard's rates, of ivr_decision's EMF metrics (one `Decisions` per decision, and one
# `Route<Route>` per route: RouteSelfService, RouteAgent, RouteCallback, RouteClosed).
SELF_SERVICE_DECISIONS = Rate("selfServiceDecisionShare", ("RouteSelfService",), "Decisions")
TO_PERSON_DECISIONS = Rate("toPersonDecisionShare", ("RouteAgent", "RouteCallback"), "Decisions")
DASHBOARD_RATES = (SELF_SERVICE_DECISIONS, TO_PERSON_DECISIONS)
# Of ctr_ingest's EMF metrics, the net change it applied per batch to the `all` counters `contacts`,
# `recontacted` and `resolved`. Over a dashboard period they approximate the report's rates: a
# recontact is found up to the window after its call was counted, so it lands in a later period.
RECONTACTS_ADDED_SHARE = Rate("recontactsAddedShare", ("RecontactsAdded",), "ContactsAdded")
RESOLVED_ADDED_SHARE = Rate("resolvedAddedShare", ("ResolvedAdded",), "ContactsAdded")
INGEST_DASHBOARD_RATES = (RECONTACTS_ADDED_SHARE, RESOLVED_ADDED_SHARE)
