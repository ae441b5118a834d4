"""SSM layout of the IVR documents (storage_format) and the per-container DocumentStore.

The store is exercised with a FAKE fetch function (a dict of parameter name → value that the
test edits) and a FAKE clock — not moto: no boto3 is involved at this level.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdas.documents import store as store_module
from lambdas.documents.registry import bundled_defaults
from lambdas.documents.storage_format import (
    MAX_PARTS,
    PARAMETER_MAX_BYTES,
    StorageFormatError,
    StoredDocument,
    compact_json,
    decode_documents,
    encode_document,
    head_name,
    part_name,
    sha256_of,
    split_by_character,
    split_parts,
    stale_parts,
)
from lambdas.documents.store import (
    REFRESH_BUDGET_MS,
    STORE_INCOMPLETE,
    STORE_LIMITS,
    STORE_UNAVAILABLE,
    DocumentStore,
    within,
)
from lambdas.ivr_decision.decide import Documents
from lambdas.shared.budget import Deadline
from tests.unit.ivr_support import shipped_json

PATH = "/tandem/ivr"
VIETNAMESE = (
    'aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵĐƯ {}"\n'
)
vietnamese_text = st.text(alphabet=st.sampled_from(VIETNAMESE + "🙂e\u0301"), max_size=3000)


# --- storage_format -------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(text=vietnamese_text, max_bytes=st.sampled_from([4, 5, 7, 64, PARAMETER_MAX_BYTES]))
def test_split_never_exceeds_the_limit_nor_splits_a_character(text: str, max_bytes: int) -> None:
    parts = split_parts(text, max_bytes)
    assert "".join(parts) == text
    for part in parts:
        encoded = part.encode("utf-8")
        assert len(encoded) <= max_bytes
        assert encoded.decode("utf-8") == part  # whole characters only: each part decodes on its own
    if text:
        assert all(parts)
    else:
        assert parts == [""]


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        vietnamese_text, st.text(max_size=5000), st.text(alphabet=st.characters(max_codepoint=127))
    ),
    max_bytes=st.sampled_from([1, 2, 3, 4, 5, 7, 64, PARAMETER_MAX_BYTES]),
)
def test_split_parts_matches_the_character_by_character_split(text: str, max_bytes: int) -> None:
    assert split_parts(text, max_bytes) == split_by_character(text, max_bytes)


def test_split_fills_parts_to_the_limit() -> None:
    text = "ệ" * 3000  # 3 bytes each: 9000 bytes
    parts = split_parts(text)
    assert [len(p.encode("utf-8")) for p in parts] == [4095, 4095, 810]


@settings(max_examples=100, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(VIETNAMESE), min_size=1, max_size=15000))
def test_encode_then_decode_round_trips(text: str) -> None:
    encoded = encode_document(PATH, "rules", text)
    decoded = decode_documents(PATH, encoded)
    assert decoded == {"rules": StoredDocument("rules", text, sha256_of(text))}
    assert all(len(v.encode("utf-8")) <= PARAMETER_MAX_BYTES for v in encoded.values())
    assert list(encoded)[-1] == head_name(PATH, "rules")  # the head is written last


def test_the_shipped_documents_round_trip() -> None:
    parameters: dict[str, str] = {}
    for name, parsed in bundled_defaults().items():
        parameters.update(encode_document(PATH, name, parsed.canonical_text))
    decoded = decode_documents(PATH, parameters)
    assert {name: doc.sha256 for name, doc in decoded.items()} == {  # type: ignore[union-attr]
        name: parsed.sha256 for name, parsed in bundled_defaults().items()
    }


def test_a_document_too_large_for_the_store_is_refused() -> None:
    with pytest.raises(StorageFormatError, match="the store holds at most 64 KB"):
        encode_document(PATH, "rules", "x" * (MAX_PARTS * PARAMETER_MAX_BYTES + 1))


def test_an_unknown_document_name_is_refused() -> None:
    with pytest.raises(StorageFormatError, match="unknown document 'policy'"):
        encode_document(PATH, "policy", "{}")


def _three_documents() -> dict[str, str]:
    parameters: dict[str, str] = {}
    parameters.update(encode_document(PATH, "rules", "r" * 9000))  # three parts
    parameters.update(encode_document(PATH, "content", "content"))
    parameters.update(encode_document(PATH, "calendar", "calendar"))
    return parameters


def test_a_missing_part_is_reported_for_that_document_only() -> None:
    parameters = _three_documents()
    del parameters[part_name(PATH, "rules", 2)]
    decoded = decode_documents(PATH, parameters)
    assert isinstance(decoded["rules"], StorageFormatError)
    assert str(decoded["rules"]) == "/tandem/ivr/rules/02: part missing (a push may be in progress)"
    assert decoded["content"] == StoredDocument("content", "content", sha256_of("content"))
    assert isinstance(decoded["calendar"], StoredDocument)


def test_a_hash_mismatch_is_reported() -> None:
    parameters = _three_documents()
    parameters[part_name(PATH, "content", 1)] = "changed under the head"
    decoded = decode_documents(PATH, parameters)
    assert str(decoded["content"]) == "/tandem/ivr/content: parts do not match the head's hash"
    assert isinstance(decoded["rules"], StoredDocument)


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ("not json", "head is not {parts, sha256}"),
        ('{"parts": 1}', "head is not {parts, sha256}"),
        ('{"parts": "many", "sha256": "x"}', "head is not {parts, sha256}"),
        ("[1, 2]", "head is not {parts, sha256}"),
        ('{"parts": 0, "sha256": "x"}', "part count 0 out of range"),
        ('{"parts": 17, "sha256": "x"}', "part count 17 out of range"),
    ],
)
def test_a_bad_head_is_reported(head: str, message: str) -> None:
    parameters = _three_documents()
    parameters[head_name(PATH, "calendar")] = head
    decoded = decode_documents(PATH, parameters)
    assert str(decoded["calendar"]) == f"/tandem/ivr/calendar: {message}"
    assert isinstance(decoded["rules"], StoredDocument)


def test_a_document_never_pushed_is_absent() -> None:
    parameters = encode_document(PATH, "content", "only content")
    assert set(decode_documents(PATH, parameters)) == {"content"}
    assert decode_documents(PATH, {}) == {}


def test_stale_parts_lists_only_this_documents_parts_beyond_the_new_count() -> None:
    existing = [
        "/tandem/ivr/rules",
        "/tandem/ivr/rules/01",
        "/tandem/ivr/rules/02",
        "/tandem/ivr/rules/10",
        "/tandem/ivr/rules/03",
        "/tandem/ivr/content/05",
        "/tandem/ivr/rulesets/09",
        "/tandem/ivr/rules/notes",
    ]
    assert stale_parts(PATH, "rules", 2, existing) == ["/tandem/ivr/rules/03", "/tandem/ivr/rules/10"]
    assert stale_parts(PATH + "/", "rules", 16, existing) == []


# --- DocumentStore with a fake fetch and a fake clock ---------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeStore:
    """Stands in for SSM GetParametersByPath: the test pushes documents into a dict."""

    def __init__(self) -> None:
        self.parameters: dict[str, str] = {}
        self.calls = 0
        self.error: Exception | None = None

    def push(self, name: str, document: dict[str, Any] | str) -> None:
        text = document if isinstance(document, str) else compact_json(document)
        self.parameters.update(encode_document(PATH, name, text))

    def fetch(self) -> dict[str, str]:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return dict(self.parameters)


MAX_AGE, RETRY = 60.0, 5.0


def make_store(fake: FakeStore, clock: FakeClock) -> DocumentStore:
    return DocumentStore(
        fetch=fake.fetch,
        path=PATH,
        bundled=bundled_defaults(),
        max_age_seconds=MAX_AGE,
        retry_after_failure_seconds=RETRY,
        clock=clock,
    )


def rules_revision(revision: str, **changes: Any) -> dict[str, Any]:
    document = shipped_json("rules")
    document["revision"] = revision
    document.update(changes)
    return document


def invalid_rules() -> dict[str, Any]:
    document = rules_revision("broken.1")
    document["rules"][0]["when"] = {"fact": "mood", "eq": "stormy"}
    return document


@pytest.fixture
def counted_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each document the store parses (wraps the real parse_text)."""
    seen: list[str] = []
    real: Callable[..., Any] = store_module.parse_text

    def counting(text: str, expected: str | None = None) -> Any:
        seen.append(str(expected))
        return real(text, expected)

    monkeypatch.setattr(store_module, "parse_text", counting)
    return seen


