"""Did the caller ask for a person? Phrase matching over what they said, in English and Vietnamese.

Callers say "agent", "representative", "a real person"; in Vietnamese "gặp nhân viên", "tổng đài
viên" — often typed without diacritics in chat ("gap nhan vien"), so matching runs on text folded
to plain ASCII. A negation just before the phrase ("I don't need an agent", "không cần nhân
viên") is not a request. The transcript is personal data: it is only read here, never logged or
stored.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TRANSCRIPT_CHARS = 2000

_ENGLISH = (
    r"agents?",
    r"representatives?",
    r"operator",
    r"customer services?",
    r"(real|live|actual) (person|human|agent|people)",
    r"(a |an )?human( being)?",
    r"(talk|speak|chat) (to|with) (someone|somebody|anyone|anybody|a person|people|a manager|support"
    r"|customer services?)",
    r"(get|want|need) (a |an )?(person|human)",
)
_VIETNAMESE = (  # folded: no diacritics, đ → d
    r"nhan vien(?! giao)",  # staff / agent; "nhân viên giao hàng" is the delivery driver
    r"tong dai vien",  # operator
    r"tu van vien",  # consultant
    r"nguoi that",  # a real person
    r"gap nguoi",  # meet a person
    r"noi chuyen voi nguoi",  # talk with a person
    r"cham soc khach hang",  # customer care
)
# Matched against the words just before a request phrase: "I don't want (to talk to) [an] agent".
_NEGATIONS = (
    r"(don'?t|do not|doesn'?t|does not|no need to|never)( (want|need|wish|have))?( to)?"
    r"( (talk|speak|chat) (to|with))?( an?| the| any)?",
    r"no( need for)?( an?)?",
    r"without( an?)?",
    r"khong (can|muon)( gap| noi chuyen voi)?",  # không cần / không muốn (gặp): no need / do not want
)
_REQUEST = re.compile(r"\b(" + "|".join(_ENGLISH + _VIETNAMESE) + r")\b")
_NEGATED = re.compile(r"\b(" + "|".join(_NEGATIONS) + r")\s*$")


def fold(text: str) -> str:
    """Lower-case ASCII: "Gặp Nhân Viên" → "gap nhan vien"; apostrophes kept, other marks spaced."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    plain = plain.replace("\u2019", "'")
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", plain).split())


def asks_for_person(transcript: str) -> bool:
    text = fold(transcript[:MAX_TRANSCRIPT_CHARS])
    return any(not _NEGATED.search(text[: match.start()]) for match in _REQUEST.finditer(text))
