"""moto's DynamoDB item construction at a cost that grows with the item, not with its square.

moto 5.2.5 builds every stored item (`Item.__init__`, on each PutItem, each Put of a transaction
and each item an update creates) by setting its attributes one at a time on a `LimitedSizeDict`,
whose `__setitem__` re-measures every attribute already set, so that it can refuse an item over
DynamoDB's size limit. An item of n attributes is measured n times over: a decision with its
context map costs about a millisecond in the sandbox, as much as the rest of the request.

`install()` swaps in `item_init` below: the same attributes in the same order, each converted
(`DynamoType`) and measured once, with the running total checked against moto's limit at each step
exactly where moto checks it, so an oversized item raises the same `ItemSizeTooLarge` from the
same attribute. Its attribute names and short strings are interned on the way in (equal
values, one copy each), so a long sandbox day's tables hold far fewer strings. Later writes to
`item.attrs` (updates) still go through moto's own check.

moto also keeps every model object it ever builds (`BaseModel.__new__` appends it to the class's
`instances_tracked`, for its `/moto-api/data.json` dashboard), so every item an update, an
overwrite or a transaction's rollback copy replaced stays in memory for the process's life (a
1,000-call demo day left 5,800 dead items beside 4,900 live ones: ctr_ingest's counters and call
states are rewritten batch after batch). `install()` builds items without that list (`item_new`):
an item lives as long as a table or a request holds it. The sandbox never reads the dashboard;
there it lists no DynamoDB items.

Installed with the other sandbox patches by `tandem.local.moto_patches.install()`; moto 5.2.5
only. Proven equal to moto's constructor by tests/unit/test_moto_item_size.py; the upstream
report is docs/upstream/moto-item-size.md.
"""

from __future__ import annotations

import sys
from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize

ORIGINAL = Item.__init__
# moto's BaseModel.__new__, which Item inherits; `install()` gives Item its own.
ORIGINAL_NEW = Item.__new__
# moto's own limit in LimitedSizeDict.__setitem__ (DynamoDB's 400 KB, as moto measured it).
ITEM_SIZE_LIMIT = 405000
SHARED_STRING_MAX = 64  # longer strings are rarely repeated


def item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    """moto 5.2.5's `Item.__init__`, measuring each attribute once."""
    if not all(type(key) is str for key in attrs):  # never from the wire; moto's own way
        ORIGINAL(self, hash_key, range_key, attrs)
        return
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = LimitedSizeDict()
    size = 0
    for name, value in attrs.items():
        key = sys.intern(name)
        converted = DynamoType(_shared_strings(value))
        # moto measures a key as bytesize(key) when it is set and as bytesize(str(key)) after:
        # the same for a str key, so the running total is moto's sum at every step.
        size += bytesize(key) + converted.size()
        if size > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(self.attrs, key, converted)


def item_new(cls: type[Item], *args: Any, **kwargs: Any) -> Item:
    """A new item, not added to moto's list of every model object ever built."""
    return object.__new__(cls)


def _shared_strings(value: Any) -> Any:
    """`value` with its map keys and short strings interned: equal, and one copy per distinct string.

    A table holds thousands of items with the same attribute names, type codes and many of the
    same values; each request's JSON decodes its own copies, which a long sandbox day keeps.
    """
    if type(value) is dict:
        return {sys.intern(k) if type(k) is str else k: _shared_strings(v) for k, v in value.items()}
    if type(value) is list:
        return [_shared_strings(v) for v in value]
    if type(value) is str and len(value) <= SHARED_STRING_MAX:
        return sys.intern(value)
    return value


def install() -> None:
    Item.__init__ = item_init  # type: ignore[method-assign]
    Item.__new__ = staticmethod(item_new)  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    Item.__init__ = ORIGINAL  # type: ignore[method-assign]
    if "__new__" in vars(Item):  # back to the inherited BaseModel.__new__
        del Item.__new__
