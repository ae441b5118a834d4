"""moto's DynamoDB Query on a table's own key at a cost that grows with the partition, not the table.

moto 5.2.5's `Table.query`, without an index, starts from `Table.all_items()`: every item of the
table, sorted by key, from which it keeps the asked partition's. The Metrics table holds every
call's state and every counter, so each counter read in the sandbox (the experiment guard, `tandem
report`, `tandem experiment status`) sorts the whole table. `install()` wraps `Table.query` so that,
while a Query without an index runs in this thread, the table's `all_items()` gives only the asked
partition's items; moto's method does everything else as before: the partition check (each item
still has the asked hash key), the sort by range key, the direction, paging, limits, size limits,
projections and filters. A Query on an index, and every other caller of `all_items()` (Scan among
them), is unchanged.

Installed with the other sandbox patches by `tandem.local.moto_patches.install()`; moto 5.2.5
only. Proven equal to moto's method by tests/unit/test_moto_query.py.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

ORIGINAL_QUERY = Table.query
ORIGINAL_ALL_ITEMS = Table.all_items
_ASKED = threading.local()  # the (table, partition's items) of the Query this thread is running


def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name or hash_key is None:
        return ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
    previous = getattr(_ASKED, "query", None)
    _ASKED.query = (self, _partition(self, hash_key))
    try:
        return ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
    finally:
        _ASKED.query = previous


def all_items(self: Table) -> list[Item]:
    asked = getattr(_ASKED, "query", None)
    if asked is not None and asked[0] is self:
        return list(asked[1])
    return ORIGINAL_ALL_ITEMS(self)


def _partition(table: Table, hash_key: DynamoType) -> list[Item]:
    """The partition's items; moto keeps them under their hash key. Unsorted: the query sorts what
    it keeps by range key next, and range keys are unique within a partition."""
    slot = table.items.get(hash_key)
    if slot is None:
        return []
    if not table.range_key_attr:
        return [slot]  # type: ignore[list-item]
    return list(slot.values())


def install() -> None:
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]


def uninstall() -> None:
    Table.query = ORIGINAL_QUERY  # type: ignore[method-assign]
    Table.all_items = ORIGINAL_ALL_ITEMS  # type: ignore[method-assign]
