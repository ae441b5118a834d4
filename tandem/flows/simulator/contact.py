"""One contact during a simulation: its namespaces, what it has heard and done, and the questions
the blocks ask of it (a value, the caller's next answer, which condition holds, which flow a
reference names). The engine drives flows over it; the blocks read and change it."""

from __future__ import annotations

import re
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from flowdoc.jsonpath import resolve
from tandem.flows.simulator.config import FlowEvent, FlowEventKind, Override, SimulationConfig
from tandem.flows.simulator.flows import (
    FLOW_IN_ARN,
    Flow,
    FlowNotFound,
    LocalResources,
    condition_label,
    load,
    matches,
)
from tandem.flows.simulator.results import FlowCoverage, LambdaCall, Prompt, Step
from tandem.local.connect_fake import QueueValues
from tandem.local.provision import DEFAULT_REGION
from tandem.local.sandbox import CONNECT_INSTANCE_ARN, Sandbox

DIALLED_NUMBER = "+12025550100"
DEFAULT_PRIORITY = 5
QUEUE_FLOW_ASKS = 1  # caller inputs a customer-queue flow may ask for; an agent answers before the next
FlowKind = Literal["inbound", "transfer", "queue", "whisper", "remaining", "hook"]

_FLOW_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


class QueueWaitOver(Exception):
    """The caller's wait in queue ends: an agent answers."""


@dataclass(slots=True)
class Next:
    """What a block decided: the branch to take, and what to record."""

    branch: str | None  # None: the flow ends at this action
    note: str = ""
    flow: Flow | None = None  # TransferToFlow: continue at this flow's start
    enters_queue: bool = False  # the contact is queued: the wait, the agent and the hooks follow
    said: str | None = None  # an input block: what the caller gave ("" none)


