"""JSON from outside the program — a file on the command line, a document from the store — read so
that whatever it holds, the caller gets the value or one line saying what is wrong with it.

`json.loads` alone raises RecursionError on deep nesting and ValueError on an integer longer than
Python's digit limit, turns `1e999` into infinity and accepts `NaN`; reading a file adds
directories, devices, unreadable and binary files, other encodings and files too large to hold.
Every one of those is a `JsonInputError` here, whose message is the problem without the file's
name (callers say which file). Pure standard library: the Lambdas and the CLI share it.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

# Flow-language and IVR documents nest about 8 levels; far deeper is not a document, and walking
# it would exhaust the stack of whatever reads it next.
MAX_DEPTH = 64
# No document needs a number longer than this; Python refuses integers past 4,300 digits anyway.
MAX_NUMBER_CHARS = 100


class JsonInputError(ValueError):
    """Input that is not usable JSON; the message is one line, without the file's name."""


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type: object, array, string, number, boolean, null."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def loads(text: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """`text` parsed as strict JSON no deeper than `max_depth`; JsonInputError otherwise."""
    try:
        value = json.loads(text, parse_int=_integer, parse_float=_real, parse_constant=_not_json_constant)
    except RecursionError:
        raise JsonInputError(f"JSON nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError as error:
        raise JsonInputError(
            f"not valid JSON: line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    if depth(value, limit=max_depth) > max_depth:
        raise JsonInputError(f"JSON nested more than {max_depth} levels deep")
    return value


def read_text(path: Path, *, max_bytes: int, what: str = "file") -> str:
    """The UTF-8 text of the regular file `path` (a BOM is dropped), at most `max_bytes` long.

    The size is checked before the file is read, so an oversized input costs nothing.
    """
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise JsonInputError("is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise JsonInputError("is not a regular file")
        if info.st_size > max_bytes:
            raise JsonInputError(_too_large(info.st_size, max_bytes, what))
        with open(path, "rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as error:
        raise JsonInputError(f"cannot read: {(error.strerror or str(error)).lower()}") from None
    if len(data) > max_bytes:  # grew since stat
        raise JsonInputError(_too_large(len(data), max_bytes, what))
    if not data.strip():
        raise JsonInputError("is empty; expected JSON")
    if b"\x00" in data:
        raise JsonInputError("is a binary file (it contains NUL bytes), not JSON text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise JsonInputError(
            f"is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None


def read_json(path: Path, *, max_bytes: int, what: str = "file", max_depth: int = MAX_DEPTH) -> Any:
    """`read_text` then `loads`: the file's JSON value, or JsonInputError naming the problem."""
    return loads(read_text(path, max_bytes=max_bytes, what=what), max_depth=max_depth)


def depth(value: Any, *, limit: int = MAX_DEPTH) -> int:
    """How deeply `value` nests (a scalar is 0), without recursion; stops counting past `limit`."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        node, level = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is not None:
            deepest = max(deepest, level + 1)
            if deepest > limit:
                return deepest
            pending.extend((child, level + 1) for child in children)
    return deepest


def _too_large(size: int, max_bytes: int, what: str) -> str:
    return f"is {size:,} bytes; a {what} may be at most {max_bytes:,} bytes"


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonInputError(f"holds a number {len(text):,} characters long; at most {MAX_NUMBER_CHARS}")
    return int(text)


def _real(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonInputError(f"holds a number {len(text):,} characters long; at most {MAX_NUMBER_CHARS}")
    value = float(text)
    if not math.isfinite(value):
        raise JsonInputError(f"holds the number {text[:20]}, too large to represent")
    return value


def _not_json_constant(text: str) -> Any:
    raise JsonInputError(f"holds {text}, which is not JSON")
