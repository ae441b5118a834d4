"""What a caller's number looks like when it identifies someone, shared by the functions that read one.

Carriers deliver a withheld caller as a word or as a keypad spelling of one in E.164 form; either
way the "number" is the same for every withheld caller, so it must never identify anyone.
"""

from __future__ import annotations

import re

WITHHELD_WORDS = frozenset(
    {"", "anonymous", "restricted", "private", "withheld", "unavailable", "unknown", "blocked", "none"}
)
# Keypad spellings some carriers deliver instead of a number (ANONYMOUS, RESTRICTED, BLOCKED,
# UNKNOWN), seen on SIP trunks and CPaaS providers that feed Connect.
WITHHELD_SENTINELS = frozenset({"+266696687", "+7378742833", "+2562533", "+86282452253", "+8656696"})
# E.164: a plus, a country code that does not start with 0, at most 15 digits in all. Seven is the
# shortest number in service anywhere (country code included).
E164 = re.compile(r"\+[1-9]\d{6,14}", re.ASCII)
PHONE_ENDPOINT = "TELEPHONE_NUMBER"
NUMBER_IDENTITY = "tel:"  # a caller identity made of a number (the other kind: `crm:<customer id>`)
# A CRM customer id as the flows pass it: id-like text, never free text.
CUSTOMER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}")


def identifying_e164(address: str) -> bool:
    """Whether `address` is an E.164 number that is one caller's (not a withheld sentinel)."""
    return bool(E164.fullmatch(address)) and address not in WITHHELD_SENTINELS


def caller_identity(endpoint_type: object, address: object, customer_id: str) -> str | None:
    """What a caller's keyed hash (purpose `caller`) is made of: `tel:<E.164>` for a phone
    endpoint with an identifying number, `crm:<customer id>` for a contact with no phone endpoint
    (chat); None when nothing identifies the caller (withheld, malformed), so such callers never
    match one another. ctr_ingest's recontact key and ivr_decision's experiment unit share it."""
    if endpoint_type == PHONE_ENDPOINT:
        return (
            f"{NUMBER_IDENTITY}{address}" if isinstance(address, str) and identifying_e164(address) else None
        )
    return f"crm:{customer_id}" if CUSTOMER_ID.fullmatch(customer_id) else None
