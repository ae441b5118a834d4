"""The moment a handler decides by, as a dependency: `Clock` in each function's deps.

Deployed, it is `utc_now`. The sandbox pins it (`Container.replaced(clock=...)`, entered by
`box.clock(moment)`) so opening hours, holidays and TTLs can be tested as of any moment, without
touching a module's globals.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
