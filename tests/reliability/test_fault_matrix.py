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
| ivr_decision | SSM (the rules store, cold start) | OK from the bundled rules (`rulesSource` bundled) |
| ivr_decision | DynamoDB PutItem (the interaction) | OK, the decision stands, not recorded |
| escalation | SSM (the policy store, cold start) | OK from the bundled policy |
| escalation | DynamoDB TransactWriteItems (handoff) | OK, queue and priority stand, no callback, unrecorded |
| escalation | Connect GetCurrentMetricData | OK, no wait estimate, no long-wait callback |
| survey | DynamoDB PutItem | DEGRADED, `recorded` false: the caller is thanked |

A garbled reply to a read (no Items, no Parameters, no MetricResults) is a failure, never an empty
answer. A garbled reply to a write the service carried out may be taken as success; then the item is
there, which is what the last check asks.

The HTTP CRM and Secrets Manager (crm_lookup's http adapter) are in
tests/integration/test_crm_lookup_http_mode.py, with a real local server that fails and sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from lambdas.shared.aws import ClientLimits
from tandem.local import Sandbox, sandbox
from tandem.local.faults import Fault
from tests.conftest import assert_flow_contract, load_event
from tests.integration.test_escalation_handler import FULL, MONDAY_10_NY, handoff_event
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
            complaints = [line for line in box.last.log_lines if line.get("level") in ("WARNING", "ERROR")]
            assert len(complaints) == 1, complaints
            assert complaints[0].get("error_type") or complaints[0].get("problem"), complaints[0]
            assert set(case.metrics) & metric_names(box), metric_names(box)
        # Nothing acknowledged is lost: an answer that says "recorded" has its item in the table
        written = set(recorded_items(box)) - before
        for flag, prefix in (
            ("interactionRecorded", "DECISION#"),
            ("handoffRecorded", "HANDOFF#"),
            ("recorded", "SURVEY#"),
        ):
            if response.get(flag) == "true":
                assert any(sk.startswith(prefix) for sk in written), (flag, written, before, elapsed)


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

    module = importlib.import_module(f"lambdas.{handler}.handler")
    configured: ClientLimits = getattr(module, limits, None) or getattr(
        importlib.import_module(f"lambdas.{handler}.store"), limits
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
