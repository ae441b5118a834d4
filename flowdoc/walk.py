"""Walk every string of a parsed JSON document, object keys included, with its location.

Locations read like the document: `Actions[1].Parameters.LambdaFunctionARN`. Placeholders, literal
ARNs and other tools' templating can hide in keys as well as values, so keys are visited too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator


def child_path(path: str, key: object) -> str:
    """The location of `key` inside the object at `path` ("" is the document itself)."""
    return f"{path}.{key}" if path else str(key)


def strings(node: object, path: str = "") -> Iterator[tuple[str, str]]:
    """(location, text) for every string under `node`, object keys included, in document order."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            child = child_path(path, key)
            yield child, str(key)
            yield from strings(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from strings(value, f"{path}[{index}]")


def map_strings(node: object, fn: Callable[[str, str], str], path: str = "") -> object:
    """A copy of `node` with every string, object keys included, replaced by `fn(text, location)`."""
    if isinstance(node, str):
        return fn(node, path)
    if isinstance(node, dict):
        out: dict[str, object] = {}
        for key, value in node.items():
            child = child_path(path, key)
            out[fn(str(key), child)] = map_strings(value, fn, child)
        return out
    if isinstance(node, list):
        return [map_strings(value, fn, f"{path}[{index}]") for index, value in enumerate(node)]
    return node
