"""A sandbox's tables as they are now, and putting them back: many contacts on one sandbox, each
meeting the same data, at a fraction of the cost of a fresh sandbox per contact.

The tables are where the handlers keep what a later call reads back (a repeat caller's contacts,
a callback booked, a rating, a counter); everything else a flow's handlers touch is read-only to
them (the rules in SSM, the keyed-hash secret) or never read back by a call (refused records,
alarms). `TableSnapshot.take(box)` copies every table's items inside moto, and `restore(box)`
puts the copies back, the way moto restores a table from a backup (a deep copy of its items):
milliseconds, where reading and rewriting them through the API costs a tenth of a second per
contact. In-process sandboxes only: an attached server's state is another process's.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moto.dynamodb.models import dynamodb_backends

from tandem.local.provision import FAKE_ACCOUNT

if TYPE_CHECKING:
    from tandem.local.sandbox import Sandbox


@dataclass(frozen=True)
class TableSnapshot:
    """Each table's items (physical name → moto's item store), copied."""

    items: dict[str, Any]

    @classmethod
    def take(cls, box: Sandbox) -> TableSnapshot:
        return cls({name: copy.deepcopy(table.items) for name, table in _tables(box).items()})

    def restore(self, box: Sandbox) -> None:
        """Put every table's items back as they were taken."""
        for name, table in _tables(box).items():
            table.items = copy.deepcopy(self.items[name])


def _tables(box: Sandbox) -> dict[str, Any]:
    if box.persistent:
        raise ValueError("a table snapshot needs an in-process sandbox (attach=False)")
    backend = dynamodb_backends[FAKE_ACCOUNT][box.region]
    return {name: backend.get_table(name) for name in box.table_names.values()}
