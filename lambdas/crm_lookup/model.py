"""What the CRM knows about a caller, independent of where it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

REPEAT_WINDOW = timedelta(hours=72)


class CrmUnavailable(Exception):
    """The CRM could not answer (throttled, down, timed out, malformed reply, circuit open)."""


@dataclass(frozen=True)
class Order:
    order_id: str
    status: str  # e.g. SHIPPED, PROCESSING, DELIVERED, RETURNED
    placed_at: str = ""  # ISO date, for ordering only
    eta: str = ""  # ISO date the order is expected, when known


@dataclass(frozen=True)
class CustomerRecord:
    customer_id: str
    first_name: str
    tier: str  # standard | gold | vip
    language: str = ""
    latest_order: Order | None = None
    open_complaints: int = 0
    # When each recent contact happened; counted against "now" at answer time, so a cached
    # record stays correct as time passes.
    contact_times: tuple[datetime, ...] = field(default_factory=tuple)

    def recent_contacts(self, now: datetime, window: timedelta = REPEAT_WINDOW) -> int:
        return sum(1 for moment in self.contact_times if now - window <= moment <= now)


TIERS = ("standard", "gold", "vip")


def normalise_tier(value: object) -> str:
    """Unknown or missing tiers are treated as standard, never as an error."""
    text = str(value or "").strip().lower()
    return text if text in TIERS else "standard"
