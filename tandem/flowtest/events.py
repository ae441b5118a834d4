"""What a test case observes, and when an observation matches it.

The runner turns the simulator's events into the testing language's: `TestInitiated` when the
contact starts, `MessageReceived` for what the customer hears, `FlowActionStarted` for a Lambda,
an hours check, a queue transfer or a Lex bot starting, `TestCompleted` when the test ends.

Messages are grouped as the service groups them on voice: consecutive prompts to the customer
arrive as one `MessageReceived`, sent when the contact next waits for the customer (an input
block asks), when an observed flow action starts, or when the contact ends. The message's text is
the prompts joined by a space; its parts are kept, so a `Similarity` observation may match the
whole message or one of its prompts.

Matching: `Inclusion` holds when the expected text, whitespace normalised, occurs in the message
exactly (case and punctuation count). `Similarity` is a local approximation of the service's
semantic matching: the token-set ratio (difflib's SequenceMatcher over lower-cased word tokens,
as fuzzywuzzy's token_set_ratio) of the expected text and the message or any one prompt, at or
above the threshold (default 0.8). SSML is compared as its text (tags removed); a PromptId or
Media observation matches the simulator's "[recorded prompt ID]" / "[audio URI]" stand-ins by
inclusion of the id or URI. `FlowActionStarted` matches the action type and every
ActionParameters value given: equal, or naming the same resource (the same last ARN segment).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flowdoc.testcase import Observation
from tandem.flows.simulator.blocks import FUNCTION_IN_ARN

DEFAULT_SIMILARITY = 0.8
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True)
class TestEvent:
    """One event as the testing language names it."""

    __test__ = False

    type: str  # TestInitiated, MessageReceived, FlowActionStarted, TestCompleted
    flow: str = ""
    action: str = ""
    text: str = ""  # MessageReceived: the grouped message
    parts: tuple[str, ...] = ()  # MessageReceived: its prompts
    action_type: str = ""  # FlowActionStarted
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        if self.type == "MessageReceived":
            return f'MessageReceived "{self.text}"'
        if self.type == "FlowActionStarted":
            shown = ", ".join(f"{k}={_short(v)}" for k, v in self.parameters.items())
            return f"FlowActionStarted {self.action_type}({shown}) at {self.flow}/{self.action}"
        return self.type


def _short(value: Any) -> str:
    text = str(value.get("AliasArn", value)) if isinstance(value, dict) else str(value)
    return text.rsplit(":", 1)[-1].rsplit("/", 1)[-1] or "(none)"


def normalise(text: str) -> str:
    return " ".join(text.split())


def similarity(expected: str, heard: str) -> float:
    """Token-set ratio in [0, 1]: 1.0 when one text's words are all in the other's."""
    a, b = set(_WORD.findall(expected.lower())), set(_WORD.findall(heard.lower()))
    if not a or not b:
        return 1.0 if a == b else 0.0
    common = " ".join(sorted(a & b))
    only_a = " ".join(sorted(a - b))
    only_b = " ".join(sorted(b - a))
    left, right = f"{common} {only_a}".strip(), f"{common} {only_b}".strip()
    return max(
        difflib.SequenceMatcher(None, common, left).ratio() if common else 0.0,
        difflib.SequenceMatcher(None, common, right).ratio() if common else 0.0,
        difflib.SequenceMatcher(None, left, right).ratio(),
    )


def expected_text(properties: Mapping[str, Any]) -> str:
    """What a MessageReceived observation expects, as text."""
    if "Text" in properties:
        return normalise(str(properties["Text"]))
    if "SSML" in properties:
        return normalise(_TAG.sub("", str(properties["SSML"])))
    if "PromptId" in properties:
        return str(properties["PromptId"])
    media = properties.get("Media")
    return str(media.get("Uri", "")) if isinstance(media, dict) else ""


def matches(observation: Observation, event: TestEvent, *, threshold: float = DEFAULT_SIMILARITY) -> bool:
    """Whether `event` is what `observation` waits for."""
    if observation.event_type != event.type:
        return False
    if event.type == "MessageReceived":
        return message_matches(observation, event, threshold)
    if event.type == "FlowActionStarted":
        properties = observation.properties
        if properties.get("ActionType") != event.action_type:
            return False
        wanted = properties.get("ActionParameters") or {}
        return all(same_resource(value, event.parameters.get(key)) for key, value in wanted.items())
    return True


def message_matches(observation: Observation, event: TestEvent, threshold: float) -> bool:
    expected = expected_text(observation.properties)
    heard = normalise(event.text)
    if observation.matching == "Similarity" and not (
        "PromptId" in observation.properties or "Media" in observation.properties
    ):
        return any(similarity(expected, text) >= threshold for text in (heard, *event.parts))
    return expected in heard


def same_resource(wanted: Any, actual: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(same_resource(v, actual.get(k)) for k, v in wanted.items())
    if actual is None:
        return False
    wanted_text, actual_text = str(wanted), str(actual)
    if wanted_text == actual_text:
        return True
    return bool(wanted_text) and _last_segment(wanted_text) == _last_segment(actual_text)


def _last_segment(arn: str) -> str:
    """The resource an ARN names: a Lambda's function name (any version or alias dropped), else
    the last segment (`queue-general`, `inbound_main`)."""
    function = FUNCTION_IN_ARN.search(arn)
    return function.group(1) if function else arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
