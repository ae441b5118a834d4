"""How the IVR documents (rules, content, calendar) are laid out in SSM Parameter Store.

A Standard-tier parameter holds at most 4 KB and costs nothing; a rule set is larger. So each
document is split into numbered parts under `<path>/<document>/NN`, and a small head parameter
`<path>/<document>` names the part count and the SHA-256 of the whole text. Writers put the parts
first and the head last; a reader that catches a push half-way sees a hash mismatch and keeps
serving the set it had. The Lambda reads every document with one `GetParametersByPath` call.

Pure (no boto3): the Lambda, `tandem rules push`, the sandbox and the CDK construct share it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import NamedTuple

DOCUMENT_NAMES = ("rules", "content", "calendar", "escalation", "experiment")
# Beside the documents, never one of them: the guard's stop of an experiment (a JSON value,
# `lambdas.policy.experiment.read_stop`). `tandem rules push` writes documents only, so a push can
# never restart a stopped experiment; ivr_decision reads it with the documents, in the same read.
EXPERIMENT_STOP = "experiment-stop"
PARAMETER_MAX_BYTES = 4096  # Standard tier limit, in UTF-8 bytes
MAX_CHAR_BYTES = 4  # the widest character in UTF-8
MAX_PARTS = 16  # 64 KB per document; keeps a full read to a handful of pages
# What the store holds per document: its canonical (compact) text, in UTF-8 bytes.
DOCUMENT_MAX_BYTES = MAX_PARTS * PARAMETER_MAX_BYTES
# The shipped defaults (5 heads + their parts) take two GetParametersByPath pages of 10 at most.
READ_PAGE_SIZE = 10


class StorageFormatError(ValueError):
    """The stored layout is inconsistent (missing part, bad head, hash mismatch)."""


class StoredDocument(NamedTuple):
    name: str  # one of DOCUMENT_NAMES
    text: str
    sha256: str


def head_name(path: str, document: str) -> str:
    return f"{path.rstrip('/')}/{document}"


def stop_parameter_name(path: str) -> str:
    """`<path>/experiment-stop`: where the guard writes an experiment's stop."""
    return head_name(path, EXPERIMENT_STOP)


def part_name(path: str, document: str, index: int) -> str:
    return f"{head_name(path, document)}/{index:02d}"


def compact_json(document: Mapping[str, object]) -> str:
    """The canonical text stored for a document: compact, key order kept, UTF-8 as is."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def split_parts(text: str, max_bytes: int = PARAMETER_MAX_BYTES) -> list[str]:
    """Split into parts of at most `max_bytes` UTF-8 bytes, never inside a character."""
    if text.isascii():  # one byte a character: plain slices
        return [text[i : i + max_bytes] for i in range(0, len(text), max_bytes)] or [""]
    if max_bytes < MAX_CHAR_BYTES:  # a part may not hold a character: the careful split
        return split_by_character(text, max_bytes)
    # Cut the UTF-8 bytes at the limit, moved back to the start of the character it falls in: the
    # same parts as the character-by-character split, at cold start in a fraction of its time.
    data = text.encode("utf-8")
    parts: list[str] = []
    start = 0
    while start < len(data):
        end = min(start + max_bytes, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a continuation byte: inside a character
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start = end
    return parts or [""]


def split_by_character(text: str, max_bytes: int = PARAMETER_MAX_BYTES) -> list[str]:
    """`split_parts` for any text, one character at a time."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = len(char.encode("utf-8"))
        if size + width > max_bytes:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current or not parts:
        parts.append("".join(current))
    return parts


def encode_document(path: str, document: str, text: str) -> dict[str, str]:
    """Parameter name → value for one document: its parts and, last in order, its head."""
    if document not in DOCUMENT_NAMES:
        raise StorageFormatError(
            f"unknown document {document!r}; expected one of {', '.join(DOCUMENT_NAMES)}"
        )
    parts = split_parts(text)
    check_fits(document, parts)
    encoded = {part_name(path, document, i + 1): part for i, part in enumerate(parts)}
    head = {"parts": len(parts), "sha256": sha256_of(text)}
    encoded[head_name(path, document)] = json.dumps(head, separators=(",", ":"))
    return encoded


def check_fits(document: str, parts: list[str]) -> None:
    """StorageFormatError unless a document split into `parts` fits the store."""
    if len(parts) > MAX_PARTS:
        size_kb = sum(len(part.encode("utf-8")) for part in parts) / 1024
        raise StorageFormatError(
            f"{document} document is {size_kb:.1f} KB as stored; the store holds at most "
            f"{DOCUMENT_MAX_BYTES // 1024} KB per document "
            f"({MAX_PARTS} parameters of {PARAMETER_MAX_BYTES:,} bytes)"
        )


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode_documents(
    path: str, parameters: Mapping[str, str], names: tuple[str, ...] = DOCUMENT_NAMES
) -> dict[str, StoredDocument | StorageFormatError]:
    """Reassemble each document found under `path`; a broken one maps to its error.

    Documents with no head are absent from the result (never pushed): the caller keeps its
    bundled default for them.
    """
    result: dict[str, StoredDocument | StorageFormatError] = {}
    for document in names:
        head_text = parameters.get(head_name(path, document))
        if head_text is None:
            continue
        try:
            result[document] = _decode_one(path, document, head_text, parameters)
        except StorageFormatError as problem:
            result[document] = problem
    return result


def holds_documents(path: str, parameters: Mapping[str, str], names: tuple[str, ...]) -> bool:
    """True when `parameters` hold the head of each of `names` and every part it names (or a head
    that is broken whatever else is read): more of the path cannot change what `decode_documents`
    answers for them, so a reader may stop paging."""
    for document in names:
        head_text = parameters.get(head_name(path, document))
        if head_text is None:
            return False
        try:
            count, _ = _read_head(path, document, head_text)
        except StorageFormatError:
            continue
        if any(part_name(path, document, index) not in parameters for index in range(1, count + 1)):
            return False
    return True


def _read_head(path: str, document: str, head_text: str) -> tuple[int, str]:
    """(part count, sha256) from a document's head."""
    try:
        head = json.loads(head_text)
        count = int(head["parts"])
        expected = str(head["sha256"])
    except (ValueError, KeyError, TypeError):
        raise StorageFormatError(f"{head_name(path, document)}: head is not {{parts, sha256}}") from None
    if not 1 <= count <= MAX_PARTS:
        raise StorageFormatError(f"{head_name(path, document)}: part count {count} out of range")
    return count, expected


def _decode_one(path: str, document: str, head_text: str, parameters: Mapping[str, str]) -> StoredDocument:
    count, expected = _read_head(path, document, head_text)
    pieces: list[str] = []
    for index in range(1, count + 1):
        name = part_name(path, document, index)
        if name not in parameters:
            raise StorageFormatError(f"{name}: part missing (a push may be in progress)")
        pieces.append(parameters[name])
    text = "".join(pieces)
    if sha256_of(text) != expected:
        raise StorageFormatError(f"{head_name(path, document)}: parts do not match the head's hash")
    return StoredDocument(document, text, expected)


def stale_parts(path: str, document: str, keep: int, existing: list[str]) -> list[str]:
    """Names of parts beyond `keep` left behind by a longer earlier push (deleted last)."""
    prefix = head_name(path, document) + "/"
    stale = []
    for name in existing:
        suffix = name[len(prefix) :] if name.startswith(prefix) else ""
        if suffix.isdigit() and int(suffix) > keep:
            stale.append(name)
    return sorted(stale)
