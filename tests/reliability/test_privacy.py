"""Privacy: a whole demo run logs no caller's number, name or email, and stores no raw number.

The scripted demo (`tandem.demo.scripted.run`) and a synthetic day (`tandem.demo.day.run_day`) run once for
the module, with everything they log captured:

- every invocation's log lines and EMF metric documents, in every sandbox either run opens (the
  demos' `sandbox` is wrapped so each `Sandbox` is kept, and its Interactions and Metrics tables are
  scanned before it closes);
- what the handlers printed at import (`tandem.local.sandbox.INIT_OUTPUT`);
- every Python `logging` record any logger handled (Powertools' loggers do not propagate to the
  root logger, so `logging.Logger.handle` itself is wrapped), message and extra keys;
- stderr (the synthetic day's progress lines).

Forbidden in all of it: any E.164 number; every caller number the handlers were given (the demo
customers, the scripted unknown callers, the day's `+1202555…` callers) in national or local
form, with or without separators; the demo customers' first and last names; any email address.
The stored Interactions and Metrics items are held to the same rule (the callback claim's key is
a hash of the number, which is allowed). The demos' own output (stdout, a report for the person
running them) greets customers by name, as the flow does, but masks every number: it is checked
for numbers only.

`test_the_checks_catch_a_leak` is the negative control: a handler that logs the caller's number
and name, a stray email on stderr and a raw number in an Interactions item, sent through the same
capture, must each be flagged.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import tandem.demo.day
import tandem.demo.scripted
from lambdas.shared.tables import INTERACTIONS, METRICS
from tandem.local import Sandbox, sandbox
from tandem.local.demo_data import DEMO_CUSTOMERS, UNKNOWN_NUMBER
from tandem.local.sandbox import handler_module
from tests.conftest import load_event

SANDBOX_MODULE = sys.modules["tandem.local.sandbox"]  # `tandem.local.sandbox` the name is the function
DAY_CALLS, DAY_SEED = 60, 3
SCANNED_TABLES = (INTERACTIONS, METRICS)

E164 = re.compile(r"\+\d{7,15}")
EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
# A run of digits as a number may be written: "+1 (202) 555-0101", "202.555.0101", "5550101".
DIGIT_RUN = re.compile(r"\+?\(?\d(?:[\s().-]{0,2}\d)*")
PHONE_IN_EVENT = re.compile(r"\+?[\d\s().-]{7,20}")
COUNTRY_CODES = ("1", "44", "84")  # the demo's numbers: NANP, the UK, Vietnam


# --- what may not appear -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forbidden:
    """Digit strings and names that may not appear, and how to find them in text."""

    long_digits: frozenset[str]  # 10+ digits: flagged wherever a digit run contains one
    local_digits: frozenset[str]  # NANP 7-digit local numbers: flagged as a whole, free-standing run
    names: tuple[str, ...]

    @classmethod
    def build(cls, numbers: Iterable[str], names: Iterable[str]) -> Forbidden:
        long_digits: set[str] = set()
        local_digits: set[str] = set()
        for number in numbers:
            digits = re.sub(r"\D", "", number)
            if not number.startswith("+"):
                continue  # national forms come from the E.164 form below
            code = next((c for c in COUNTRY_CODES if digits.startswith(c)), digits[:2])
            national = digits[len(code) :]
            long_digits.update({digits, national})
            if code == "1":
                local_digits.add(national[3:])  # "5550101": the number without its area code
            else:
                long_digits.add("0" + national)  # "07700900123": dialled with the trunk prefix
        spelled: set[str] = set()
        for name in names:
            folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
            spelled.update({name, folded, json.dumps(name)[1:-1]})  # "Chloé", "Chloe", "Chlo\u00e9"
        return cls(frozenset(long_digits), frozenset(local_digits), tuple(sorted(spelled)))

    def findings(self, text: str, *, names: bool = True) -> list[str]:
        """What in `text` is a number, a name or an email it may not contain."""
        found = [f"E.164 number {m.group(0)}" for m in E164.finditer(text)]
        for match in DIGIT_RUN.finditer(text):
            digits = re.sub(r"\D", "", match.group(0))
            if len(digits) >= 10 and any(d in digits for d in self.long_digits):
                found.append(f"phone number {match.group(0).strip()}")
            elif digits in self.local_digits and _free_standing(text, match.start(), match.end()):
                found.append(f"local phone number {match.group(0).strip()}")
        found += [f"email {m.group(0)}" for m in EMAIL.finditer(text)]
        if names:
            found += [f"name {n}" for n in self.names if re.search(rf"\b{re.escape(n)}\b", text)]
        return found


def _free_standing(text: str, start: int, end: int) -> bool:
    """Not part of a longer word (a request id, a hash): no letter or digit on either side."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def demo_names() -> list[str]:
    return [n for c in DEMO_CUSTOMERS for n in (c.first_name, c.last_name)]


