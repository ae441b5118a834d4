"""tandem.record_files: contact records read from files one at a time, whatever the form or size.

Every form (a JSON array, JSON lines, objects concatenated with no delimiter) is read plain and
gzip-compressed, at chunk sizes down to one character, so every record and every token crosses a
chunk boundary somewhere; unreadable files stop with a one-line reason at the right position after
yielding every record before it; a file many times the buffer is read in bounded memory.
"""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from tandem.record_files import CHUNK_CHARS, MAX_RECORD_BYTES, FileRecord, UnreadableFile, read_records
from tests.unit.test_ctr_classify import ctr

# Records with what makes splitting hard: escapes, non-ASCII, astral characters, numbers, literals.
RECORDS: list[dict[str, Any]] = [
    ctr(f"a1b2c3d4-0000-4000-8000-{n:012d}", attributes={"note": "é \\u00e9 \u2603 \U0001f600" * (n % 3)})
    | {"Score": -n * 1.5e3, "Flag": n % 2 == 0, "Nothing": None}
    for n in range(12)
]


def array_text(records: list[Any]) -> str:
    return "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n"


def lines_text(records: list[Any]) -> str:
    return "\n".join(json.dumps(r) for r in records) + "\n"


def concatenated_text(records: list[Any]) -> str:
    return "".join(json.dumps(r) for r in records)  # Firehose's default S3 form: no delimiter at all


FORMS = {"array": array_text, "lines": lines_text, "concatenated": concatenated_text}


def write(tmp_path: Path, name: str, text: str | bytes, *, compress: bool = False) -> Path:
    data = text.encode("utf-8") if isinstance(text, str) else text
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def read_all(path: Path, chunk_chars: int = CHUNK_CHARS) -> list[FileRecord]:
    return list(read_records(path, chunk_chars=chunk_chars))


def read_until_unreadable(
    path: Path, chunk_chars: int = CHUNK_CHARS
) -> tuple[list[FileRecord], UnreadableFile]:
    got: list[FileRecord] = []
    with pytest.raises(UnreadableFile) as raised:
        for record in read_records(path, chunk_chars=chunk_chars):
            got.append(record)
    return got, raised.value


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_plain_or_gzip_reads_every_record_exactly_at_any_chunk_size(
    tmp_path: Path, form: str, compress: bool
) -> None:
    # Given the records in the form, gzip or not, under a name that says nothing of either
    path = write(tmp_path, "records.data", FORMS[form](RECORDS), compress=compress)
    for chunk in (1, 2, 3, 5, 64, CHUNK_CHARS):
        # When read at this chunk size
        got = read_all(path, chunk)
        # Then each record comes out whole, as its exact text in the file, in order, numbered from 1
        assert [json.loads(r.data) for r in got] == RECORDS, chunk
        assert [r.data for r in got] == [json.dumps(r).encode() for r in RECORDS]
        assert [r.position.record for r in got] == list(range(1, len(RECORDS) + 1))
        assert {r.position.path for r in got} == {str(path)}


def test_positions_name_the_line_each_record_starts_on(tmp_path: Path) -> None:
    lines = read_all(write(tmp_path, "a.jsonl", lines_text(RECORDS[:3])), chunk_chars=7)
    assert [(r.position.record, r.position.line) for r in lines] == [(1, 1), (2, 2), (3, 3)]
    array = read_all(write(tmp_path, "a.json", array_text(RECORDS[:3])), chunk_chars=7)
    assert [(r.position.record, r.position.line) for r in array] == [(1, 2), (2, 3), (3, 4)]
    spaced = read_all(write(tmp_path, "b.jsonl", '\n\n{"a": 1}\n\n  {"b": 2}{"c": 3}\n'), chunk_chars=2)
    assert [(r.position.record, r.position.line, r.data) for r in spaced] == [
        (1, 3, b'{"a": 1}'),
        (2, 5, b'{"b": 2}'),
        (3, 5, b'{"c": 3}'),
    ]
    assert str(spaced[2].position) == f"{tmp_path / 'b.jsonl'}: record 3 (line 5)"


def test_numbers_and_literals_split_across_chunks_are_read_whole(tmp_path: Path) -> None:
    # Values ctr_ingest will refuse (not objects), but the reader must not cut "-4.5e3" into "-4"
    path = write(tmp_path, "values.jsonl", '{}1 22 -4.5e3\ntrue null "x"\n')
    for chunk in (1, 2, 3):
        assert [r.data for r in read_all(path, chunk)] == [
            b"{}",
            b"1",
            b"22",
            b"-4.5e3",
            b"true",
            b"null",
            b'"x"',
        ]


def test_several_gzip_members_and_trailing_padding_are_one_file(tmp_path: Path) -> None:
    data = gzip.compress(lines_text(RECORDS[:2]).encode()) + gzip.compress(
        concatenated_text(RECORDS[2:5]).encode()
    )
    path = write(tmp_path, "joined", data + b"\0\0\0")
    assert [json.loads(r.data) for r in read_all(path)] == RECORDS[:5]


