"""What a replay compares: per call, the decision observed (stored) and the one replayed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CallMove:
    """One call's final decision (the last one the call made), as observed and as replayed."""

    initial_contact_id: str
    decided_at: datetime  # when the observed decision was made (UTC, aware)
    intent: str  # the context's intent ("" when none)
    observed_route: str  # Route value, e.g. "SELF_SERVICE", "AGENT", "CALLBACK", ...
    replayed_route: str
    observed_rule: str
    replayed_rule: str
    observed_queue: str | None
    replayed_queue: str | None

    @property
    def changed(self) -> bool:
        return (self.observed_route, self.observed_rule, self.observed_queue) != (
            self.replayed_route,
            self.replayed_rule,
            self.replayed_queue,
        )
