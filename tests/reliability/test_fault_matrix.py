"""Every Connect-facing handler, each AWS dependency, each fault: a documented answer, in time.

Faults are injected for real inside botocore's send path (`tandem.local.faults`): throttling,
access denied and a 5xx answer as AWS would; "slow" holds the request well past the handler's
budget (a real sleep) before moto answers; "malformed" answers 200 with a body the SDK cannot
parse (the request itself is carried out: the service did the work, the reply is garbled). For
each case the handler must:

- answer with its documented fallback (below), a flat string map with a valid status, never raise;
- answer within its budget (plus a margin for the sandbox), whatever the dependency does;
- log one structured WARNING/ERROR line that names the error type, and emit the metric below;
- not lose what it acknowledged: when the answer says an item was recorded, the item is there.

| handler | dependency | documented fallback |
|---|---|---|
| crm_lookup | DynamoDB Query | DEGRADED, an unknown caller (CRM_UNAVAILABLE or TIMEOUT): the flow goes on |
| ivr_decision | SSM (the rules store, cold start) | DEGRADED (RULES_STORE_UNAVAILABLE), bundled rules |
| ivr_decision | DynamoDB PutItem (the interaction) | OK, the decision stands, not recorded |
| escalation | SSM (the policy store, cold start) | DEGRADED (POLICY_STORE_UNAVAILABLE), bundled policy |
| escalation | DynamoDB TransactWriteItems (handoff) | OK, queue and priority stand, no callback, unrecorded |
| escalation | Connect GetCurrentMetricData | OK, no wait estimate, no long-wait callback |
| survey | DynamoDB PutItem | DEGRADED, `recorded` false: the caller is thanked |

With the bundled documents the decision, the handoff and its record are the same as from the store;
the answer is DEGRADED so the gap is seen (the flows route on `route`/`offerCallback`, not `status`).

Cells beyond one dependency failing on a cold container, each in its own test below:

- a missing table (no table has the name: ResourceNotFoundException), for each Connect-facing
  handler and for `claimCallback`: the fallback above for that table (the claim: DEGRADED
  STORE_UNAVAILABLE, not pending, so the flow books the promised callback);
- a wrong or empty store path (the read succeeds, nothing under it): DEGRADED
  (RULES_/POLICY_STORE_INCOMPLETE) from the bundled documents, recorded, one STORE_DOCUMENT_MISSING line;
- SSM failing or slower than the budget on a *warm* refresh, each fault: OK from the last good set,
  the refresh costs at most REFRESH_BUDGET_MS, the call recorded, the callback offered and claimed
  (`claimCallback` never reads the store);
- the `claimCallback` write failing, each fault: DEGRADED STORE_UNAVAILABLE, not claimed, not pending;
  through the real flows, exactly one callback is created;
- Connect and DynamoDB slow at once (escalation): OK in budget, no estimate, unrecorded, no callback;
- ctr_ingest with BatchGetItem / TransactWriteItems denied, missing or garbled: records reported (or
  the invocation failed), and after redelivery every call counted exactly once;
- garbage in any setting a Connect-facing handler reads: DEGRADED (CONFIG), one line naming the
  variable, nothing read or written (tests/reliability/test_bad_configuration.py).

A garbled reply to a read (no Items, Parameters, MetricResults or Responses) is a failure, never an empty
answer. A garbled reply to a write the service carried out may be taken as success; then the item is
there, which is what the last check asks.

The HTTP CRM and Secrets Manager (crm_lookup's http adapter) are in
tests/integration/test_crm_lookup_http_mode.py, with a real local server that fails and sleeps.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from lambdas.shared.aws import ClientLimits
from tandem.local import Sandbox, sandbox
from tandem.local.faults import Fault
from tests.conftest import assert_flow_contract, load_event
from tests.integration.test_escalation_handler import (
    FULL,
    MONDAY_10_NY,
    OTHER_CONTACT,
    handoff_event,
    taking_it,
)
from tests.integration.test_survey_handler import survey_event

SLOW_SECONDS = 2.5  # longer than every budget below
MARGIN_SECONDS = 1.0  # the sandbox's own work around the handler (capture, moto) on a busy 2-core machine

FAULTS: dict[str, Callable[[str, str], Fault]] = {
    "throttling": lambda s, op: Fault(s, op, error_code="ThrottlingException", status=400),
    "access-denied": lambda s, op: Fault(s, op, error_code="AccessDeniedException", status=400),
    "5xx": lambda s, op: Fault(s, op, error_code="InternalServerError", status=500),
    "slow": lambda s, op: Fault(s, op, error_code=None, delay_seconds=SLOW_SECONDS),
    "malformed": lambda s, op: Fault(s, op, error_code=None, status=200, payload="{not json"),
}


@dataclass(frozen=True)
class Case:
    handler: str
    dependency: str
    service: str
    operation: str
    event: Callable[[Sandbox], dict[str, Any]]
    fallback: Callable[[dict[str, str]], None]  # asserts the documented fallback
    metrics: tuple[str, ...]  # one of these metric names is emitted
    budget_seconds: float
    writes: bool = False  # the dependency call is a write: a garbled reply may follow a done write


def crm_event(_: Sandbox) -> dict[str, Any]:
    return load_event("voice_known_gold.json")


def decision_event(_: Sandbox) -> dict[str, Any]:
    event = load_event("voice_known_gold.json")
    event["Details"]["Parameters"] = {"intent": "Returns", "intentConfidence": "1"}
    return event


def handoff(box: Sandbox) -> dict[str, Any]:
    return handoff_event(
        box, "+12025550104", route="AGENT", reasons="CANCELLATION", intent="CANCEL_ORDER", **FULL
    )


def handoff_without_metrics(box: Sandbox) -> dict[str, Any]:
    # The flow passed no queue metrics: escalation asks Connect for them
    return handoff_event(
        box, "+12025550104", route="AGENT", reasons="BILLING_DISPUTE", intent="BILLING_DISPUTE"
    )


def rating(_: Sandbox) -> dict[str, Any]:
    return survey_event("4")


def crm_degraded(r: dict[str, str]) -> None:
    assert r["status"] == "DEGRADED" and r["degradedReason"] in {"CRM_UNAVAILABLE", "TIMEOUT"}


def bundled_rules(r: dict[str, str]) -> None:
    assert (r["status"], r["route"], r["rulesSource"]) == ("DEGRADED", "SELF_SERVICE", "bundled")
    assert r["degradedReason"] == "RULES_STORE_UNAVAILABLE"


def decision_unrecorded(r: dict[str, str]) -> None:
    assert (r["status"], r["route"], r["interactionRecorded"]) == ("OK", "SELF_SERVICE", "false")


def bundled_policy(r: dict[str, str]) -> None:
    assert (r["status"], r["degradedReason"]) == ("DEGRADED", "POLICY_STORE_UNAVAILABLE")
    assert r["queue"] and r["queueArn"] and r["priority"]
    assert r["handoffRecorded"] == "true"  # the cold read's failure costs the handoff nothing


def handoff_unrecorded(r: dict[str, str]) -> None:
    assert (r["status"], r["handoffRecorded"], r["offerCallback"]) == ("OK", "false", "false")
    assert r["queue"] and r["queueArn"] and r["priority"]


def no_wait_estimate(r: dict[str, str]) -> None:
    assert (r["status"], r["estimatedWaitSeconds"], r["waitSource"]) == ("OK", "", "none")
    assert r["handoffRecorded"] == "true"  # a slow Connect leaves the write its share of the budget


def survey_degraded(r: dict[str, str]) -> None:
    assert (r["status"], r["recorded"]) == ("DEGRADED", "false")


CASES = (
    Case("crm_lookup", "dynamodb", "dynamodb", "Query", crm_event, crm_degraded, ("CrmDegraded",), 2.0),
    Case(
        "ivr_decision", "ssm", "ssm", "GetParametersByPath", decision_event, bundled_rules,
        ("RulesStoreFailures",), 1.5,
    ),
    Case(
        "ivr_decision", "dynamodb", "dynamodb", "PutItem", decision_event, decision_unrecorded,
        ("InteractionWriteFailures",), 1.5, writes=True,
    ),
    Case(
        "escalation", "ssm", "ssm", "GetParametersByPath", handoff, bundled_policy,
        ("PolicyStoreFailures",), 1.5,
    ),
    Case(
        "escalation", "dynamodb", "dynamodb", "TransactWriteItems", handoff, handoff_unrecorded,
        ("HandoffWriteFailures",), 1.5, writes=True,
    ),
    Case(
        "escalation", "connect", "connect", "GetCurrentMetricData", handoff_without_metrics, no_wait_estimate,
        ("QueueMetricsUnavailable",), 1.5,
    ),
    Case(
        "survey", "dynamodb", "dynamodb", "PutItem", rating, survey_degraded, ("SurveyWriteFailures",), 1.5,
        writes=True,
    ),
)  # fmt: skip


def metric_names(box: Sandbox) -> set[str]:
    names = set()
    for emitted in box.last.metrics:
        for directive in emitted.get("_aws", {}).get("CloudWatchMetrics", []):
            names |= {m["Name"] for m in directive.get("Metrics", [])}
    return names


def recorded_items(box: Sandbox) -> list[str]:
    items = box.client("dynamodb").scan(TableName=box.table_names["INTERACTIONS_TABLE"])["Items"]
    return [item["sk"]["S"] for item in items]


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("case", CASES, ids=[f"{c.handler}-{c.dependency}" for c in CASES])
def test_each_handler_answers_each_dependency_fault_with_its_fallback_in_time(case: Case, fault: str) -> None:
    with sandbox(attach=False) as box, box.clock(MONDAY_10_NY):
        event = case.event(box)  # built before the fault (it may call crm_lookup)
        before = set(recorded_items(box))
        box.cold_start(case.handler)  # the store read and the clients happen under the fault
        with box.fault(FAULTS[fault](case.service, case.operation)):
            started = time.perf_counter()
            response = box.invoke(case.handler, event)
            elapsed = time.perf_counter() - started
        # The documented fallback, in the flow's contract, within the budget
        assert_flow_contract(response)
        assert elapsed < case.budget_seconds + MARGIN_SECONDS, elapsed
        if not (fault == "malformed" and case.writes):
            case.fallback(response)
            # One structured warning or error naming what failed (its type, never its message), a metric
            complained = complaints(box)
            assert len(complained) == 1, complained
            assert complained[0].get("error_type") or complained[0].get("problem"), complained[0]
            assert set(case.metrics) & metric_names(box), metric_names(box)
        assert_acknowledged_items_written(box, response, before)


def complaints(box: Sandbox) -> list[dict[str, Any]]:
    return [line for line in box.last.log_lines if line.get("level") in ("WARNING", "ERROR")]


def assert_acknowledged_items_written(box: Sandbox, response: dict[str, str], before: set[str]) -> None:
    """Nothing acknowledged is lost: an answer that says "recorded" has its new item in the table."""
    written = set(recorded_items(box)) - before
    for flag, prefix in (
        ("interactionRecorded", "DECISION#"),
        ("handoffRecorded", "HANDOFF#"),
        ("recorded", "SURVEY#"),
        ("callbackClaimed", "CALLBACK_CLAIM"),
    ):
        if response.get(flag) == "true":
            assert any(sk.startswith(prefix) for sk in written), (flag, written, before)


@pytest.mark.parametrize(
    ("handler", "limits"),
    [
        ("crm_lookup", "DYNAMODB_LIMITS"),
        ("ivr_decision", "DYNAMODB_LIMITS"),
        ("ivr_decision", "STORE_LIMITS"),
        ("escalation", "DYNAMODB_LIMITS"),
        ("escalation", "CONNECT_LIMITS"),
        ("survey", "DYNAMODB_LIMITS"),
    ],
)
def test_configured_client_timeouts_fit_the_budget_which_fits_the_block(
    box: Sandbox, handler: str, limits: str
) -> None:
    """The budget is what cuts a slow dependency: one attempt must fit in it, and the budget in the
    function's timeout, itself under the flow block's limit. Read from what the handlers use."""
    import importlib

    from infra import constants
    from lambdas.documents import store  # the document store's limits (ivr_decision and escalation)

    module = importlib.import_module(f"lambdas.{handler}.handler")
    # Defined beside the clients they configure: the handler, escalation's deps, or the document store.
    owner = {("escalation", "DYNAMODB_LIMITS"): "deps", ("escalation", "CONNECT_LIMITS"): "deps"}
    configured: ClientLimits = getattr(module, limits, None) or (
        getattr(importlib.import_module(f"lambdas.{handler}.{owner[(handler, limits)]}"), limits)
        if (handler, limits) in owner
        else getattr(store, limits)
    )
    budget = module.CONTAINER.get().config.budget_ms / 1000  # the deployed default (the sandbox sets none)
    assert configured.connect_timeout + configured.read_timeout <= budget
    assert budget < constants.FUNCTION_TIMEOUT_SECONDS < constants.FLOW_BLOCK_TIME_LIMIT_SECONDS
    # Retries can outlast the budget; that is why run_within stops waiting there (the slow cases above)
    assert configured.worst_case_seconds() >= configured.connect_timeout + configured.read_timeout


@pytest.mark.parametrize("fault", list(FAULTS))
def test_crm_lookup_http_mode_answers_a_secrets_manager_fault_with_an_unknown_caller_in_time(
    fault: str,
) -> None:
    """The http adapter's token comes from Secrets Manager: when that fails, the REST CRM is never
    called with a missing token, and the flow still gets DEGRADED within the budget."""
    from tests.integration.crm_http_server import CrmHttpServer, ok
    from tests.integration.test_crm_lookup_http_mode import ANA, SECRET_NAME

    with CrmHttpServer() as crm:
        crm.always(ok(ANA))
        env = {"CRM_ADAPTER": "http", "CRM_HTTP_BASE_URL": crm.url, "CRM_HTTP_SECRET_ARN": SECRET_NAME}
        with sandbox(seed=False, env=env, attach=False) as box:
            box.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString='{"token": "t0ken"}')
            box.cold_start("crm_lookup")
            with box.fault(FAULTS[fault]("secrets-manager", "GetSecretValue")):
                started = time.perf_counter()
                response = box.invoke("crm_lookup", load_event("voice_known_gold.json"))
                elapsed = time.perf_counter() - started
        assert_flow_contract(response)
        crm_degraded(response)
        assert elapsed < 2.0 + MARGIN_SECONDS, elapsed
        assert crm.request_count == 0  # no request without a token
        complaints = [line for line in box.last.log_lines if line.get("level") in ("WARNING", "ERROR")]
        assert len(complaints) == 1, complaints
        assert "CrmDegraded" in metric_names(box)


# --- cells beyond one dependency failing on a cold container -----------------------------------------

MISSING_TABLE = "tandem-no-such-table"  # a name no table has: DynamoDB answers ResourceNotFoundException
BUDGET_SECONDS = 1.5  # DECISION_BUDGET_MS / ESCALATION_BUDGET_MS / SURVEY_BUDGET_MS defaults


def as_contact(event: dict[str, Any], contact_id: str) -> dict[str, Any]:
    """The same caller and parameters, as another contact (its own item keys)."""
    copy = json.loads(json.dumps(event))
    data = copy["Details"]["ContactData"]
    data["ContactId"] = data["InitialContactId"] = contact_id
    return copy


def claim_degraded(r: dict[str, str]) -> None:
    # Not "pending": the flow books the callback it promised (claim-callback → set-callback-number)
    assert (r["status"], r["callbackClaimed"], r["callbackPending"]) == ("DEGRADED", "false", "false")
    assert r["degradedReason"] == "STORE_UNAVAILABLE"


def taking_the_callback(box: Sandbox) -> dict[str, Any]:
    event = handoff(box)
    assert box.invoke("escalation", event)["offerCallback"] == "true"  # offered first, as in the flow
    return taking_it(event)


MISSING_TABLE_CASES = (
    ("crm_lookup", "CUSTOMERS_TABLE", crm_event, crm_degraded, "CrmDegraded"),
    ("ivr_decision", "INTERACTIONS_TABLE", decision_event, decision_unrecorded, "InteractionWriteFailures"),
    ("escalation", "INTERACTIONS_TABLE", handoff, handoff_unrecorded, "HandoffWriteFailures"),
    ("survey", "INTERACTIONS_TABLE", rating, survey_degraded, "SurveyWriteFailures"),
)


@pytest.mark.parametrize(
    ("handler", "variable", "event", "fallback", "metric"),
    MISSING_TABLE_CASES,
    ids=[case[0] for case in MISSING_TABLE_CASES],
)
def test_a_missing_table_answers_the_documented_fallback_in_time(
    handler: str,
    variable: str,
    event: Callable[[Sandbox], dict[str, Any]],
    fallback: Callable[[dict[str, str]], None],
    metric: str,
) -> None:
    with sandbox(attach=False, env={variable: MISSING_TABLE}) as box, box.clock(MONDAY_10_NY):
        built = event(box)
        box.cold_start(handler)
        started = time.perf_counter()
        response = box.invoke(handler, built)
        elapsed = time.perf_counter() - started
        assert_flow_contract(response)
        assert elapsed < BUDGET_SECONDS + MARGIN_SECONDS, elapsed
        fallback(response)
        complained = complaints(box)
        assert len(complained) == 1, complained
        assert complained[0].get("error_type") or complained[0].get("problem"), complained
        assert metric in metric_names(box)
        assert_acknowledged_items_written(box, response, set())


def test_a_missing_table_at_the_claim_still_books_the_promised_callback() -> None:
    with sandbox(attach=False) as box, box.clock(MONDAY_10_NY):
        claim = taking_the_callback(box)
        os.environ["INTERACTIONS_TABLE"] = MISSING_TABLE  # the sandbox restores the environment on exit
        box.cold_start("escalation")
        response = box.invoke("escalation", claim)
        claim_degraded(response)
        assert "CallbackClaimFailures" in metric_names(box)


@pytest.mark.parametrize("handler", ["ivr_decision", "escalation"])
def test_a_wrong_or_empty_store_path_serves_the_bundled_documents_and_says_so(handler: str) -> None:
    """A well-formed path nothing was pushed to reads as an empty store: not a failure to read, but
    every document is the bundled one; the answer says so, and the call is recorded as usual."""
    with (
        sandbox(attach=False, env={"IVR_CONFIG_PATH": "/tandem/nothing/here"}) as box,
        box.clock(MONDAY_10_NY),
    ):
        event = decision_event(box) if handler == "ivr_decision" else handoff(box)
        before = set(recorded_items(box))
        box.cold_start(handler)
        response = box.invoke(handler, event)
        prefix = "RULES" if handler == "ivr_decision" else "POLICY"
        assert (response["status"], response["degradedReason"]) == ("DEGRADED", f"{prefix}_STORE_INCOMPLETE")
        if handler == "ivr_decision":
            assert (response["route"], response["rulesSource"], response["interactionRecorded"]) == (
                "SELF_SERVICE",
                "bundled",
                "true",
            )
        else:
            assert (response["offerCallback"], response["handoffRecorded"]) == ("true", "true")
        complained = complaints(box)
        assert [line.get("problem") for line in complained] == ["STORE_DOCUMENT_MISSING"], complained
        assert {f"{prefix.title()}StoreMissing", f"{prefix.title()}StoreDegraded"} <= metric_names(box)
        assert_acknowledged_items_written(box, response, before)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_warm_refresh_that_fails_keeps_the_last_good_documents_and_loses_no_write(fault: str) -> None:
    """Refresh due on every call (max age 0): the store failing, or slower than the whole budget, costs
    a refresh its share (REFRESH_BUDGET_MS) at most; the last good set serves, the call is recorded,
    the callback offered and, when taken, claimed without waiting for the store."""
    with sandbox(attach=False, env={"IVR_RULES_MAX_AGE_SECONDS": "0"}) as box, box.clock(MONDAY_10_NY):
        decision, transfer = decision_event(box), handoff(box)
        assert box.invoke("ivr_decision", decision)["rulesSource"] == "store"  # warm, the store read
        assert box.invoke("escalation", transfer)["status"] == "OK"
        decision, transfer = as_contact(decision, OTHER_CONTACT), as_contact(transfer, OTHER_CONTACT)
        before = set(recorded_items(box))
        with box.fault(FAULTS[fault]("ssm", "GetParametersByPath")):
            for handler, event, prefix in (
                ("ivr_decision", decision, "Rules"),
                ("escalation", transfer, "Policy"),
            ):
                started = time.perf_counter()
                response = box.invoke(handler, event)
                elapsed = time.perf_counter() - started
                assert_flow_contract(response)
                assert elapsed < BUDGET_SECONDS + MARGIN_SECONDS, (handler, elapsed)
                assert response["status"] == "OK", response  # the last good set is the store's
                assert response.get("rulesSource", "store") == "store"
                recorded = response.get("interactionRecorded") or response.get("handoffRecorded")
                assert recorded == "true", response
                assert [line.get("error_type") for line in complaints(box)] != [], handler
                assert len(complaints(box)) == 1, complaints(box)
                assert f"{prefix}StoreFailures" in metric_names(box)
                assert_acknowledged_items_written(box, response, before)
            assert response["offerCallback"] == "true"
            claimed = box.invoke("escalation", taking_it(transfer))
        assert (claimed["status"], claimed["callbackClaimed"], claimed["callbackPending"]) == (
            "OK",
            "true",
            "false",
        )
        assert box.last.aws_calls == ["dynamodb.PutItem"]  # the claim never waits for the store
        assert_acknowledged_items_written(box, claimed, before)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_claim_that_cannot_be_written_answers_in_time_and_the_promised_callback_goes_ahead(
    fault: str,
) -> None:
    with sandbox(attach=False) as box, box.clock(MONDAY_10_NY):
        claim = taking_the_callback(box)
        before = set(recorded_items(box))
        with box.fault(FAULTS[fault]("dynamodb", "PutItem")):
            started = time.perf_counter()
            response = box.invoke("escalation", claim)
            elapsed = time.perf_counter() - started
        assert_flow_contract(response)
        assert elapsed < BUDGET_SECONDS + MARGIN_SECONDS, elapsed
        if response["callbackClaimed"] == "true":  # a garbled reply to a claim DynamoDB carried out
            assert fault == "malformed" and response["status"] == "OK"
        else:
            claim_degraded(response)
            assert len(complaints(box)) == 1 and "CallbackClaimFailures" in metric_names(box)
        assert_acknowledged_items_written(box, response, before)


def test_a_claim_that_cannot_be_written_books_exactly_one_callback_in_the_flow() -> None:
    """The real flows on the real handlers: the claim's DEGRADED answer is not "pending", so the
    caller who took the offer gets the callback (once), as the flow's claim branch promises."""
    from tandem.demo.scenarios import place_call, scenario

    with sandbox(attach=False) as box, box.fault(FAULTS["access-denied"]("dynamodb", "PutItem")):
        result = place_call(box, scenario("long-queue-callback"))
    claims = [c for c in result.lambda_calls if c.function == "escalation" and c.action == "claim-callback"]
    assert len(claims) == 1 and isinstance(claims[0].response, dict)
    claim_degraded(claims[0].response)
    assert result.outcome == "callback" and result.queue == "callback"
    assert [s.type for s in result.steps].count("CreateCallbackContact") == 1