def test_bundled_defaults_serve_until_the_first_refresh() -> None:
    fake, clock = FakeStore(), FakeClock()
    fake.push("rules", rules_revision("pushed.1"))
    store = make_store(fake, clock)
    documents = Documents.served(store.snapshot())
    assert documents.sources == {"rules": "bundled", "content": "bundled", "calendar": "bundled"}
    assert documents.revision == shipped_json("rules")["revision"]
    assert store.due()
    assert fake.calls == 0


def test_an_empty_store_keeps_the_bundled_documents() -> None:
    fake, clock = FakeStore(), FakeClock()
    store = make_store(fake, clock)
    outcome = store.refresh()
    assert outcome.checked and outcome.changed == [] and outcome.refused == [] and outcome.failed == ""
    assert set(Documents.served(store.snapshot()).sources.values()) == {"bundled"}


def test_a_pushed_document_is_picked_up_and_the_others_stay_bundled() -> None:
    fake, clock = FakeStore(), FakeClock()
    fake.push("rules", rules_revision("pushed.1"))
    store = make_store(fake, clock)
    outcome = store.refresh()
    assert outcome.changed == ["rules"]
    documents = Documents.served(store.snapshot())
    assert documents.revision == "pushed.1"
    assert documents.sources == {"rules": "store", "content": "bundled", "calendar": "bundled"}


