"""Contact records from files, one at a time, whatever the file's size.

A file holds JSON values in one of three forms, told apart by its first character:

- a JSON array of records (`[` first);
- JSON lines, one record a line, or records concatenated with no delimiter at all (how Kinesis Data
  Firehose writes them to S3 by default): both start with `{` and are read the same way, one value
  after another with any whitespace (or none) between them.

Gzip is recognised by its magic bytes, never by the file's name. The file is decoded in chunks
(`CHUNK_CHARS`) into a sliding buffer, and each value is cut out with `json.JSONDecoder.raw_decode`,
so memory holds a chunk and the record being read, never the file; a record may be at most
`MAX_RECORD_BYTES` (Kinesis's limit for one record). Each record comes out as its exact JSON text
(`FileRecord.data`) with its position: its index in the file and the line it starts on.

A file that cannot be read on (not JSON, truncated mid-record, a corrupt gzip, not UTF-8) raises
`UnreadableFile` with a one-line reason and the position, after every record before it was yielded.
"""

from __future__ import annotations

import codecs
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
GZIP_WBITS = 16 + zlib.MAX_WBITS  # zlib reads the gzip header and trailer (and checks the CRC)
COMPRESSED_CHUNK = 64 * 1024
CHUNK_CHARS = 64 * 1024
MAX_RECORD_BYTES = 1024 * 1024  # a Kinesis record's data is at most 1 MiB
_WHITESPACE = re.compile(r"[ \t\n\r]*")  # JSON's whitespace, nothing else
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Position:
    """Where a record is in its file: `record` counts from 1, `line` is where the record starts."""

    path: str
    record: int
    line: int

    def __str__(self) -> str:
        return f"{self.path}: record {self.record} (line {self.line})"

    def to_dict(self) -> dict[str, str | int]:
        return {"file": self.path, "record": self.record, "line": self.line}


@dataclass(frozen=True)
class FileRecord:
    position: Position
    data: bytes  # the record's JSON text as it is in the file, UTF-8


class UnreadableFile(ValueError):
    """The file cannot be read past `position` (the record that could not be read); one line."""

    def __init__(self, position: Position, reason: str) -> None:
        super().__init__(f"{position}: {reason}")
        self.position = position
        self.reason = reason


def read_records(path: Path, *, chunk_chars: int = CHUNK_CHARS) -> Iterator[FileRecord]:
    """Every record of the file at `path`, in order; `UnreadableFile` where it cannot go on."""
    shown = str(path)
    try:
        raw = path.open("rb")
    except OSError as error:
        raise UnreadableFile(Position(shown, 1, 1), error.strerror or type(error).__name__) from None
    with raw:
        try:
            compressed = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
        except OSError as error:
            raise UnreadableFile(Position(shown, 1, 1), error.strerror or type(error).__name__) from None
        stream: BinaryIO | _Gunzip = _Gunzip(raw) if compressed else raw
        yield from _Reader(shown, stream, chunk_chars, compressed).records()


