"""The IVR default documents as infra reads them at synth: kinds, and the calendar's weekly hours.

Pure (no CDK): these run in the fast loop; the synthesized parameters and hours are checked in
test_infra_ivr_decision.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from infra_support import REPO_ROOT

from infra import constants
from infra.ivr_documents import (
    DEFAULTS_DIR,
    DOCUMENT_KINDS,
    IvrDocumentError,
    OpenInterval,
    display_path,
    load_default_documents,
    policy_queues,
    weekly_hours,
)
from lambdas.documents import storage_format

SOURCE = "defaults/calendar.json"


def defaults_copy(tmp_path: Path, name: str | None = None, edit: Callable[[Any], None] | None = None) -> Path:
    """A copy of the shipped defaults, with `edit` applied to document `name`."""
    directory = tmp_path / "defaults"
    shutil.copytree(DEFAULTS_DIR, directory)
    if name is not None and edit is not None:
        path = directory / f"{name}.json"
        document = json.loads(path.read_text(encoding="utf-8"))
        edit(document)
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return directory


def hhmm(text: str) -> tuple[int, int]:
    hours, minutes = text.split(":")
    return int(hours), int(minutes)


def load_error(directory: Path) -> str:
    with pytest.raises(IvrDocumentError) as caught:
        load_default_documents(directory)
    message = str(caught.value)
    assert "\n" not in message, "the error must be one line"
    return message


def weekly_error(weekly: object) -> str:
    with pytest.raises(IvrDocumentError) as caught:
        weekly_hours({"kind": "tandem/ivr-calendar", "weekly": weekly}, source=SOURCE)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{SOURCE}: ")
    return message


def test_the_shipped_defaults_load_with_their_kinds_and_compact_text() -> None:
    # Given the repo's default documents / When they are loaded
    documents = load_default_documents()
    # Then each has its declared kind, a repo-relative name and the compact text SSM stores
    assert list(documents) == list(storage_format.DOCUMENT_NAMES)
    for name, loaded in documents.items():
        path = REPO_ROOT / "lambdas" / "documents" / "defaults" / f"{name}.json"
        original = json.loads(path.read_text(encoding="utf-8"))
        assert loaded.source == f"lambdas/documents/defaults/{name}.json"
        assert loaded.document == original
        assert loaded.document["kind"] == DOCUMENT_KINDS[name]
        assert loaded.text == storage_format.compact_json(original)


def test_the_shipped_calendar_gives_weekday_and_saturday_hours() -> None:
    # Given the shipped calendar / When its weekly section is read
    calendar = load_default_documents()["calendar"]
    hours = weekly_hours(calendar.document, source=calendar.source)
    # Then every listed interval is there, in day order, and no zone overrides the instance's
    weekly = calendar.document["weekly"]
    assert isinstance(weekly, dict)
    expected = [
        OpenInterval(day, hhmm(start), hhmm(end)) for day, pairs in weekly.items() for start, end in pairs
    ]
    assert list(hours.intervals) == expected
    assert hours.time_zone == calendar.document.get("timeZone")


@pytest.mark.parametrize(("name", "kind"), [("rules", "tandem/ivr-content"), ("calendar", None)])
def test_a_wrong_or_missing_kind_names_the_file(tmp_path: Path, name: str, kind: str | None) -> None:
    # Given a defaults directory where one document declares the wrong kind (or none)
    def set_kind(document: Any) -> None:
        if kind is None:
            del document["kind"]
        else:
            document["kind"] = kind

    directory = defaults_copy(tmp_path, name, set_kind)
    # When it is loaded / Then the sentence names the file and the expected kind
    assert load_error(directory) == (
        f'{directory / f"{name}.json"}: "kind" must be "{DOCUMENT_KINDS[name]}", got {json.dumps(kind)}'
    )


def test_invalid_json_names_the_file(tmp_path: Path) -> None:
    # Given a content file that is not JSON / Then loading names it
    directory = defaults_copy(tmp_path)
    (directory / "content.json").write_text('{"kind": "tandem/ivr-content",', encoding="utf-8")
    assert load_error(directory).startswith(f"{directory / 'content.json'}: not valid JSON (")


def test_a_json_array_is_not_a_document(tmp_path: Path) -> None:
    # Given a rules file holding a list / Then loading says a JSON object is expected
    directory = defaults_copy(tmp_path)
    (directory / "rules.json").write_text("[]", encoding="utf-8")
    assert load_error(directory) == f"{directory / 'rules.json'}: must be a JSON object, got list"


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    # Given a defaults directory without a calendar / Then loading names the missing file
    directory = defaults_copy(tmp_path)
    (directory / "calendar.json").unlink()
    assert load_error(directory).startswith(f"{directory / 'calendar.json'}: cannot be read")


def test_several_intervals_a_day_are_kept_sorted() -> None:
    # Given a split Monday written afternoon first, and a Sunday
    weekly = {"MONDAY": [["13:00", "18:30"], ["08:00", "12:00"]], "SUNDAY": [["10:00", "12:00"]]}
    # When read / Then one interval each, Monday morning first, days in week order
    hours = weekly_hours({"weekly": weekly, "timeZone": "Europe/London"}, source=SOURCE)
    assert hours.intervals == (
        OpenInterval("MONDAY", (8, 0), (12, 0)),
        OpenInterval("MONDAY", (13, 0), (18, 30)),
        OpenInterval("SUNDAY", (10, 0), (12, 0)),
    )
    assert hours.time_zone == "Europe/London"


def test_an_empty_day_is_closed() -> None:
    # Given a day listed with no interval / Then it contributes nothing
    assert weekly_hours({"weekly": {"FRIDAY": []}}, source=SOURCE).intervals == ()


@pytest.mark.parametrize(
    ("weekly", "expected"),
    [
        (None, '"weekly" must be an object of DAY → [["HH:MM", "HH:MM"], ...], got null'),
        ([["08:00", "18:00"]], '"weekly" must be an object of DAY'),
        ({"Monday": [["08:00", "18:00"]]}, 'weekly has unknown day "Monday"; expected one of MONDAY, '),
        (
            {"MONDAY": ["08:00", "18:00"]},
            'weekly.MONDAY[0] must be ["HH:MM", "HH:MM"] (00:00 to 23:59), got "08:00"',
        ),
        ({"MONDAY": {"open": "08:00"}}, "weekly.MONDAY must be a list of [open, close] pairs"),
        ({"MONDAY": [["8:00", "18:00"]]}, 'weekly.MONDAY[0] must be ["HH:MM", "HH:MM"]'),
        ({"MONDAY": [["08:00", "24:00"]]}, 'weekly.MONDAY[0] must be ["HH:MM", "HH:MM"]'),
        ({"MONDAY": [["08:00", "18:00", "20:00"]]}, 'weekly.MONDAY[0] must be ["HH:MM", "HH:MM"]'),
        ({"MONDAY": [["08:00", 18]]}, 'weekly.MONDAY[0] must be ["HH:MM", "HH:MM"]'),
        ({"MONDAY": [["18:00", "08:00"]]}, "weekly.MONDAY[0] closes at 08:00, not after it opens at 18:00"),
        ({"MONDAY": [["08:00", "08:00"]]}, "weekly.MONDAY[0] closes at 08:00, not after it opens at 08:00"),
        (
            {"TUESDAY": [["08:00", "12:00"], ["11:00", "18:00"]]},
            "weekly.TUESDAY has overlapping intervals (08:00-12:00 and 11:00-18:00)",
        ),
    ],
)
def test_a_malformed_weekly_section_is_one_sentence_naming_the_file(weekly: object, expected: str) -> None:
    # Given a malformed weekly section / When read / Then the sentence names the file and the entry
    assert weekly_error(weekly).startswith(f"{SOURCE}: {expected}")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "localtime", 5])
def test_a_bad_calendar_time_zone_is_refused(zone: object) -> None:
    # Given a calendar timeZone Connect would refuse / Then the sentence names the file
    with pytest.raises(IvrDocumentError, match=rf'^{SOURCE}: "timeZone" must be an IANA time zone name'):
        weekly_hours({"weekly": {}, "timeZone": zone}, source=SOURCE)


def test_files_inside_the_repo_are_named_relative_to_it(tmp_path: Path) -> None:
    # Given a repo file and a file elsewhere / Then messages show repo-relative and as-given paths
    assert display_path(DEFAULTS_DIR / "rules.json") == "lambdas/documents/defaults/rules.json"
    assert display_path(tmp_path / "rules.json") == str(tmp_path / "rules.json")


def test_the_shipped_escalation_policy_names_only_queues_the_stack_creates() -> None:
    # Given the shipped escalation policy / When its queues are checked against the stack's
    policy = load_default_documents()["escalation"]
    queues = policy_queues(policy.document, source=policy.source, known=constants.QUEUE_NAMES)
    # Then they are its declared queues, every one a queue the stack creates
    assert queues == tuple(policy.document["queues"])
    assert set(queues) <= set(constants.QUEUE_NAMES)
    assert policy.document["kind"] == DOCUMENT_KINDS["escalation"] == "tandem/escalation-policy"


def test_a_policy_queue_the_stack_does_not_create_is_named() -> None:
    # Given a policy that routes to a queue with no ARN in QUEUE_ARNS / Then one sentence names it
    with pytest.raises(IvrDocumentError) as caught:
        policy_queues({"queues": ["general", "sales"]}, source="defaults/escalation.json", known=("general",))
    assert str(caught.value) == (
        'defaults/escalation.json: queue "sales" is not one the stack creates; '
        "expected one of general (infra/constants.py QUEUE_NAMES)"
    )


@pytest.mark.parametrize("queues", [None, [], "general", ["general", 5]])
def test_policy_queues_must_be_a_list_of_names(queues: object) -> None:
    # Given a policy whose queues are not a list of names / Then the sentence says what is expected
    with pytest.raises(
        IvrDocumentError, match=r'^defaults/escalation\.json: "queues" must be a non-empty list'
    ):
        policy_queues({"queues": queues}, source="defaults/escalation.json", known=("general",))
