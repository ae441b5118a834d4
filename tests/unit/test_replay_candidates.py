"""The example candidates validate, say what they change, and a stored context decides as it did.

Pure: the stored item is built by ivr_decision's own `interaction_item` and typed by the writer's
`to_dynamodb`, then read back by replay's reader; no sandbox, no clock but the pinned ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambdas.documents.registry import DEFAULTS_DIR, parse_file
from lambdas.ivr_decision.decide import decide
from lambdas.ivr_decision.interaction_store import interaction_item
from lambdas.ivr_decision.signals import build_context
from lambdas.policy.rules import RuleSet
from lambdas.shared.dynamodb_item import to_dynamodb
from tandem.cli import main
from tandem.replay.contexts import ItemProblem, stored_decision
from tests.unit.ivr_support import OPEN_WEEKDAY, SATURDAY_EVENING, ZONE, contact_event, defaults

CANDIDATES = Path(__file__).resolve().parents[2] / "examples" / "candidates"


def rule_ids(path: Path) -> list[str]:
    rules = parse_file(path, "rules").value
    assert isinstance(rules, RuleSet)
    return [rule.id for rule in rules.rules]


@pytest.mark.parametrize("path", sorted(CANDIDATES.glob("*.json")), ids=lambda p: p.name)
def test_every_candidate_validates(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "validate", str(path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["valid"] is True


def test_the_candidates_change_what_their_names_say() -> None:
    assert {p.name for p in CANDIDATES.glob("*.json")} >= {
        "deflect-order-status.json",
        "no-self-service.json",
    }
    shipped = rule_ids(DEFAULTS_DIR / "rules.json")
    no_self_service = json.loads((CANDIDATES / "no-self-service.json").read_text(encoding="utf-8"))
    assert {r["action"]["route"] for r in no_self_service["rules"]} == {"AGENT", "CALLBACK", "CLOSED"}
    assert rule_ids(CANDIDATES / "no-self-service.json") == [
        r for r in shipped if r != "routine-self-service"
    ]
    deflect = rule_ids(CANDIDATES / "deflect-order-status.json")
    assert deflect == [shipped[0], "order-status-deflect", *shipped[1:]]


@pytest.mark.parametrize(
    ("parameters", "attributes", "moment"),
    [
        ({"intent": "CheckOrderStatus", "intentConfidence": "0.9"}, {"customerFound": "true"}, OPEN_WEEKDAY),
        (
            {"intent": "Complaint", "intentConfidence": "0.7", "sentiment": "negative"},
            {"tier": "vip", "agentsAvailable": "0", "contactsInQueue": "7", "latestOrderId": "9"},
            OPEN_WEEKDAY,
        ),
        ({"menuChoice": "1", "failedAttempts": "2"}, {"latestOrderStatus": "LOST"}, SATURDAY_EVENING),
    ],
)
def test_a_stored_context_decides_again_exactly_as_it_did(
    parameters: dict[str, str], attributes: dict[str, str], moment: object
) -> None:
    documents = defaults()
    event = contact_event(parameters, attributes=attributes)
    context = build_context(event, documents.rules, documents.calendar, moment, ZONE)  # type: ignore[arg-type]
    decision = decide(context, documents)
    item = interaction_item(event, context, decision, documents, now=moment, ttl_days=90)  # type: ignore[arg-type]
    stored = stored_decision(to_dynamodb(item))
    assert stored.context.facts == context.facts  # unknown queue figures are unknown again
    assert (stored.route, stored.rule_id, stored.queue) == (
        decision.route.value,
        decision.rule_id,
        decision.queue,
    )
    assert decide(stored.context, documents) == decision


def test_an_item_without_its_facts_is_refused_by_name() -> None:
    documents = defaults()
    event = contact_event({"intent": "Returns", "intentConfidence": "0.9"})
    context = build_context(event, documents.rules, documents.calendar, OPEN_WEEKDAY, ZONE)
    item = interaction_item(
        event, context, decide(context, documents), documents, now=OPEN_WEEKDAY, ttl_days=9
    )
    item["context"] = {**item["context"], "tier": "platinum"}
    with pytest.raises(ItemProblem, match="context fact tier has a value outside its enumeration"):
        stored_decision(to_dynamodb(item))
    item["context"] = {**item["context"], "tier": "gold", "confidence": "high"}
    with pytest.raises(ItemProblem, match="context fact confidence is not a number"):
        stored_decision(to_dynamodb(item))
    with pytest.raises(ItemProblem, match="not a DynamoDB item"):
        stored_decision({"pk": {"Q": "?"}})