@pytest.mark.parametrize("text", ["", "  \n\n", "[]", "[ \n ]\n"])
def test_an_empty_file_or_array_has_no_records(tmp_path: Path, text: str) -> None:
    assert read_all(write(tmp_path, "empty.json", text)) == []


@pytest.mark.parametrize(
    ("text", "read", "record", "line", "reason"),
    [
        ("hello, world", 0, 1, 1, "not JSON records"),
        ('{"a": 1}\n{"b": x}\n{"c": 3}\n', 1, 2, 2, "not JSON at line 2: Expecting value"),
        ('{"a": 1}\n{"b": "unterminated', 1, 2, 2, "ends in the middle of a record"),
        ('[{"a": 1},\n {"b": 2},\n {"c": ', 2, 3, 3, "ends in the middle of a record"),
        ('[{"a": 1}, {"b": 2}', 2, 3, 1, "the array ends before its closing ]"),
        ('[{"a": 1} {"b": 2}]', 1, 2, 1, "expected , or ] after a record"),
        ('[{"a": 1}]\n{"b": 2}', 1, 2, 2, "more text after the array's closing ]"),
        ('{"a": 1}\n{"b": tru', 1, 2, 2, "ends in the middle of a record"),
    ],
)
def test_an_unreadable_file_stops_at_the_record_it_cannot_read(
    tmp_path: Path, text: str, read: int, record: int, line: int, reason: str
) -> None:
    path = write(tmp_path, "bad.json", text)
    for chunk in (1, 4, CHUNK_CHARS):
        got, problem = read_until_unreadable(path, chunk)
        # Then every record before it was read, and the error names the file and the position
        assert len(got) == read, chunk
        assert (problem.position.record, problem.position.line) == (record, line), chunk
        assert reason in problem.reason
        assert str(problem).startswith(f"{path}: record {record} (line {line}): ")
        assert "\n" not in str(problem)


def test_invalid_utf8_is_unreadable_after_the_records_before_it(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.jsonl", b'{"a": 1}\n{"name": "Jos\xe9"}\n')
    got, problem = read_until_unreadable(path, chunk_chars=4)
    assert [r.data for r in got] == [b'{"a": 1}']
    assert problem.position.record == 2
    assert "not UTF-8" in problem.reason


def test_a_truncated_gzip_yields_what_came_before_the_damage(tmp_path: Path) -> None:
    whole = gzip.compress(lines_text(RECORDS * 50).encode())
    path = write(tmp_path, "cut.gz", whole[: len(whole) * 2 // 3])
    got, problem = read_until_unreadable(path)
    # Then a good share of the records were read, each whole and in order, and the next is named
    assert len(got) > 100
    assert [json.loads(r.data) for r in got] == (RECORDS * 50)[: len(got)]
    assert problem.position.record == len(got) + 1
    assert "corrupt or truncated gzip" in problem.reason or "ends in the middle" in problem.reason


def test_a_corrupt_gzip_is_one_line_without_a_traceback_worth_of_text(tmp_path: Path) -> None:
    whole = gzip.compress(lines_text(RECORDS).encode())
    path = write(tmp_path, "noise.gz", whole[:12] + bytes(range(256)) + whole[12:])
    got, problem = read_until_unreadable(path)
    assert got == []
    assert problem.position.record == 1
    assert "corrupt or truncated gzip" in problem.reason
    assert "\n" not in str(problem)


def test_a_missing_file_is_unreadable_at_its_start(tmp_path: Path) -> None:
    got, problem = read_until_unreadable(tmp_path / "absent.json")
    assert got == []
    assert problem.position.record == 1
    assert "No such file" in problem.reason


def test_a_record_that_never_ends_is_refused_at_the_kinesis_limit_not_read_whole(tmp_path: Path) -> None:
    path = write(tmp_path, "huge.jsonl", '{"a": 1}\n{"b": "' + "x" * (MAX_RECORD_BYTES + 10) + '"}\n')
    got, problem = read_until_unreadable(path)
    assert len(got) == 1
    assert problem.position.record == 2
    assert "does not end within" in problem.reason or "larger than" in problem.reason


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_file_many_times_the_buffer_is_read_in_bounded_memory(tmp_path: Path, form: str) -> None:
    # Given a generated file of about 6 MB, 400 times the 16 KiB chunk the reader is given
    records = [RECORDS[n % len(RECORDS)] | {"ContactId": f"c-{n}"} for n in range(6_000)]
    path = write(tmp_path, f"big.{form}", FORMS[form](records))
    size = path.stat().st_size
    assert size > 5_000_000
    chunk = 16 * 1024
    # When it is read record by record, keeping nothing but a count and the last record
    tracemalloc.start()
    try:
        count, last = 0, None
        for record in read_records(path, chunk_chars=chunk):
            count, last = count + 1, record
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Then every record was read, and memory never held more than a few chunks: not the file
    assert count == len(records)
    assert last is not None and json.loads(last.data)["ContactId"] == "c-5999"
    # (a str of astral characters takes 4 bytes a character; about 0.1 MB was measured)
    assert peak < 10 * chunk * 4 < size / 9, f"peak {peak:,} bytes for a {size:,}-byte file"