class Contact:
    """The contact's state across every flow it runs through (set up from a SimulationConfig)."""

    def __init__(
        self, config: SimulationConfig, *, box: Sandbox, resources: LocalResources, queue_load: QueueValues
    ) -> None:
        self.box = box
        self.responder = config.responder
        self.observer = config.observer
        self.override_source = config.override
        self.lambda_faults = config.lambda_faults
        self.block_faults = config.block_faults
        self.resources = resources
        self.flows_dir = config.flows_dir
        self.inputs: deque[str] = deque(config.inputs)
        self.hours = config.hours
        self.queue_load = queue_load
        self.queue_wait_seconds = config.queue_wait_seconds
        self.contact_id = str(uuid.uuid4())
        self.channel = config.channel.upper()
        voice = self.channel == "VOICE"
        self.attributes: dict[str, str] = dict(config.attributes)
        self.namespace: dict[str, Any] = {
            "Attributes": self.attributes,
            "FlowAttributes": {},
            "External": {},
            "Lex": {},
            "Metrics": {},
            "StoredCustomerInput": "",
            "Queue": {},
            "Channel": self.channel,
            "ContactId": self.contact_id,
            "InitialContactId": self.contact_id,
            "PreviousContactId": self.contact_id,
            "InitiationMethod": "INBOUND",
            "InstanceARN": CONNECT_INSTANCE_ARN,
            "AwsRegion": DEFAULT_REGION,
            "LanguageCode": config.language,
            "CustomerEndpoint": {"Address": config.caller, "Type": "TELEPHONE_NUMBER"} if voice else {},
            "SystemEndpoint": {"Address": DIALLED_NUMBER, "Type": "TELEPHONE_NUMBER"} if voice else {},
        }
        self.steps: list[Step] = []
        self.lambda_calls: list[LambdaCall] = []
        self.prompts: list[Prompt] = []
        self.warnings: list[str] = []
        self.coverage: dict[str, FlowCoverage] = {}
        self.loops: dict[tuple[str, str], int] = {}
        self.hooks: dict[str, str] = {}
        self.trail: list[str] = []  # outcomes claimed by the flow or observed, in order
        self.queue_arn = ""
        self.queue_name = ""
        self.outcome_queue = ""
        self.priority = DEFAULT_PRIORITY
        self.callback_number = ""
        self.disconnected = False
        self.queue_asks = 0  # inputs the customer-queue flow has asked for

    @property
    def outcome(self) -> str:
        """The last outcome the flow claimed or the contact met; "disconnected" when none."""
        return self.trail[-1] if self.trail else "disconnected"

    def value(self, raw: Any) -> str:
        return resolve(self.namespace, raw) if isinstance(raw, str) else ("" if raw is None else str(raw))

    def say(self, flow: Flow, action: dict[str, Any], parameters: Mapping[str, Any], kind: FlowKind) -> str:
        """Record the prompt a block plays (Text, SSML, a prompt id or media); "" when none."""
        text = ""
        if parameters.get("Text"):
            text = self.value(parameters["Text"])
        elif parameters.get("SSML"):
            text = re.sub(r"<[^>]+>", "", self.value(parameters["SSML"])).strip()
        elif parameters.get("PromptId"):
            text = f"[recorded prompt {self.value(parameters['PromptId'])}]"
        elif isinstance(parameters.get("Media"), dict):
            text = f"[audio {self.value(parameters['Media'].get('Uri', ''))}]"
        if text:
            to = "agent" if kind == "whisper" else "customer"
            self.prompts.append(Prompt(flow.name, str(action.get("Identifier")), text, to))
            self.observe("prompt", flow.name, action, text=text, to=to)
        return text

    def observe(
        self,
        kind: FlowEventKind,
        flow: str,
        action: Mapping[str, Any],
        *,
        parameters: Mapping[str, Any] | None = None,
        text: str = "",
        to: str = "customer",
    ) -> None:
        """Tell the observer, when there is one; it may raise EndContact."""
        if self.observer is not None:
            event = FlowEvent(
                kind,
                flow,
                str(action.get("Identifier", "")),
                str(action.get("Type", "")),
                self.namespace,
                dict(parameters or {}),
                text,
                to,
            )
            self.observer(event)

    def overridden(self, action_type: str, parameters: Mapping[str, Any]) -> Override | None:
        """The override a harness sets for this action as it starts, or None."""
        if self.override_source is None:
            return None
        return self.override_source(action_type, parameters)

    def next_input(self, kind: FlowKind, flow: Flow, action: dict[str, Any], prompt: str) -> str | None:
        """The caller's answer to `prompt`: the next scripted input, then the responder's; None for none."""
        if kind == "queue":
            self.queue_asks += 1
            if self.queue_asks > QUEUE_FLOW_ASKS:
                raise QueueWaitOver("an agent answers before the customer-queue flow asks the caller again")
        if self.inputs:
            return self.inputs.popleft()
        if self.responder is not None:
            return self.responder(flow.name, str(action.get("Identifier", "")), prompt)
        return None

    def select(self, action: dict[str, Any], value: str, flow: Flow) -> str | None:
        """The label of the first condition `value` satisfies, or None."""
        transitions = action.get("Transitions") or {}
        for condition in transitions.get("Conditions") or []:
            inner = condition.get("Condition") if isinstance(condition, dict) else None
            if not isinstance(inner, dict):
                continue
            verdict = matches(str(inner.get("Operator", "")), inner.get("Operands") or [], value)
            if verdict is None:
                self.warnings.append(
                    f"{flow.name}: action {action.get('Identifier')!r}: unknown operator "
                    f"{inner.get('Operator')!r}; the condition never matches"
                )
            elif verdict:
                return condition_label(condition)
        return None

    def claim(self, outcome: str) -> None:
        self.trail.append(outcome)

    def queue_name_of(self, arn: str) -> str:
        for name, known in self.resources.queue_arns.items():
            if known == arn or known.rsplit("/", 1)[-1] == arn:
                return name
        return arn.rsplit("/", 1)[-1]

    def find_flow(self, reference: str) -> Flow | None:
        """A flow named by a (fake) flow ARN, a name in flows_dir, or a path; None when unknown."""
        match = FLOW_IN_ARN.search(reference)
        if match:
            path = self.flows_dir / f"{match.group(1)}.json"
        elif reference.endswith(".json"):
            path = Path(reference)
        elif _FLOW_NAME.match(reference):
            path = self.flows_dir / f"{reference}.json"
        else:
            return None
        if not path.is_file():
            return None
        try:
            return load(path, self.resources)
        except FlowNotFound as error:
            self.warnings.append(str(error))
            return None
