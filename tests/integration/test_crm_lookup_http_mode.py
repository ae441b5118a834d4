"""The real crm_lookup handler in HTTP mode: sandbox (moto Secrets Manager) + a real local CRM server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tandem.local import Sandbox, sandbox
from tests.conftest import assert_flow_contract, load_event
from tests.integration.crm_http_server import CrmHttpServer, ok, status

SECRET_NAME = "tandem/crm-token"
ANA = {
    "customerId": "EXT-77",
    "firstName": "Ana",
    "tier": "gold",
    "language": "en-US",
    "latestOrder": {"id": "9001", "status": "shipped"},
    "openComplaints": 0,
    "recentContacts": [],
}


@pytest.fixture
def crm() -> Iterator[CrmHttpServer]:
    with CrmHttpServer() as server:
        yield server


@pytest.fixture
def http_box(crm: CrmHttpServer) -> Iterator[Sandbox]:
    env = {"CRM_ADAPTER": "http", "CRM_HTTP_BASE_URL": crm.url, "CRM_HTTP_SECRET_ARN": SECRET_NAME}
    with sandbox(seed=False, env=env) as box:
        box.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString='{"token": "s3cr3t-token"}')
        yield box


def test_a_caller_is_found_in_the_http_crm_with_the_secret_as_bearer_token(
    http_box: Sandbox, crm: CrmHttpServer
) -> None:
    # Given a REST CRM that knows the caller
    crm.always(ok(ANA))
    # When the flow looks the caller up twice
    first = http_box.invoke("crm_lookup", load_event("voice_known_gold.json"))
    first_calls = http_box.last.aws_calls
    second = http_box.invoke("crm_lookup", load_event("voice_known_gold.json"))
    # Then the customer comes from the HTTP CRM once, then from the warm cache
    assert_flow_contract(first)
    assert (first["status"], first["customerId"], first["crmSource"]) == ("OK", "EXT-77", "http")
    assert first["latestOrderStatus"] == "SHIPPED"
    assert second["crmSource"] == "cache"
    assert first_calls == ["secrets-manager.GetSecretValue"]
    assert crm.request_count == 1
    request = crm.requests[0]
    assert request.headers.get("authorization") == "Bearer s3cr3t-token"  # recorded lower-cased
    assert request.query == {"phone": ["+12025550101"]}


def test_a_failing_http_crm_answers_degraded(http_box: Sandbox, crm: CrmHttpServer) -> None:
    crm.always(status(503))
    response = http_box.invoke("crm_lookup", load_event("voice_known_gold.json"))
    assert_flow_contract(response)
    assert response["status"] == "DEGRADED"
    assert response["degradedReason"] == "CRM_UNAVAILABLE"


def test_an_unknown_caller_is_not_found(http_box: Sandbox, crm: CrmHttpServer) -> None:
    crm.always(status(404))
    assert http_box.invoke("crm_lookup", load_event("voice_unknown.json"))["status"] == "NOT_FOUND"
