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


def identifying_e164(address: str) -> bool:
    """Whether `address` is an E.164 number that is one caller's (not a withheld sentinel)."""
    return bool(E164.fullmatch(address)) and address not in WITHHELD_SENTINELS
