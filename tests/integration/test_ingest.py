"""`tandem ingest` on moto: contact records from files through the real ctr_ingest, each call once.

The command runs against the test's sandbox (a nested `sandbox()` would reset moto's state), so the
counters it leaves are read back from the Metrics table exactly as `tandem report` reads them.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tandem.cli import main
from tandem.kpi_report import build_report
from tandem.local import Sandbox
from tandem.local.faults import Fault
from tandem.record_ingest import ingest_files
from tests.unit.test_ctr_classify import ctr

DAY = date(2025, 3, 4)  # ctr()'s calls start 2025-03-04 14:15 UTC
SELF_SERVED = {"tandemOutcome": "SELF_SERVED", "route": "SELF_SERVICE", "intent": "ORDER_STATUS"}
PHONE = "+12025550143"  # ctr()'s caller: must never reach the output


def call(n: int, **fields: Any) -> dict[str, Any]:
    return ctr(f"a1b2c3d4-0000-4000-8000-{n:012d}", attributes=SELF_SERVED, **fields)


def lines(records: list[Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def contacts(box: Sandbox) -> int:
    report = build_report(box.client("dynamodb"), box.table_names["METRICS_TABLE"], DAY, DAY)
    return report.overall["contacts"]


@pytest.fixture
def cli(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    monkeypatch.setattr("tandem.local.sandbox", lambda **_: contextlib.nullcontext(box))
    return box


def ingest_json(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, dict[str, Any], str]:
    code = main(["ingest", *map(str, paths), "--format", "json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("form", ["array", "lines", "concatenated"])
def test_each_form_is_counted_once_per_call(
    cli: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path, form: str, compress: bool
) -> None:
    records = [call(n) for n in range(1, 8)]
    text = {
        "array": json.dumps(records, indent=1),
        "lines": lines(records),
        "concatenated": "".join(json.dumps(r) for r in records),
    }[form]
    path = tmp_path / "records"
    path.write_bytes(gzip.compress(text.encode()) if compress else text.encode())
    code, document, err = ingest_json(capsys, path)
    assert (code, err) == (0, "")
    assert document["records"] == 7
    assert document["events"] == 1
    assert (document["callsCounted"], document["callsUnchanged"], document["refused"]) == (7, 0, [])
    assert contacts(cli) == 7


def test_batches_of_100_across_files_and_refusals_named_by_file_and_position(
    cli: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given 150 records in a JSON-lines file, two of them unusable, and 120 in a gzip array file,
    # one unusable: records in three events of 100, 100 and 70, a refusal in the second event
    first = [call(n) for n in range(1, 151)]
    first[9] = call(10) | {"ContactId": PHONE}  # record 10: a phone number where the id goes
    first[129] = call(130) | {"Queue": "general"}  # record 130: a queue that is not an object
    second = [call(n) for n in range(151, 271)]
    second[44] = call(195) | {"Agent": "Jane Doe"}
    (tmp_path / "one.jsonl").write_text(lines(first))
    (tmp_path / "two.json.gz").write_bytes(gzip.compress(json.dumps(second, indent=2).encode()))
    # When both are ingested
    code, document, _ = ingest_json(capsys, tmp_path / "one.jsonl", tmp_path / "two.json.gz")
    # Then every usable call counts once, and each refusal names its file, record, line, code, field
    assert code == 1
    assert (document["records"], document["events"]) == (270, 3)
    assert document["refused"] == [
        {
            "file": str(tmp_path / "one.jsonl"),
            "record": 10,
            "line": 10,
            "reason": "CONTACT_ID_INVALID",
            "field": "ContactId",
        },
        {
            "file": str(tmp_path / "one.jsonl"),
            "record": 130,
            "line": 130,
            "reason": "QUEUE_NOT_OBJECT",
            "field": "Queue",
        },
        {
            "file": str(tmp_path / "two.json.gz"),
            "record": 45,
            "line": 2 + sum(json.dumps(r, indent=2).count("\n") + 1 for r in second[:44]),  # after "["
            "reason": "AGENT_NOT_OBJECT",
            "field": "Agent",
        },
    ]
    assert document["callsCounted"] == 267
    assert contacts(cli) == 267
    assert [f["records"] for f in document["files"]] == [150, 120]
    # And nothing of a record's values is echoed: not the number, not the agent's name
    assert PHONE not in json.dumps(document) and "Jane" not in json.dumps(document)


def test_the_table_lists_refusals_and_says_exit_1(
    cli: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text(lines([call(1), call(2) | {"ContactId": PHONE}, call(3)]))
    assert main(["ingest", str(path)]) == 1
    out = capsys.readouterr().out
    assert "3 records sent in 1 events: 2 calls counted, 0 unchanged" in out
    row = next(line for line in out.splitlines() if "CONTACT_ID_INVALID" in line)
    assert row.split() == [str(path), "2", "2", "CONTACT_ID_INVALID", "ContactId"]
    assert PHONE not in out


def test_an_unreadable_file_counts_what_came_before_once_and_a_fixed_rerun_double_counts_nothing(
    cli: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given 130 records and a file cut off in the middle of record 131
    records = [call(n) for n in range(1, 141)]
    whole = lines(records)
    cut = whole[: whole.index(json.dumps(records[130])) + 40]
    path = tmp_path / "export.jsonl"
    path.write_text(cut)
    # When it is ingested
    code, document, err = ingest_json(capsys, path)
    # Then one line names the file and the position, without a traceback, and exit is 1
    assert code == 1
    truncated = "the file ends in the middle of a record (truncated?)"
    assert err == f"tandem ingest: {path}: record 131 (line 131): {truncated}\n"
    assert document["files"][0]["unreadable"] == {
        "file": str(path),
        "record": 131,
        "line": 131,
        "reason": "the file ends in the middle of a record (truncated?)",
    }
    # And the 130 records before it were counted, once
    assert (document["records"], document["callsCounted"]) == (130, 130)
    assert contacts(cli) == 130
    # When the file is fixed (the whole export) and ingested again
    path.write_text(whole)
    code, document, err = ingest_json(capsys, path)
    # Then only the 10 new calls count; the 130 are unchanged, and the counters hold 140, not 270
    assert (code, err) == (0, "")
    assert (document["callsCounted"], document["callsUnchanged"]) == (10, 130)
    assert contacts(cli) == 140
    # And a third run changes nothing at all
    code, document, _ = ingest_json(capsys, path)
    assert (code, document["callsCounted"], document["callsUnchanged"]) == (0, 0, 140)
    assert contacts(cli) == 140


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04 a zip file", "not JSON records"),
        (gzip.compress(b'{"a": 1}')[:-12] + b"\x00" * 4, "gzip"),
        (b'{"ContactId": "x"}\n{"ContactId": \xff}\n', "not UTF-8"),
    ],
    ids=["not-json", "corrupt-gzip", "not-utf8"],
)
def test_unreadable_files_are_one_line_each_and_the_next_file_is_still_read(
    cli: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path, data: bytes, reason: str
) -> None:
    bad, good = tmp_path / "bad.bin", tmp_path / "good.jsonl"
    bad.write_bytes(data)
    good.write_text(lines([call(1), call(2)]))
    assert main(["ingest", str(bad), str(good)]) == 1
    captured = capsys.readouterr()
    errors = captured.err.splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"tandem ingest: {bad}: record ")
    assert reason in errors[0]
    assert "Traceback" not in captured.err + captured.out
    assert contacts(cli) == 2


class FirstWriteFails:
    """The sandbox, but ctr_ingest's first invocation finds DynamoDB's writes unavailable throughout
    (its SDK retries included), as a throttled table would; later invocations find it well."""

    def __init__(self, box: Sandbox) -> None:
        self.box, self.invocations = box, 0

    def invoke(self, function_name: str, event: Any) -> dict[str, str]:
        self.invocations += 1
        if self.invocations > 1:
            return self.box.invoke(function_name, event)
        with self.box.fault(Fault("dynamodb", "TransactWriteItems")):
            return self.box.invoke(function_name, event)

    @property
    def last(self) -> Any:
        return self.box.last


def test_a_failed_write_is_sent_again_and_counts_once(box: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text(lines([call(n) for n in range(1, 6)]))
    flaky = FirstWriteFails(box)
    summary = ingest_files(flaky, [path])
    # Then ctr_ingest reported the batch for retry, it was sent again, and every call counts once
    assert summary.events == flaky.invocations == 2
    assert summary.failed == []
    assert summary.calls_counted == 5
    assert contacts(box) == 5


def test_without_a_server_it_says_the_counts_are_gone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A real in-process sandbox (the suite never attaches): its counters end with the command
    path = tmp_path / "calls.jsonl"
    path.write_text(lines([call(1)]))
    code, document, _ = ingest_json(capsys, path)
    assert code == 0
    assert document["callsCounted"] == 1
    assert document["kept"] is False
    assert "in-process sandbox" in document["source"]
    assert "gone" in document["note"] and "tandem sandbox up" in document["note"]


def test_a_path_that_does_not_exist_is_a_usage_error_before_anything_is_counted(
    cli: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(lines([call(1)]))
    assert main(["ingest", str(good), str(tmp_path / "typo.jsonl")]) == 2
    assert capsys.readouterr().err == f"tandem ingest: no such file: {tmp_path / 'typo.jsonl'}\n"
    assert contacts(cli) == 0
