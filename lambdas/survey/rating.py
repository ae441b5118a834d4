"""What the survey block passed: the caller's rating, and the contact's routing codes.

Route, queue and intent are kept when they look like the codes the flow sets (`AGENT`, `general`,
`ORDER_STATUS`) and dropped otherwise, so free text that could carry personal data is never stored.
"""

from __future__ import annotations

import re

from lambdas.shared.event import ContactEvent

RATINGS = ("1", "2", "3", "4", "5")
# ivr_decision's routes; survey's asset does not carry that package, so they are listed here.
ROUTES = ("SELF_SERVICE", "AGENT", "CALLBACK", "CLOSED")
QUEUE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,47}$")


def parse_rating(raw: str) -> int | None:
    """1..5 from exactly one digit; anything else (0, 6, 3.5, words, empty) is None."""
    text = raw.strip()
    return int(text) if text in RATINGS else None


def routing_codes(event: ContactEvent) -> dict[str, str]:
    """route, queue and intent as the flow passed them (or as contact attributes), codes only."""
    route = event.value("route").upper()
    queue = event.value("queue").lower()
    intent = event.value("intent").upper()
    return {
        "route": route if route in ROUTES else "",
        "queue": queue if QUEUE.match(queue) else "",
        "intent": intent if CODE.match(intent) else "",
    }
