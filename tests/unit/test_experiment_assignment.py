"""Champion or challenger (lambdas/ivr_decision/assignment.py): a stable hash of the experiment and
the unit, the share honoured, the unit chosen as documented, and no experiment outside its time
or once stopped. Times are pinned; the keyed hash is the real one under a test secret."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from lambdas.ivr_decision.assignment import (
    CHALLENGER,
    CHAMPION,
    NOT_RUNNING,
    STOPPED,
    UNIT_KEY_UNAVAILABLE,
    Assignment,
    assign,
    bucket,
)
from lambdas.policy.experiment import EVERY_EXPERIMENT, Stop, parse_experiment
from lambdas.policy.experiment_spec import Experiment
from lambdas.shared.event import ContactEvent
from lambdas.shared.keyed_hash import CALLER, KeyedHasher
from tests.unit.ivr_support import CHALLENGER_REVISION, OPEN_WEEKDAY, contact_event, experiment_json

HASHER = KeyedHasher(b"test-only-keyed-hash-secret-0123456789abcdef")


def hash_caller(identity: str) -> str | None:
    return HASHER.digest(CALLER, identity)


def no_key(identity: str) -> str | None:
    return None


def experiment(**changes: object) -> Experiment:
    parsed = parse_experiment(experiment_json(**changes)).experiment
    assert parsed is not None
    return parsed


def event_for(contact: str, *, phone: str | None = "+12025550101", initial: str = "") -> ContactEvent:
    event = contact_event(address=phone)
    return event._replace(contact_id=contact, initial_contact_id=initial or contact)


def test_the_bucket_is_the_first_8_bytes_of_sha256_of_id_and_unit() -> None:
    digest = hashlib.sha256(b"deflect-2026-12:abc").digest()
    assert bucket("deflect-2026-12", "abc") == int.from_bytes(digest[:8], "big") / 2**64
    assert 0.0 <= bucket("x", "y") < 1.0


def test_every_block_of_a_call_gets_the_same_variant_retries_and_transfers_included() -> None:
    running = experiment(unit="contact")
    for n in range(200):
        call = f"call-{n:04d}"
        first = assign(running, None, OPEN_WEEKDAY, event_for(call), no_key)
        retry = assign(running, None, OPEN_WEEKDAY, event_for(call), no_key)
        # A transfer is a new contact id with the same initial contact id
        transfer = assign(
            running, None, OPEN_WEEKDAY + timedelta(minutes=5), event_for("t", initial=call), no_key
        )
        assert first == retry == transfer
        assert first.experiment_id == "deflect-2026-12"


def test_a_known_caller_keeps_the_variant_across_calls_with_unit_caller() -> None:
    running = experiment(unit="caller")
    variants = {
        assign(running, None, OPEN_WEEKDAY, event_for(f"call-{n}", phone="+12025550101"), hash_caller).variant
        for n in range(50)
    }
    assert len(variants) == 1


def test_with_unit_caller_the_unit_is_the_callers_keyed_hash_else_the_call() -> None:
    running = experiment(unit="caller")
    key = HASHER.digest(CALLER, "tel:+12025550101")
    expected = CHALLENGER if bucket(running.id, key) < running.share else CHAMPION
    assert assign(running, None, OPEN_WEEKDAY, event_for("c1"), hash_caller).variant == expected
    # A withheld caller is unknown: the call is the unit
    withheld = event_for("c2", phone="anonymous")
    by_call = CHALLENGER if bucket(running.id, "c2") < running.share else CHAMPION
    assert assign(running, None, OPEN_WEEKDAY, withheld, hash_caller).variant == by_call
    # A chat with a CRM customer id: the same key ctr_ingest counts recontacts by
    chat = event_for("c3", phone=None)._replace(attributes={"customerId": "C1001"})
    chat_key = HASHER.digest(CALLER, "crm:C1001")
    by_customer = CHALLENGER if bucket(running.id, chat_key) < running.share else CHAMPION
    assert assign(running, None, OPEN_WEEKDAY, chat, hash_caller).variant == by_customer


def test_with_unit_contact_the_callers_number_plays_no_part() -> None:
    running = experiment(unit="contact")
    same_caller = [assign(running, None, OPEN_WEEKDAY, event_for(f"c{n}"), hash_caller) for n in range(200)]
    for n, assignment in enumerate(same_caller):
        expected = CHALLENGER if bucket(running.id, f"c{n}") < running.share else CHAMPION
        assert assignment.variant == expected
    assert {a.variant for a in same_caller} == {CHAMPION, CHALLENGER}


@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
def test_the_share_of_challengers_over_10000_units_is_within_tolerance(share: float) -> None:
    running = experiment(unit="contact", share=share)
    challengers = sum(
        assign(running, None, OPEN_WEEKDAY, event_for(f"unit-{n:05d}"), no_key).variant == CHALLENGER
        for n in range(10_000)
    )
    # Binomial(10000, share): four standard deviations at most
    assert abs(challengers / 10_000 - share) <= 4 * (share * (1 - share) / 10_000) ** 0.5


def test_the_challenger_decides_with_its_own_rules() -> None:
    running = experiment(unit="contact", share=0.999999)
    assignment = assign(running, None, OPEN_WEEKDAY, event_for("c1"), no_key)
    assert assignment.variant == CHALLENGER
    assert assignment.challenger is not None and assignment.challenger.revision == CHALLENGER_REVISION


def test_before_start_after_end_and_once_stopped_everyone_gets_the_champion_in_no_experiment() -> None:
    running = experiment(unit="contact", share=0.999999)
    call = event_for("c1")
    champion_only = Assignment(CHAMPION, "")
    before = running.start - timedelta(seconds=1)
    assert assign(running, None, before, call, no_key) == champion_only._replace(left_out=NOT_RUNNING)
    assert assign(running, None, running.end, call, no_key) == champion_only._replace(left_out=NOT_RUNNING)
    assert assign(running, None, running.start, call, no_key).variant == CHALLENGER
    stop = Stop("deflect-2026-12", "2026-12-01T06:00:00+00:00", "abandonRate", "worse")
    assert assign(running, stop, OPEN_WEEKDAY, call, no_key) == champion_only._replace(left_out=STOPPED)
    unreadable = Stop(EVERY_EXPERIMENT, "", "", "the stop parameter is not JSON")
    assert assign(running, unreadable, OPEN_WEEKDAY, call, no_key).left_out == STOPPED
    # A stop of another experiment leaves this one running
    other = stop._replace(experiment_id="an-earlier-one")
    assert assign(running, other, OPEN_WEEKDAY, call, no_key).variant == CHALLENGER
    # No experiment at all: the champion, and nothing left out
    assert assign(None, None, OPEN_WEEKDAY, call, no_key) == champion_only


def test_a_known_caller_without_the_key_is_left_out_not_assigned_by_the_call() -> None:
    running = experiment(unit="caller", share=0.999999)
    assignment = assign(running, None, OPEN_WEEKDAY, event_for("c1"), no_key)
    assert assignment == Assignment(CHAMPION, "", None, UNIT_KEY_UNAVAILABLE)
    # An unknown caller needs no key: the call is the unit
    withheld = event_for("c2", phone="anonymous")
    assert assign(running, None, OPEN_WEEKDAY, withheld, no_key).variant == CHALLENGER