def test_escalation_with_connect_and_dynamodb_slow_at_once_answers_in_time_and_claims_nothing() -> None:
    slow = FAULTS["slow"]
    with sandbox(attach=False) as box, box.clock(MONDAY_10_NY):
        event = handoff_without_metrics(box)
        # Warm (the cold read is not the point), by a handoff that passed its metrics: none cached
        box.invoke("escalation", as_contact(handoff(box), OTHER_CONTACT))
        before = set(recorded_items(box))
        every_dynamodb_call = Fault("dynamodb", None, error_code=None, delay_seconds=SLOW_SECONDS)
        with box.fault(slow("connect", "GetCurrentMetricData")), box.fault(every_dynamodb_call):
            started = time.perf_counter()
            response = box.invoke("escalation", event)
            elapsed = time.perf_counter() - started
        assert_flow_contract(response)
        assert elapsed < BUDGET_SECONDS + MARGIN_SECONDS, elapsed
        assert (response["status"], response["waitSource"], response["estimatedWaitSeconds"]) == (
            "OK",
            "none",
            "",
        )
        assert (response["handoffRecorded"], response["offerCallback"]) == ("false", "false")
        assert response["queue"] and response["queueArn"] and response["priority"]
        # One line per dependency that failed, each naming its problem; both counted
        assert len(complaints(box)) == 2, complaints(box)
        assert {"QueueMetricsUnavailable", "HandoffWriteFailures"} <= metric_names(box)
        assert_acknowledged_items_written(box, response, before)


