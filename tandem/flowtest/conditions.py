"""A test case's local conditions: what the simulator needs that Connect's testing language cannot say.

Connect runs a test case in the cloud, at the real time, with the deployment's settings and real
queues. Locally the same file runs against the sandbox, and some scenarios need a condition the
language has no action for: a moment (a closed evening, a holiday), a queue's estimated wait, a
setting such as the Lex bot's alias, the CRM answering 503, the caller's language, a withheld
number, a block that fails (a prompt, a set-attributes block: Connect's own faults, which the
language cannot cause). Those live in the document's `Metadata` (which the service keeps for tools and ignores
when it runs the test), under one key (`Tandem`):

    "Metadata": {"Tandem": {"Hours": "closed", "QueueWaitSeconds": 1500,
                            "Settings": {"lexBotAliasArn": "{{lex:fake_bot}}"},
                            "At": "2026-12-25T15:00:00Z",
                            "CrmDown": true, "LanguageCode": "vi-VN", "Caller": "anonymous",
                            "Faults": ["inbound_main/greeting",
                                       "customer_queue/set-number:InvalidCallbackNumber"]}}

Every key is optional; absent keys are the simulator's defaults (open hours, a quiet queue, no
settings, the CRM up, en-US, no faults). A case with `Faults` is local-only: its story cannot
happen in the cloud on demand, so the tests' stack does not deploy it and `--target aws` skips
it. A setting names a resource with a typed placeholder (`{{lex:fake_bot}}`, the local fake Lex
bot's alias), never a literal ARN. `read_conditions` checks the block, resolves those placeholders
to their local values, and answers one line naming the key when it is wrong; `conditions_block`
writes the block back with the placeholders (`tandem test record` does).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowdoc.placeholders import substitute_known
from infra.constants import LOCAL_METADATA_KEY
from tandem.flows.simulator.flows import LocalResources, local_placeholder

METADATA_KEY = LOCAL_METADATA_KEY

KEYS = ("Hours", "At", "QueueWaitSeconds", "Settings", "CrmDown", "LanguageCode", "Caller", "Faults")
# A block fault: "<flow>/<action id>", optionally ":<ErrorType>" (default: the block's NoMatchingError).
FAULT = re.compile(r"^(?P<flow>[A-Za-z0-9_.-]+)/(?P<action>[^:/\s]+)(?::(?P<error>[A-Za-z]+))?$")
WITHHELD_CALLER = "anonymous"


class ConditionsError(ValueError):
    """The local conditions are malformed; the message is one line naming the key."""


@dataclass(frozen=True)
class LocalConditions:
    hours: str = "open"  # "open" | "closed": the handlers' clock and CheckHoursOfOperation
    at: datetime | None = None  # a moment that overrides the open or closed one
    queue_wait_seconds: int | None = None  # None: a quiet queue
    settings: Mapping[str, str] = field(default_factory=dict)
    crm_down: bool = False
    language_code: str = "en-US"
    withheld: bool = False  # the caller's number is withheld (the entry point names none)
    faults: tuple[str, ...] = ()  # blocks that take an error branch instead of running (FAULT)

    @property
    def local_only(self) -> bool:
        """Whether the case can only run locally: a block fault has no testing-language form."""
        return bool(self.faults)

    def block_faults(self) -> dict[str, str]:
        """{"<flow>/<action id>": error type ("" for NoMatchingError)}, as the simulator takes them."""
        found = {}
        for fault in self.faults:
            match = FAULT.match(fault)
            assert match is not None  # read_conditions checked it
            found[f"{match['flow']}/{match['action']}"] = match["error"] or ""
        return found

    def simulation_kwargs(self) -> dict[str, Any]:
        """The `SimulationConfig` arguments these conditions set (the caller is the entry point's)."""
        kwargs: dict[str, Any] = {
            "hours": self.hours,
            "queue_wait_seconds": self.queue_wait_seconds,
            "settings": dict(self.settings),
            "language": self.language_code,
            "block_faults": self.block_faults(),
        }
        if self.at is not None:
            kwargs["at"] = self.at
        return kwargs


def read_conditions(metadata: Any) -> LocalConditions:
    """The local conditions in a test document's `Metadata`; defaults when there are none."""
    if metadata is None:
        return LocalConditions()
    if not isinstance(metadata, dict):
        raise ConditionsError("Metadata must be an object")
    block = metadata.get(METADATA_KEY)
    if block is None:
        return LocalConditions()
    if not isinstance(block, dict):
        raise ConditionsError(f"Metadata.{METADATA_KEY} must be an object")
    unknown = sorted(set(block) - set(KEYS))
    if unknown:
        raise ConditionsError(
            f"Metadata.{METADATA_KEY}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})"
        )
    where = f"Metadata.{METADATA_KEY}"
    hours = block.get("Hours", "open")
    if hours not in ("open", "closed"):
        raise ConditionsError(f"{where}.Hours must be 'open' or 'closed', not {hours!r}")
    at = _moment(block.get("At"), f"{where}.At")
    wait = block.get("QueueWaitSeconds")
    if wait is not None and (isinstance(wait, bool) or not isinstance(wait, int) or wait < 0):
        raise ConditionsError(f"{where}.QueueWaitSeconds must be a whole number of seconds >= 0")
    settings = block.get("Settings", {})
    if not isinstance(settings, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in settings.items()
    ):
        raise ConditionsError(f"{where}.Settings must map names to strings")
    settings = {name: _local_value(value, f"{where}.Settings.{name}") for name, value in settings.items()}
    crm_down = block.get("CrmDown", False)
    if not isinstance(crm_down, bool):
        raise ConditionsError(f"{where}.CrmDown must be true or false")
    language = block.get("LanguageCode", "en-US")
    if not isinstance(language, str) or not language:
        raise ConditionsError(f"{where}.LanguageCode must be a language code such as en-US")
    caller = block.get("Caller")
    if caller not in (None, WITHHELD_CALLER):
        raise ConditionsError(
            f"{where}.Caller may only be {WITHHELD_CALLER!r} (a number goes in the entry point)"
        )
    return LocalConditions(
        hours=hours,
        at=at,
        queue_wait_seconds=wait,
        settings=dict(settings),
        crm_down=crm_down,
        language_code=language,
        withheld=caller == WITHHELD_CALLER,
        faults=_faults(block.get("Faults", []), f"{where}.Faults"),
    )


def _local_value(value: str, where: str) -> str:
    """A setting's value with its typed placeholder resolved as the simulator resolves the flows'.
    A value already resolved to a local resource (the runner resolves a case's placeholders before
    it reads them again) stands; any other ARN is refused."""
    if value.startswith("arn:") and local_placeholder(value) == value:
        raise ConditionsError(
            f"{where} is a literal ARN; write a typed placeholder such as {{{{lex:fake_bot}}}}"
        )
    resolved, unknown = substitute_known(value, LocalResources({}, {}).value)
    if unknown or not isinstance(resolved, str):
        raise ConditionsError(f"{where}: {', '.join(unknown)} is not a placeholder a local run can resolve")
    return resolved


def _faults(faults: Any, where: str) -> tuple[str, ...]:
    if not isinstance(faults, list) or not all(isinstance(f, str) and FAULT.match(f) for f in faults):
        raise ConditionsError(
            f"{where} must list blocks as '<flow>/<action id>' or '<flow>/<action id>:<ErrorType>'"
        )
    if len({f.split(":", 1)[0] for f in faults}) != len(faults):
        raise ConditionsError(f"{where} names a block twice")
    return tuple(faults)


def _moment(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ConditionsError(f"{where} must be an ISO moment with a zone, e.g. 2026-12-25T15:00:00Z")
    return moment


def conditions_block(conditions: LocalConditions) -> dict[str, Any]:
    """The `Metadata.Tandem` block for `conditions`: only what differs from the defaults."""
    default = LocalConditions()
    block: dict[str, Any] = {}
    if conditions.hours != default.hours:
        block["Hours"] = conditions.hours
    if conditions.at is not None:
        block["At"] = conditions.at.isoformat().replace("+00:00", "Z")
    if conditions.queue_wait_seconds is not None:
        block["QueueWaitSeconds"] = conditions.queue_wait_seconds
    if conditions.settings:
        block["Settings"] = {name: local_placeholder(v) for name, v in sorted(conditions.settings.items())}
    if conditions.crm_down:
        block["CrmDown"] = True
    if conditions.language_code != default.language_code:
        block["LanguageCode"] = conditions.language_code
    if conditions.withheld:
        block["Caller"] = WITHHELD_CALLER
    if conditions.faults:
        block["Faults"] = list(conditions.faults)
    return block