def test_a_change_is_picked_up_after_max_age_but_not_before() -> None:
    """Given a refreshed store, When the document changes, Then it is read again only after max age."""
    fake, clock = FakeStore(), FakeClock()
    fake.push("rules", rules_revision("first.1"))
    store = make_store(fake, clock)
    store.refresh()
    fake.push("rules", rules_revision("second.1"))

    clock.now += MAX_AGE - 0.001
    assert not store.due()
    assert Documents.served(store.snapshot()).revision == "first.1"

    clock.now += 0.001
    assert store.due()
    assert store.refresh().changed == ["rules"]
    assert Documents.served(store.snapshot()).revision == "second.1"
    assert not store.due()


def test_an_invalid_document_is_refused_and_the_previous_valid_one_keeps_serving() -> None:
    fake, clock = FakeStore(), FakeClock()
    fake.push("rules", rules_revision("good.1"))
    store = make_store(fake, clock)
    store.refresh()

    broken = invalid_rules()
    fake.push("rules", broken)
    clock.now += MAX_AGE
    outcome = store.refresh()
    assert outcome.changed == []
    assert [name for name, _ in outcome.refused] == ["rules"]
    first_rule = broken["rules"][0]["id"]  # whichever rule the shipped policy puts first
    assert f"rule {first_rule!r} (rules[0]) field when.fact: unknown fact 'mood'" in outcome.refused[0][1]
    assert Documents.served(store.snapshot()).revision == "good.1"
    assert Documents.served(store.snapshot()).sources["rules"] == "store"


def test_a_refused_document_is_reported_on_every_refresh_until_fixed_without_parsing_again(
    counted_parses: list[str],
) -> None:
    fake, clock = FakeStore(), FakeClock()
    fake.push("rules", invalid_rules())
    store = make_store(fake, clock)

    first = store.refresh()
    clock.now += MAX_AGE
    second = store.refresh()
    assert first.refused == second.refused
    assert [name for name, _ in second.refused] == ["rules"]
    assert counted_parses == ["rules"]  # the same sha is not parsed twice
    assert Documents.served(store.snapshot()).sources["rules"] == "bundled"  # never had a valid pushed one

    fake.push("rules", rules_revision("fixed.1"))
    clock.now += MAX_AGE
    third = store.refresh()
    assert third.refused == []
    assert third.changed == ["rules"]
    assert Documents.served(store.snapshot()).revision == "fixed.1"
    clock.now += MAX_AGE
    assert store.refresh().refused == []


def test_a_half_written_push_is_refused_and_the_current_document_kept() -> None:
    fake, clock = FakeStore(), FakeClock()
    fake.push("content", shipped_json("content") | {"revision": "c.1"})
    store = make_store(fake, clock)
    store.refresh()

    fake.parameters[part_name(PATH, "content", 1)] = '{"kind":'  # a part of a newer push, head not yet
    clock.now += MAX_AGE
    outcome = store.refresh()
    assert outcome.refused == [("content", "/tandem/ivr/content: parts do not match the head's hash")]
    assert Documents.served(store.snapshot()).content.revision == "c.1"