# --- ctr_ingest: a DynamoDB fault, then Kinesis delivers the batch again ------------------------------

CTR_FAULTS: dict[str, Callable[[str, str], Fault]] = {
    # Throttling and 5xx are retried by the SDK, then reported the same way (test_ctr_ingest_handler.py)
    "access-denied": FAULTS["access-denied"],
    "missing-table": lambda s, op: Fault(s, op, error_code="ResourceNotFoundException", status=400),
    "malformed": FAULTS["malformed"],  # a TransactWriteItems DynamoDB carried out, its reply garbled
}
TWO_CALLS_COUNTED = {
    "contacts": 2,
    "contained": 1,
    "transferred": 1,
    "handled": 1,
    "handleSeconds": 200,
    "queued": 1,
    "queueWaitSeconds": 15,
    "answeredInThreshold": 1,
    "csatCount": 1,
    "csatSum": 4,
    "resolved": 1,  # the contained call: contained and not recontacted
}


@pytest.mark.parametrize("fault", list(CTR_FAULTS))
@pytest.mark.parametrize("operation", ["BatchGetItem", "TransactWriteItems"])
def test_ctr_ingest_under_a_dynamodb_fault_then_redelivery_counts_each_call_once(
    operation: str, fault: str
) -> None:
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from tests.integration.test_ctr_ingest_handler import (
        AGENT,
        AGENT_ATTRIBUTES,
        QUEUE,
        SELF_SERVED,
        call,
        counters,
        kinesis_event,
    )

    batch = kinesis_event(
        call(1, attributes=SELF_SERVED),
        call(3, queue=QUEUE, agent=AGENT, attributes=AGENT_ATTRIBUTES | {"csat": "4"}),
    )
    with sandbox(attach=False) as box:
        with box.fault(CTR_FAULTS[fault]("dynamodb", operation)):
            try:
                failures = box.invoke("ctr_ingest", batch)["batchItemFailures"]
            except BatchProcessingError:  # every record failed: the invocation fails, the batch comes again
                failures = [{"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in batch["Records"]]
        # A record not reported as failed is acknowledged: it must be counted already
        if not failures:
            assert counters(box) == TWO_CALLS_COUNTED
        # Kinesis delivers the batch again (from the first failed record: here, all of it)
        assert box.invoke("ctr_ingest", batch) == {"batchItemFailures": []}
        assert counters(box) == TWO_CALLS_COUNTED  # once, however the first delivery ended
