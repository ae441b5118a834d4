"""What the machine says: FAQ answers, order-status phrasing and closed/callback messages.

Content is data like the rules (`defaults/content.json`, pushed with `tandem rules push`), in
every language the centre speaks. Placeholders are checked when the document is loaded, so a
typo such as `{etaa}` is rejected instead of being read out to a caller.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple

from lambdas.policy.validation import HEADER_FIELDS, Problems, check_header, check_keys, join, type_name

KIND = "tandem/ivr-content"
LANGUAGE = re.compile(r"^[a-z]{2}$")
KEY = re.compile(r"^[A-Z][A-Z0-9_]{1,47}$")
MAX_TEXT_CHARS = 1000  # a flow speaks it; also keeps the response far under 32 KB
REQUIRED_MESSAGES = ("CALLBACK", "CLOSED_AFTER_HOURS", "CLOSED_HOLIDAY", "CLOSED_EMERGENCY")
MESSAGE_PLACEHOLDERS = {"closureName"}
ORDER_FIELDS = ("template", "statuses", "unknownStatus", "eta", "noEta", "noOrder")
ORDER_PLACEHOLDERS = {
    "template": {"orderId", "statusPhrase"},
    "statuses": {"eta"},
    "unknownStatus": {"status"},
    "eta": {"date"},  # "by {date}": what {eta} says when the date is known
    "noEta": set(),  # what {eta} says when it is not: "soon"
    "noOrder": set(),
}
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")  # fmt: skip
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")

Localized = Mapping[str, str]  # language → text


class OrderPhrases(NamedTuple):
    template: str
    statuses: Mapping[str, str]
    unknown_status: str
    eta: str
    no_eta: str
    no_order: str


class Order(NamedTuple):
    order_id: str
    status: str  # status code, e.g. SHIPPED
    eta: str  # ISO date or empty


class Content(NamedTuple):
    revision: str
    default_language: str
    answers: Mapping[str, Localized]
    order_phrases: Mapping[str, OrderPhrases]
    messages: Mapping[str, Localized]

    def has_answer(self, intent: str) -> bool:
        return intent == "ORDER_STATUS" or intent in self.answers

    def answer(self, intent: str, language: str, order: Order | None) -> str:
        if intent == "ORDER_STATUS":
            return self.order_answer(order, language)
        return self._pick(self.answers.get(intent, {}), language)

    def message(self, key: str, language: str, closure_name: str = "") -> str:
        text = self._pick(self.messages.get(key, {}), language)
        return text.format(closureName=closure_name) if text else ""

    def order_answer(self, order: Order | None, language: str) -> str:
        phrases = self.order_phrases.get(language) or self.order_phrases[self.default_language]
        if order is None or not order.order_id:
            return phrases.no_order
        day = speakable_date(order.eta, language)
        eta = phrases.eta.format(date=day) if day else phrases.no_eta
        phrase = phrases.statuses.get(order.status)
        status_phrase = (
            phrase.format(eta=eta)
            if phrase
            else phrases.unknown_status.format(status=order.status.replace("_", " ").lower())
        )
        return phrases.template.format(orderId=order.order_id, statusPhrase=status_phrase)

    def _pick(self, texts: Localized, language: str) -> str:
        return texts.get(language) or texts.get(self.default_language, "")


def speakable_date(iso: str, language: str) -> str:
    """2026-11-25 → "Wednesday, November 25" (en) or "thứ Tư, ngày 25 tháng 11" (vi)."""
    try:
        day = date.fromisoformat(iso)
    except (TypeError, ValueError):
        return ""
    if language == "vi":
        return f"{WEEKDAYS_VI[day.weekday()]}, ngày {day.day} tháng {day.month}"
    return f"{WEEKDAYS_EN[day.weekday()]}, {MONTHS_EN[day.month - 1]} {day.day}"


def parse_content(document: Any) -> Content:
    problems = Problems()
    if not check_keys(
        problems,
        "",
        document,
        required=(*HEADER_FIELDS[:3], "defaultLanguage", "answers", "orderStatus", "messages"),
        optional=HEADER_FIELDS[3:],
    ):
        problems.raise_if_any()
    check_header(problems, document, KIND)
    default = document.get("defaultLanguage")
    if not isinstance(default, str) or not LANGUAGE.match(default):
        problems.add("defaultLanguage", f"must be a two-letter language like en, got {default!r}")
        default = "en"
    answers = _localized_table(problems, "answers", document.get("answers"), default, set())
    messages = _localized_table(problems, "messages", document.get("messages"), default, MESSAGE_PLACEHOLDERS)
    for key in REQUIRED_MESSAGES:
        if isinstance(document.get("messages"), Mapping) and key not in document["messages"]:
            problems.add("messages", f"missing message {key}")
    order_phrases = _order_phrases(problems, document.get("orderStatus"), default)
    problems.raise_if_any()
    return Content(document["revision"], default, answers, order_phrases, messages)


def _localized_table(
    problems: Problems, where: str, value: Any, default: str, placeholders: set[str]
) -> dict[str, Localized]:
    if not isinstance(value, Mapping):
        problems.add(where, f"must be an object of KEY → {{language: text}}, got {type_name(value)}")
        return {}
    table: dict[str, Localized] = {}
    for key, texts in value.items():
        at = join(where, key)
        if not KEY.match(str(key)):
            problems.add(at, "keys are codes like RETURN_POLICY")
        if not isinstance(texts, Mapping) or default not in texts:
            problems.add(
                at, f"must be an object of language → text including the default language {default!r}"
            )
            continue
        for language, text in texts.items():
            _check_text(problems, join(at, language), language, text, placeholders)
        table[str(key)] = dict(texts)
    return table


def _order_phrases(problems: Problems, value: Any, default: str) -> dict[str, OrderPhrases]:
    if not isinstance(value, Mapping) or default not in value:
        problems.add("orderStatus", f"must be an object of language → phrases including {default!r}")
        return {}
    result: dict[str, OrderPhrases] = {}
    for language, raw in value.items():
        at = join("orderStatus", language)
        if not check_keys(problems, at, raw, required=ORDER_FIELDS):
            continue
        statuses = raw["statuses"]
        if not isinstance(statuses, Mapping) or not statuses:
            problems.add(join(at, "statuses"), "must be an object of STATUS → phrase")
            continue
        for status, phrase in statuses.items():
            _check_text(
                problems, join(join(at, "statuses"), status), language, phrase, ORDER_PLACEHOLDERS["statuses"]
            )
        for field in ORDER_FIELDS:
            if field != "statuses":
                _check_text(problems, join(at, field), language, raw[field], ORDER_PLACEHOLDERS[field])
        result[language] = OrderPhrases(
            raw["template"], dict(statuses), raw["unknownStatus"], raw["eta"], raw["noEta"], raw["noOrder"]
        )
    return result


def _check_text(problems: Problems, where: str, language: Any, text: Any, placeholders: set[str]) -> None:
    if not isinstance(language, str) or not LANGUAGE.match(language):
        problems.add(where, f"language must be two letters like en, got {language!r}")
    if not isinstance(text, str) or not text.strip():
        problems.add(where, f"must be non-empty text, got {type_name(text)}")
        return
    if len(text) > MAX_TEXT_CHARS:
        problems.add(where, f"is {len(text)} characters; at most {MAX_TEXT_CHARS}")
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        problems.add(where, f"has a broken placeholder ({error}); write literal braces as {{{{ }}}}")
        return
    unknown = used - placeholders
    if unknown:
        allowed = ", ".join(f"{{{p}}}" for p in sorted(placeholders)) or "none"
        problems.add(where, f"unknown placeholder {{{sorted(unknown)[0]}}}; allowed here: {allowed}")