def test_a_failed_fetch_keeps_the_documents_and_retries_after_the_short_pause() -> None:
    fake, clock = FakeStore(), FakeClock()
    fake.push("rules", rules_revision("good.1"))
    store = make_store(fake, clock)
    store.refresh()

    clock.now += MAX_AGE
    fake.error = TimeoutError("read timed out")
    outcome = store.refresh()
    assert outcome.failed == "TimeoutError"
    assert outcome.changed == [] and outcome.refused == []
    assert Documents.served(store.snapshot()).revision == "good.1"

    clock.now += RETRY - 0.001
    assert not store.due()
    clock.now += 0.001
    assert store.due()  # retry_after_failure_seconds, not max age

    fake.error = None
    fake.push("rules", rules_revision("good.2"))
    assert store.refresh().changed == ["rules"]
    assert not store.due()
    clock.now += RETRY
    assert not store.due()  # back on the max-age schedule


def test_a_failed_first_fetch_serves_the_bundled_documents() -> None:
    fake, clock = FakeStore(), FakeClock()
    fake.error = ConnectionError("unreachable")
    store = make_store(fake, clock)
    assert store.refresh().failed == "ConnectionError"
    assert set(Documents.served(store.snapshot()).sources.values()) == {"bundled"}


def test_an_unchanged_document_is_not_parsed_again(counted_parses: list[str]) -> None:
    fake, clock = FakeStore(), FakeClock()
    fake.push("rules", rules_revision("same.1"))
    fake.push("calendar", shipped_json("calendar") | {"revision": "cal.1"})
    store = make_store(fake, clock)
    assert sorted(store.refresh().changed) == ["calendar", "rules"]
    for _ in range(3):
        clock.now += MAX_AGE
        outcome = store.refresh()
        assert outcome.changed == [] and outcome.refused == []
    assert sorted(counted_parses) == ["calendar", "rules"]
    assert fake.calls == 4


def test_the_read_hook_runs_the_fetch() -> None:
    """Given a `read` wrapper (the handler's time-budgeted runner), Then the store fetches through it."""
    fake, clock = FakeStore(), FakeClock()
    fake.push("rules", rules_revision("hooked.1"))
    store = make_store(fake, clock)
    wrapped: list[bool] = []

    def read(read_and_build: Callable[[], Any]) -> Any:
        wrapped.append(True)
        return read_and_build()

    assert store.refresh(read=read).changed == ["rules"]
    assert wrapped == [True]


def test_a_rule_set_with_a_wrongly_typed_value_is_refused_not_raised() -> None:
    fake, clock = FakeStore(), FakeClock()
    document = rules_revision("typed.1")
    document["rules"][0]["action"]["route"] = ["CLOSED"]
    fake.push("rules", document)
    store = make_store(fake, clock)
    outcome = store.refresh()
    assert [name for name, _ in outcome.refused] == ["rules"]
    assert Documents.served(store.snapshot()).sources["rules"] == "bundled"


def test_the_head_names_the_part_count_and_hash() -> None:
    encoded = encode_document(PATH, "calendar", "abc")
    assert json.loads(encoded["/tandem/ivr/calendar"]) == {"parts": 1, "sha256": sha256_of("abc")}
    assert encoded["/tandem/ivr/calendar/01"] == "abc"


# --- one snapshot: never a mixed set, never a late change --------------------------------------------


def revisions(store: DocumentStore) -> tuple[str, str, str]:
    documents = Documents.served(store.snapshot())
    return documents.rules.revision, documents.content.revision, documents.calendar.revision


def push_set(fake: FakeStore, revision: str) -> None:
    fake.push("rules", rules_revision(revision))
    fake.push("content", shipped_json("content") | {"revision": revision})
    fake.push("calendar", shipped_json("calendar") | {"revision": revision})


def test_a_reader_during_a_refresh_sees_the_old_set_or_the_new_one_never_a_mix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake, clock = FakeStore(), FakeClock()
    push_set(fake, "A")
    store = make_store(fake, clock)
    store.refresh()
    assert revisions(store) == ("A", "A", "A")
    push_set(fake, "B")
    # Each document takes a while to parse, so a refresh that applied them one by one would show a mix
    real: Callable[..., Any] = store_module.parse_text

    def slow_parse(text: str, expected: str | None = None) -> Any:
        time.sleep(0.02)
        return real(text, expected)

    monkeypatch.setattr(store_module, "parse_text", slow_parse)
    seen: set[tuple[str, str, str]] = set()
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            seen.add(revisions(store))

    watching = threading.Thread(target=reader)
    watching.start()
    clock.now += MAX_AGE
    try:
        assert sorted(store.refresh().changed) == ["calendar", "content", "rules"]
    finally:
        done.set()
        watching.join()
    assert seen <= {("A", "A", "A"), ("B", "B", "B")}, seen
    assert revisions(store) == ("B", "B", "B")


