"""Caller numbers → E.164, withheld and non-phone callers recognised."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambdas.crm_lookup.normalize import CallerKind, normalise_caller


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+12025550143", "+12025550143"),
        ("(202) 555-0143", "+12025550143"),
        ("202.555.0143", "+12025550143"),
        ("202 555 0143", "+12025550143"),
        ("1-202-555-0143", "+12025550143"),
        ("+1 (202) 555-0143", "+12025550143"),
        ("0012025550143", "+12025550143"),
        ("  +44 7700 900123 ", "+447700900123"),
    ],
)
def test_us_default_and_international_formats_become_e164(raw: str, expected: str) -> None:
    # Given a number as people and systems write it, When normalised with the US default
    caller = normalise_caller(raw, default_country="US")
    # Then it is one E.164 number
    assert caller.kind is CallerKind.PHONE
    assert caller.e164 == expected


def test_national_format_is_read_in_the_country_of_the_dialled_line() -> None:
    # Given a UK national number on a call to a UK line, while the default country is the US
    caller = normalise_caller("07700 900123", default_country="US", dialled_number="+442079460000")
    # Then it is read as a UK number
    assert caller.e164 == "+447700900123"
    assert caller.country == "GB"


def test_default_country_applies_when_the_dialled_line_is_unknown() -> None:
    caller = normalise_caller("0912 345 678", default_country="VN")
    assert caller.e164 == "+84912345678"
    assert caller.country == "VN"


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "anonymous", "Anonymous", "RESTRICTED", "private", "Unavailable", "<unknown>", "+266696687"],
)
def test_withheld_numbers_are_unknown_callers(raw: str) -> None:
    caller = normalise_caller(raw)
    assert caller.kind is CallerKind.WITHHELD
    assert caller.e164 == ""
    assert not caller.lookup_possible


@pytest.mark.parametrize(
    ("raw", "endpoint_type", "channel"),
    [
        ("ana@example.com", "EMAIL_ADDRESS", "EMAIL"),
        ("someone@example.com", "TELEPHONE_NUMBER", "VOICE"),
        ("3f1e7c2a-participant", "CONNECT_CHAT", "CHAT"),
        ("task-1234", "", "TASK"),
    ],
)
def test_non_phone_endpoints_skip_the_phone_lookup(raw: str, endpoint_type: str, channel: str) -> None:
    caller = normalise_caller(raw, endpoint_type=endpoint_type, channel=channel)
    assert caller.kind is CallerKind.NON_PHONE
    assert not caller.lookup_possible


@pytest.mark.parametrize("raw", ["12", "abc", "+1", "555", "++--", "0"])
def test_garbage_on_a_voice_call_is_invalid_not_an_exception(raw: str) -> None:
    caller = normalise_caller(raw, default_country="US")
    assert caller.kind is CallerKind.INVALID
    assert caller.e164 == ""


def test_a_bad_default_country_falls_back_to_international_only() -> None:
    assert normalise_caller("+12025550143", default_country="??").e164 == "+12025550143"
    assert normalise_caller("202 555 0143", default_country="??").kind is CallerKind.INVALID


@given(
    st.text(max_size=40),
    st.sampled_from(["TELEPHONE_NUMBER", "EMAIL_ADDRESS", "", "X"]),
    st.sampled_from(["VOICE", "CHAT", "TASK", "EMAIL", ""]),
    st.text(max_size=16),
)
def test_normalisation_never_raises_and_numbers_are_e164(
    raw: str, kind: str, channel: str, dialled: str
) -> None:
    caller = normalise_caller(raw, endpoint_type=kind, channel=channel, dialled_number=dialled)
    if caller.kind is CallerKind.PHONE:
        assert caller.e164.startswith("+")
        assert caller.e164[1:].isdigit()
    else:
        assert caller.e164 == ""


def test_an_empty_address_is_withheld_on_voice_and_non_phone_elsewhere() -> None:
    assert normalise_caller("", channel="VOICE").kind is CallerKind.WITHHELD
    assert normalise_caller("", channel="CHAT").kind is CallerKind.NON_PHONE
    assert normalise_caller("", channel="TASK").kind is CallerKind.NON_PHONE
