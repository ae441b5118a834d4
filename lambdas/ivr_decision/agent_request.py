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
    r"(a |an )?operator",
    r"(a |an )?(real |live |actual )?(person|human|human being)",
    r"(talk|speak|chat) (to|with) (someone|somebody|anyone|a person|a human|customer service|support)",
    r"customer service",
    r"(real|live) (agent|person)",
)
_VIETNAMESE = (  # folded: no diacritics, đ → d
    r"nhan vien",  # staff / agent
    r"tong dai vien",  # operator
    r"tu van vien",  # consultant
    r"nguoi that",  # a real person
    r"gap nguoi",  # meet a person
    r"noi chuyen voi nguoi",  # talk with a person
    r"cham soc khach hang",  # customer care
)
_NEGATIONS = (
    r"don'?t (want|need)( to (talk|speak) (to|with))?( an?)?",
    r"do not (want|need)( to (talk|speak) (to|with))?( an?)?",
    r"no( need for)?( an?)?",
    r"without( an?)?",
    r"khong can( gap)?",  # không cần (gặp): no need (to see)
    r"khong muon( gap)?",  # không muốn (gặp): do not want (to see)
)
_REQUEST = re.compile(r"\b(" + "|".join(_ENGLISH + _VIETNAMESE) + r")\b")
_NEGATED = re.compile(r"\b(" + "|".join(_NEGATIONS) + r")\s+$")


def fold(text: str) -> str:
    """Lower-case ASCII: "Gặp Nhân Viên" → "gap nhan vien"; apostrophes kept, other marks spaced."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    plain = plain.replace("\u2019", "'")
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", plain).split())


def asks_for_person(transcript: str) -> bool:
    text = fold(transcript[:MAX_TRANSCRIPT_CHARS])
    return any(not _NEGATED.search(text[: match.start()]) for match in _REQUEST.finditer(text))
