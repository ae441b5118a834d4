"""IVR documents in SSM Parameter Store: writing them (`tandem rules push`, the sandbox's seeding)
and reading back what the store serves (`tandem rules export`, `tandem replay`).

Parts first, head last, stale parts of a longer earlier version deleted after the head moved
on: a Lambda reading at any moment sees either the old document or the new one, never a mix
(it checks the head's hash and keeps the old one on a mismatch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lambdas.documents.registry import Parsed, bundled_defaults, parse_text
from lambdas.documents.storage_format import (
    DOCUMENT_NAMES,
    StoredDocument,
    decode_documents,
    encode_document,
    head_name,
    stale_parts,
)
from lambdas.documents.store import fetch_parameters
from lambdas.policy.validation import DocumentError

SANDBOX_CONFIG_PATH = "/tandem/sandbox/ivr"


@dataclass(frozen=True)
class PushResult:
    document: str
    revision: str
    parameters: int
    removed: int
    size_bytes: int
    sha256: str


def push_document(ssm: Any, path: str, parsed: Parsed) -> PushResult:
    encoded = encode_document(path, parsed.name, parsed.canonical_text)
    head = head_name(path, parsed.name)
    for name, value in encoded.items():  # parts in order, the head last
        if name != head:
            _put(ssm, name, value)
    _put(ssm, head, encoded[head])
    existing = _names_under(ssm, head)
    stale = stale_parts(path, parsed.name, len(encoded) - 1, existing)
    for start in range(0, len(stale), 10):  # DeleteParameters takes at most 10 names
        ssm.delete_parameters(Names=stale[start : start + 10])
    return PushResult(
        document=parsed.name,
        revision=parsed.revision,
        parameters=len(encoded),
        removed=len(stale),
        size_bytes=len(parsed.canonical_text.encode("utf-8")),
        sha256=parsed.sha256,
    )


def seed_defaults(ssm: Any, path: str = SANDBOX_CONFIG_PATH) -> list[PushResult]:
    """Every shipped document, escalation's policy included, as CDK deploys them (ivr_documents)."""
    return [push_document(ssm, path, parsed) for parsed in bundled_defaults(DOCUMENT_NAMES).values()]


@dataclass(frozen=True)
class StoreRead:
    """What the store holds under a path: valid documents, and a one-line problem for each broken one."""

    documents: dict[str, Parsed]
    problems: dict[str, str]


def read_documents(ssm: Any, path: str, names: tuple[str, ...] = DOCUMENT_NAMES) -> StoreRead:
    """The documents as the functions would serve them from the store, read and validated the same
    way (one GetParametersByPath walk, then the registry's parser). A document never pushed is absent
    from both maps: the functions serve their bundled default for it."""
    decoded = decode_documents(path, fetch_parameters(ssm, path), names)
    documents: dict[str, Parsed] = {}
    problems: dict[str, str] = {}
    for name, stored in decoded.items():
        if not isinstance(stored, StoredDocument):
            problems[name] = str(stored)
            continue
        try:
            documents[name] = parse_text(stored.text, name)
        except DocumentError as error:
            problems[name] = f"{head_name(path, name)}: {error}"
    return StoreRead(documents, problems)


def _put(ssm: Any, name: str, value: str) -> None:
    ssm.put_parameter(Name=name, Value=value, Type="String", Tier="Standard", Overwrite=True)


def _names_under(ssm: Any, head: str) -> list[str]:
    names: list[str] = []
    paginator = ssm.get_paginator("get_parameters_by_path")
    for page in paginator.paginate(Path=head, Recursive=False):
        names += [parameter["Name"] for parameter in page.get("Parameters", [])]
    return names
