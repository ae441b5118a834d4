"""Connect's JSONPath references, as the flow simulator reads them.

A flow parameter holds either a whole reference (`"$.External.route"`, `"$.Attributes.['my attr']"`)
or text with references inside (`"Hello $.Attributes.firstName, thanks for calling."`). Both read
from one namespace: a dict whose top-level keys are Connect's (`Attributes`, `External`,
`FlowAttributes`, `Lex`, `Metrics`, `Queue`, `CustomerEndpoint`, `Channel`, ...). A reference to
anything missing reads as "", as an unset attribute does in Connect.

Whole references may name keys with any character except `.`, `[`, `]` and whitespace
(`$.FlowAttributes.acme-exampleFunction`); inside text a bare key is letters, digits and `_`
only, so punctuation after a reference ("..., thanks") is not read as part of it. Keys with other
characters use the bracket form, `$.Attributes.['my attr']` or `$.Attributes['my attr']`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

_BRACKET = r"\[\s*(?:'[^']*'|\"[^\"]*\")\s*\]"
_WHOLE = re.compile(rf"^\$(?:\.?{_BRACKET}|\.[^.\[\]\s]+)+$")
_EMBEDDED = re.compile(rf"\$(?:\.?{_BRACKET}|\.[A-Za-z0-9_]+)+")
_SEGMENT = re.compile(rf"\.?({_BRACKET})|\.([^.\[\]\s]+)")


def is_reference(text: str) -> bool:
    """True when `text` is one whole JSONPath reference (static values are not)."""
    return text.startswith("$") and _WHOLE.match(text) is not None


@lru_cache(maxsize=4096)
def segments(path: str) -> tuple[str, ...]:
    """The keys of a reference: `$.Attributes.['my attr']` → ("Attributes", "my attr")."""
    keys: list[str] = []
    position = 1  # after "$"
    while position < len(path):
        match = _SEGMENT.match(path, position)
        if match is None:
            break
        bracket, bare = match.groups()
        keys.append(bare if bare is not None else bracket.strip()[1:-1].strip()[1:-1])
        position = match.end()
    return tuple(keys)


def lookup(namespace: Mapping[str, Any], path: str) -> Any:
    """The value a reference names, or None when any part of it is missing."""
    node: Any = namespace
    for key in segments(path):
        if isinstance(node, Mapping):
            node = node.get(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return None
        if node is None:
            return None
    return node


def as_text(value: Any) -> str:
    """How a value reads in a flow: strings as they are, missing as "", objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def resolve(namespace: Mapping[str, Any], text: str) -> str:
    """`text` with its references replaced: a whole reference, or references inside text."""
    if "$" not in text:
        return text
    if is_reference(text):
        return as_text(lookup(namespace, text))
    return _EMBEDDED.sub(lambda match: as_text(lookup(namespace, match.group(0))), text)


def resolve_value(namespace: Mapping[str, Any], value: Any) -> Any:
    """`resolve` applied to every string inside `value` (dicts and lists are copied, keys kept)."""
    if isinstance(value, str):
        return resolve(namespace, value)
    if isinstance(value, dict):
        return {key: resolve_value(namespace, item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_value(namespace, item) for item in value]
    return value