class _Gunzip:
    """Gzip decompressed as it is read, member after member (`cat a.gz b.gz` is one gzip file).

    Not `gzip.GzipFile`: a read that meets corrupt data gives back nothing of what it decompressed
    before it, and every record before the damage must still be read.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.inflate = zlib.decompressobj(wbits=GZIP_WBITS)
        self.pending = b""  # compressed input not yet given to `inflate`
        self.member_open = False  # the current member has had input and has not ended

    def read(self, size: int) -> bytes:
        while True:
            if not self.pending:
                self.pending = self.raw.read(COMPRESSED_CHUNK)
                if not self.pending:
                    if self.member_open:
                        raise EOFError("the compressed data ends before its end-of-stream marker")
                    return b""
            self.member_open = True
            out = self.inflate.decompress(self.pending, size)
            self.pending = self.inflate.unconsumed_tail
            if self.inflate.eof:  # the member ended: another may follow (zero padding is skipped)
                rest = (self.inflate.unused_data + self.pending).lstrip(b"\0")
                self.inflate, self.pending = zlib.decompressobj(wbits=GZIP_WBITS), rest
                self.member_open = False
            if out:
                return out


class _Reader:
    """The sliding buffer: text decoded so far and not yet consumed, with the line it starts on."""

    def __init__(self, path: str, stream: BinaryIO | _Gunzip, chunk_chars: int, compressed: bool) -> None:
        self.path, self.stream, self.chunk_chars, self.compressed = path, stream, chunk_chars, compressed
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buffer = ""
        self.pos = 0  # the next character to read in `buffer`
        self.line = 1  # the line of buffer[line_counted]
        self.line_counted = 0
        self.eof = False
        self.record = 0  # records yielded so far
        self.bytes_read = 0

    def records(self) -> Iterator[FileRecord]:
        first = self._next_character()
        if first is None:
            return
        if first == "[":
            yield from self._array()
        elif first == "{":
            yield from self._values()
        else:
            raise self._error("not JSON records: expected a JSON array, JSON lines or JSON objects")

    def _array(self) -> Iterator[FileRecord]:
        self.pos += 1  # the "["
        if self._next_character() == "]":
            self.pos += 1
        else:
            while True:
                yield self._value()
                after = self._next_character()
                if after == ",":
                    self.pos += 1
                    continue
                if after == "]":
                    self.pos += 1
                    break
                raise self._error(
                    "the array ends before its closing ]"
                    if after is None
                    else "expected , or ] after a record in the array"
                )
        if self._next_character() is not None:
            raise self._error("more text after the array's closing ]")

    def _values(self) -> Iterator[FileRecord]:
        while self._next_character() is not None:
            yield self._value()

    def _value(self) -> FileRecord:
        """The value at `pos` (whitespace already skipped), reading on until it is whole."""
        if self._next_character() is None:
            raise self._error("the file ends where a record should be")
        while True:
            try:
                _, end = _DECODER.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as error:
                if not _may_go_on(self.buffer, error):
                    raise self._error(f"not JSON at line {self._line_at(error.pos)}: {error.msg}") from None
                if self.eof:
                    raise self._error("the file ends in the middle of a record (truncated?)") from None
                if self._record_chars() >= MAX_RECORD_BYTES:
                    raise self._error(f"a record does not end within {MAX_RECORD_BYTES:,} bytes") from None
                self._fill()
                continue
            if not self.eof and self.buffer[self.pos] not in '{["' and self.buffer[end : end + 1] in _GOES_ON:
                # A number or a literal may go on in the next chunk: "-4" may be "-4.5e3".
                self._fill()
                continue
            text = self.buffer[self.pos : end]
            data = text.encode("utf-8")
            if len(data) > MAX_RECORD_BYTES:
                raise self._error(f"the record is larger than {MAX_RECORD_BYTES:,} bytes (Kinesis's limit)")
            self.record += 1
            position = Position(self.path, self.record, self._line_at(self.pos))
            self.pos = end
            return FileRecord(position, data)

    def _record_chars(self) -> int:
        return len(self.buffer) - self.pos

    def _next_character(self) -> str | None:
        """Skip whitespace (reading on as needed); the next character, None at the end of the file."""
        while True:
            match = _WHITESPACE.match(self.buffer, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if self.eof:
                return None
            self._fill()

    def _fill(self) -> None:
        """Drop what is consumed and decode the next chunk onto the buffer (or reach the end)."""
        self._line_at(self.pos)  # count the lines of what is dropped
        self.buffer = self.buffer[self.pos :]
        self.line_counted -= self.pos
        self.pos = 0
        try:
            chunk = self.stream.read(self.chunk_chars)
            self.bytes_read += len(chunk)
            text = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise self._error(f"not UTF-8 text (near byte {self.bytes_read:,})") from None
        except (zlib.error, EOFError, OSError) as error:
            what = "a corrupt or truncated gzip file" if self.compressed else "the file could not be read"
            raise self._error(f"{what} ({_one_line(error)})") from None
        self.eof = not chunk
        self.buffer += text

    def _line_at(self, index: int) -> int:
        """The line of buffer[index]; indexes only move forward, so each newline is counted once."""
        if index > self.line_counted:
            self.line += self.buffer.count("\n", self.line_counted, index)
            self.line_counted = index
        return self.line

    def _error(self, reason: str) -> UnreadableFile:
        """The problem is in the record after those yielded, which starts at `pos`."""
        line = self._line_at(min(self.pos, len(self.buffer)))
        return UnreadableFile(Position(self.path, self.record + 1, line), reason)


_LITERAL_PREFIXES = frozenset(word[:n] for word in ("true", "false", "null") for n in range(1, 5))
_GOES_ON = frozenset(["", *".eE+-0123456789"])  # what may follow a number's text within the number
_NUMBER_PREFIX = re.compile(r"-?\d*(\.\d*)?([eE][-+]?\d*)?")


def _may_go_on(buffer: str, error: json.JSONDecodeError) -> bool:
    """Could more text make this a record? Only if the error is at the end of what was read: inside
    a string, or after a prefix of a literal or a number that the next chunk may complete."""
    rest = buffer[error.pos :]
    if error.msg.startswith("Unterminated string") or (
        error.msg.startswith("Invalid \\u") and len(rest) <= 5
    ):
        return True
    return not rest.strip() or rest in _LITERAL_PREFIXES or bool(_NUMBER_PREFIX.fullmatch(rest))


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]