def caller_numbers(boxes: Iterable[Sandbox]) -> set[str]:
    """Every phone number the handlers were given (in any event member), as E.164 or as written."""
    numbers = {c.phone for c in DEMO_CUSTOMERS} | {UNKNOWN_NUMBER}
    for box in boxes:
        for invocation in box.invocations:
            for value in _strings(invocation.event):
                if PHONE_IN_EVENT.fullmatch(value) and sum(ch.isdigit() for ch in value) >= 7:
                    numbers.add(value)
    return numbers


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for member in value.values():
            yield from _strings(member)
    elif isinstance(value, list):
        for member in value:
            yield from _strings(member)


# --- capturing a run -------------------------------------------------------------------------------------


@dataclass
class Capture:
    boxes: list[Sandbox] = field(default_factory=list)
    stored: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (table, item), as scanned
    records: list[str] = field(default_factory=list)  # Python logging records, message and extras
    stdout: str = ""
    stderr: str = ""

    @contextlib.contextmanager
    def sandbox(self, **options: Any) -> Iterator[Sandbox]:
        """`tandem.local.sandbox`, keeping the box and scanning its tables before they go."""
        with sandbox(**{**options, "history": True}) as box:  # every invocation, to read its logs
            self.boxes.append(box)
            yield box
            dynamodb = box.client("dynamodb")
            for spec in SCANNED_TABLES:
                pages = dynamodb.get_paginator("scan").paginate(TableName=box.table_names[spec.env_var])
                self.stored += [(spec.logical_name, item) for page in pages for item in page["Items"]]

    def log_texts(self) -> Iterator[tuple[str, str]]:
        """(where, text) for everything logged: invocation logs and metrics, init output, records, stderr."""
        for b, box in enumerate(self.boxes):
            for i, invocation in enumerate(box.invocations):
                for line in invocation.log_lines + invocation.metrics:
                    yield f"sandbox {b} invocation {i} ({invocation.function_name})", _text(line)
        for function, printed in SANDBOX_MODULE.INIT_OUTPUT.items():
            yield f"{function} init", printed
        for record in self.records:
            yield "logging record", record
        yield "stderr", self.stderr


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _record_text(record: logging.LogRecord) -> str:
    return _text({**record.__dict__, "message": record.getMessage()})


@contextlib.contextmanager
def capturing(monkeypatch: pytest.MonkeyPatch) -> Iterator[Capture]:
    capture = Capture()
    handle: Callable[[logging.Logger, logging.LogRecord], None] = logging.Logger.handle

    def recording_handle(logger: logging.Logger, record: logging.LogRecord) -> None:
        capture.records.append(_record_text(record))
        handle(logger, record)

    monkeypatch.setattr(logging.Logger, "handle", recording_handle)
    monkeypatch.setattr(tandem.demo.scripted, "sandbox", capture.sandbox)
    monkeypatch.setattr(tandem.demo.day, "sandbox", capture.sandbox)
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            yield capture
    finally:
        capture.stdout, capture.stderr = stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def demo_run() -> Iterator[Capture]:
    """The scripted demo and a synthetic day, both as JSON, with every log captured."""
    with pytest.MonkeyPatch.context() as monkeypatch, capturing(monkeypatch) as capture:
        assert tandem.demo.scripted.run("json") == 0
        assert tandem.demo.day.run_day(DAY_CALLS, seed=DAY_SEED, output_format="json") == 0
    yield capture


@pytest.fixture(scope="module")
def forbidden(demo_run: Capture) -> Forbidden:
    return Forbidden.build(caller_numbers(demo_run.boxes), demo_names())


# --- the checks ------------------------------------------------------------------------------------------


def leaks_in_logs(capture: Capture, forbidden: Forbidden) -> list[str]:
    return [f"{where}: {found}" for where, text in capture.log_texts() for found in forbidden.findings(text)]


def leaks_in_store(capture: Capture, forbidden: Forbidden) -> list[str]:
    return [
        f"{table} item {item['pk'].get('S')}/{item['sk'].get('S')}: {found}"
        for table, item in capture.stored
        for found in forbidden.findings(_text(item))
    ]


