"""Turn whatever Connect says about the caller into one E.164 number, or say why not.

Voice contacts normally carry E.164 already, but numbers also arrive from DTMF input, transfers
and CRMs in national formats with spaces and punctuation; withheld callers arrive as words or as
carrier sentinels; chat, task and email contacts have no phone number at all.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from lambdas.shared.caller_number import WITHHELD_SENTINELS, WITHHELD_WORDS


class CallerKind(StrEnum):
    PHONE = "PHONE"  # a usable E.164 number
    WITHHELD = "WITHHELD"  # anonymous, restricted, private or empty
    NON_PHONE = "NON_PHONE"  # chat, task, email: the endpoint is not a phone number
    INVALID = "INVALID"  # something that should be a number but is not


@dataclass(frozen=True)
class Caller:
    kind: CallerKind
    e164: str = ""
    country: str = ""  # ISO region code of the number, safe to log

    @property
    def lookup_possible(self) -> bool:
        return self.kind is CallerKind.PHONE


NON_PHONE_TYPES = frozenset({"EMAIL_ADDRESS", "EMAIL", "CONTACT_FLOW", "CONNECT_PHONENUMBER_ARN"})
PHONE_CHARS = re.compile(r"[\d+()\-.\s/]+")
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def normalise_caller(
    address: str,
    *,
    endpoint_type: str = "TELEPHONE_NUMBER",
    channel: str = "VOICE",
    default_country: str = "US",
    dialled_number: str = "",
) -> Caller:
    """Classify and normalise the caller's address.

    National formats are read in the country of the number the caller dialled when that is
    known (a UK line hears UK national numbers), else in `default_country`.
    """
    text = (address or "").strip()
    if not text and channel.upper() not in ("VOICE", ""):
        return Caller(CallerKind.NON_PHONE)  # chat, task and email contacts have no number
    if text.lower().strip("<>\"' ") in WITHHELD_WORDS:
        return Caller(CallerKind.WITHHELD)
    if endpoint_type.upper() in NON_PHONE_TYPES or "@" in text:
        return Caller(CallerKind.NON_PHONE)
    if not PHONE_CHARS.fullmatch(text):
        # Chat and task endpoints carry participant ids, not numbers.
        return Caller(CallerKind.NON_PHONE if channel.upper() != "VOICE" else CallerKind.INVALID)
    if text.startswith("00"):
        text = "+" + text[2:]  # international dialling prefix used across Europe and Asia
    if text.startswith("+") and "+" + "".join(c for c in text if c.isdigit()) in WITHHELD_SENTINELS:
        return Caller(CallerKind.WITHHELD)
    region = _region_of(dialled_number) or _valid_country(default_country)
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return Caller(CallerKind.INVALID)
    if not phonenumbers.is_possible_number(number):
        return Caller(CallerKind.INVALID)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if e164 in WITHHELD_SENTINELS:
        return Caller(CallerKind.WITHHELD)
    return Caller(CallerKind.PHONE, e164=e164, country=_country_of(number))


def _country_of(number: phonenumbers.PhoneNumber) -> str:
    """The number's country; for ranges not assigned to a line (test and drama numbers), the
    main country of its calling code."""
    region = phonenumbers.region_code_for_number(number)
    if not region and number.country_code:
        region = phonenumbers.region_code_for_country_code(number.country_code)
    return "" if region in (None, "ZZ", "001") else str(region)


# The number dialled is one of the contact centre's own few: read each once per container, not
# on every call (parsing and placing it is about a third of a lookup's own work).
@functools.lru_cache(maxsize=64)
def _region_of(number: str) -> str:
    if not number.startswith("+"):
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return ""
    return _country_of(parsed)


def _valid_country(code: str) -> str | None:
    code = (code or "").strip().upper()
    return code if COUNTRY_CODE.fullmatch(code) else None
