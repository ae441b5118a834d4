"""The interface every CRM adapter implements."""

from __future__ import annotations

from typing import Protocol

from lambdas.crm_lookup.model import CustomerRecord
from lambdas.shared.budget import Deadline


class CrmAdapter(Protocol):
    name: str  # short label for logs and metrics: "dynamodb", "http"

    def find_by_phone(self, e164: str, deadline: Deadline) -> CustomerRecord | None:
        """The customer with this E.164 number, or None when the CRM has no such customer.

        Raises `CrmUnavailable` when the CRM cannot answer; never returns partial garbage.
        Must not outlive `deadline` by more than one client timeout.
        """
        ...