def test_the_run_is_what_the_checks_need(demo_run: Capture, forbidden: Forbidden) -> None:
    """Both runs happened, logged and stored plenty, and met more callers than the demo customers."""
    assert len(demo_run.boxes) == 2, "the demo and the day each open one sandbox"
    scripted, day = demo_run.boxes
    assert {i.function_name for i in scripted.invocations} == {
        "crm_lookup",
        "ivr_decision",
        "escalation",
        "survey",
        "ctr_ingest",
    }
    assert sum(len(i.log_lines) for i in day.invocations) > DAY_CALLS
    assert sum(len(i.metrics) for i in day.invocations) > DAY_CALLS
    assert demo_run.records, "Python logging records are captured"
    assert "calls" in demo_run.stderr, "the day's progress lines are captured"
    assert {table for table, _ in demo_run.stored} == {spec.logical_name for spec in SCANNED_TABLES}
    customers = {c.phone for c in DEMO_CUSTOMERS}
    strangers = [n for n in caller_numbers(demo_run.boxes) if n.startswith("+1202555") and n not in customers]
    assert len(strangers) > 1, "the day's unknown callers are among the numbers looked for"
    assert len(forbidden.names) >= 2 * len(DEMO_CUSTOMERS)


def test_no_number_name_or_email_in_any_log(demo_run: Capture, forbidden: Forbidden) -> None:
    leaks = leaks_in_logs(demo_run, forbidden)
    assert not leaks, "\n".join(leaks[:20])


def test_interactions_and_metrics_store_no_raw_number(demo_run: Capture, forbidden: Forbidden) -> None:
    leaks = leaks_in_store(demo_run, forbidden)
    assert not leaks, "\n".join(leaks[:20])
    claims = [item for table, item in demo_run.stored if item["pk"]["S"].startswith("CALLBACK#")]
    assert claims, "the day took callbacks: their claims (keyed by a hash of the number) were scanned"


def test_the_demo_output_masks_every_number(demo_run: Capture, forbidden: Forbidden) -> None:
    leaks = forbidden.findings(demo_run.stdout, names=False)
    assert not leaks, "\n".join(leaks[:20])


# --- negative control ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "+12025550101",
        "caller 202-555-0101",
        "(202) 555-0101",
        "12025550101",
        "555-0101",
        '{"phone": "5550101"}',
        "07700 900123",
        "0912345678",
        "Ana called",
        "customer Nguyễn",
        "customer Nguyen",
        "Chlo\\u00e9",
        "write to someone@example.org",
    ],
)
def test_the_checker_flags_each_form(text: str) -> None:
    assert Forbidden.build([c.phone for c in DEMO_CUSTOMERS], demo_names()).findings(text)


@pytest.mark.parametrize(
    "text",
    [
        "+12•••••01",  # tandem.output.mask_phone
        "CALLBACK#35b00f8234e43c7649ac6f159cf39da173ccd85f1b62fe359d8620d6231dc94d",
        '{"Timestamp": 1795436949778, "elapsed_ms": 0.5550101, "contacts": 13}',
        "2026-11-23T15:28:40+00:00",
        "Banana, Bench, Sample, Kimono",
    ],
)
def test_the_checker_passes_what_is_not_personal(text: str) -> None:
    assert not Forbidden.build([c.phone for c in DEMO_CUSTOMERS], demo_names()).findings(text)


def test_the_checks_catch_a_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    """A leaky handler, a stray stderr line and a raw number in an item, through the same capture."""
    customer = DEMO_CUSTOMERS[0]

    with capturing(monkeypatch) as capture, capture.sandbox(attach=False) as box:
        module = handler_module("crm_lookup")
        honest = module.lambda_handler

        def leaky(event: Any, context: Any) -> dict[str, str]:
            module.logger.info("caller", extra={"caller": customer.phone})
            print(f"looking up {customer.first_name} {customer.last_name}")  # a bare print, not JSON
            return honest(event, context)  # type: ignore[no-any-return]

        monkeypatch.setattr(module, "lambda_handler", leaky)
        box.invoke("crm_lookup", load_event("voice_known_gold.json"))
        box.client("dynamodb").put_item(
            TableName=box.table_names[INTERACTIONS.env_var],
            Item={"pk": {"S": "CONTACT#leak"}, "sk": {"S": "DECISION#leak"}, "ani": {"S": "2025550101"}},
        )
        print("mail ana.c1001@example.com", file=sys.stderr)
    forbidden = Forbidden.build(caller_numbers(capture.boxes), demo_names())

    logs = leaks_in_logs(capture, forbidden)
    assert any("invocation" in leak and "E.164" in leak for leak in logs), logs
    assert any("invocation" in leak and f"name {customer.last_name}" in leak for leak in logs), logs
    assert any(leak.startswith("logging record") and customer.phone in leak for leak in logs), logs
    assert any(leak.startswith("stderr") and "email" in leak for leak in logs), logs
    stored = leaks_in_store(capture, forbidden)
    assert any("CONTACT#leak" in leak and "2025550101" in leak for leak in stored), stored