def test_a_read_that_lands_after_the_budget_is_discarded() -> None:
    """Given a store read that outlasts its budget, When it finally answers on the daemon thread,
    Then nothing it read is served: the last good set stays until a read within budget."""
    fake, clock = FakeStore(), FakeClock()
    push_set(fake, "A")
    store = make_store(fake, clock)
    store.refresh()
    push_set(fake, "B")
    released, answered = threading.Event(), threading.Event()
    fetch = fake.fetch

    def stalled() -> dict[str, str]:
        released.wait(5)
        try:
            return fetch()
        finally:
            answered.set()

    store._fetch = stalled  # type: ignore[method-assign]  # the store's own read, stalled
    clock.now += MAX_AGE
    outcome = store.refresh(read=within(Deadline.after_ms(50)))
    assert outcome.failed == "BudgetExceeded"
    assert revisions(store) == ("A", "A", "A")
    released.set()  # the stalled read answers now, on its daemon thread
    assert answered.wait(5)
    time.sleep(0.05)  # and has had time to build the set it would have served
    assert revisions(store) == ("A", "A", "A")
    assert store.snapshot().sources["rules"] == "store"
    # A read inside the budget, once due again, serves the new set
    store._fetch = fetch  # type: ignore[method-assign]
    clock.now += RETRY
    assert sorted(store.refresh(read=within(Deadline.after_ms(2000))).changed) == [
        "calendar",
        "content",
        "rules",
    ]
    assert revisions(store) == ("B", "B", "B")


def test_one_document_refused_keeps_its_last_good_version_and_the_others_move_together() -> None:
    """The snapshot after a read holds every valid document of that read; a refused one keeps the
    version the previous snapshot served (store or bundled), and the refusal is reported."""
    fake, clock = FakeStore(), FakeClock()
    push_set(fake, "A")
    store = make_store(fake, clock)
    store.refresh()
    push_set(fake, "B")
    fake.push("content", {"kind": "tandem/ivr-content", "revision": "B"})  # not a valid content document
    clock.now += MAX_AGE
    outcome = store.refresh()
    assert sorted(outcome.changed) == ["calendar", "rules"]
    assert [name for name, _ in outcome.refused] == ["content"]
    assert revisions(store) == ("B", "A", "B")
    assert store.snapshot().degraded == ""  # every document has a valid store version


def test_the_snapshot_says_when_the_bundled_documents_serve_and_stops_once_the_store_is_read() -> None:
    fake, clock = FakeStore(), FakeClock()
    store = make_store(fake, clock)
    assert store.snapshot().degraded == STORE_UNAVAILABLE  # not read yet
    fake.error = ConnectionError("unreachable")
    assert store.refresh().failed == "ConnectionError"
    assert store.snapshot().degraded == STORE_UNAVAILABLE
    # A read that succeeds on an empty (or wrong) path: every document is missing, bundled serves
    fake.error = None
    clock.now += RETRY
    empty = store.refresh()
    assert empty.missing == ["rules", "content", "calendar"] and empty.failed == ""
    assert store.snapshot().degraded == STORE_INCOMPLETE
    fake.push("rules", rules_revision("pushed.1"))
    clock.now += MAX_AGE
    assert store.refresh().missing == ["content", "calendar"]
    assert store.snapshot().degraded == STORE_INCOMPLETE
    push_set(fake, "C")
    clock.now += MAX_AGE
    store.refresh()
    assert store.snapshot().degraded == ""
    # A later failed read keeps the good set, and it is still the store's
    fake.error = TimeoutError("read timed out")
    clock.now += MAX_AGE
    assert store.refresh().failed == "TimeoutError"
    assert (store.snapshot().degraded, revisions(store)) == ("", ("C", "C", "C"))


def test_the_shipped_document_in_the_store_is_taken_without_parsing_again(counted_parses: list[str]) -> None:
    fake, clock = FakeStore(), FakeClock()
    for name, parsed in bundled_defaults().items():
        fake.parameters.update(encode_document(PATH, name, parsed.canonical_text))
    store = make_store(fake, clock)
    assert sorted(store.refresh().changed) == ["calendar", "content", "rules"]
    assert set(Documents.served(store.snapshot()).sources.values()) == {"store"}
    assert counted_parses == []


def test_a_refresh_share_fits_one_store_read_attempt() -> None:
    assert STORE_LIMITS.max_attempts == 1
    one_attempt_ms = round((STORE_LIMITS.connect_timeout + STORE_LIMITS.read_timeout) * 1000)
    assert one_attempt_ms <= REFRESH_BUDGET_MS
