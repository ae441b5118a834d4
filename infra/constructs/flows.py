"""Deploy every flows/*.json as an AWS::Connect::ContactFlow with its placeholders resolved."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Stack
from aws_cdk import aws_connect as connect
from constructs import Construct

from flowdoc.document import FlowFileError, read_content
from flowdoc.placeholders import (
    PlaceholderError,
    find_placeholders,
    find_reference_cycle,
    resolve_placeholders,
)
from infra import constants

_FLOW_FILE = re.compile(r"^[a-z][a-z0-9_]*$")  # usable as a {{flow:<name>}} placeholder name


def flow_display_name(file_stem: str) -> str:
    """ "inbound_main" → "Tandem Inbound Main"."""
    return "Tandem " + " ".join(word.capitalize() for word in file_stem.split("_"))


def load_flows(flows_dir: Path) -> dict[str, object]:
    """File stem → parsed document (unwrapped when exported in a wrapper), for every flows/*.json,
    in name order; PlaceholderError (one line naming the file) when one cannot be read."""
    documents: dict[str, object] = {}
    for path in sorted(flows_dir.glob("*.json")):
        source = f"{flows_dir.name}/{path.name}"
        if not _FLOW_FILE.match(path.stem):
            raise PlaceholderError(f"{source}: flow file names must be lower_snake_case")
        try:
            documents[path.stem] = read_content(path).content
        except FlowFileError as error:
            raise PlaceholderError(f"{source}: {error.detail}") from None
    return documents


class Flows(Construct):
    """One CfnContactFlow per file; `{{type:name}}` placeholders become CDK tokens (Fn::Join)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        flows_dir: Path,
        instance_arn: str,
        lambdas: Mapping[str, str],
        queues: Mapping[str, str],
        hours: Mapping[str, str],
        settings: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        documents = load_flows(flows_dir)
        sources = {stem: f"{flows_dir.name}/{stem}.json" for stem in documents}
        references = {
            stem: {p.name for p in find_placeholders(doc, source=sources[stem]) if p.type == "flow"}
            for stem, doc in documents.items()
        }
        cycle = find_reference_cycle(references)
        if cycle:
            raise PlaceholderError(
                f"{sources[cycle[0]]}: flows reference each other in a cycle "
                f"({' → '.join(cycle)}); CloudFormation cannot create them"
            )

        # Create every flow first so any flow's ARN can be handed to the others, then fill in
        # the content. Content is a JSON string; to_json_string turns embedded tokens into a
        # Fn::Join instead of escaping them as text.
        self.flows: dict[str, connect.CfnContactFlow] = {}
        for stem in documents:
            self.flows[stem] = connect.CfnContactFlow(
                self,
                stem,
                instance_arn=instance_arn,
                name=flow_display_name(stem),
                type=constants.FLOW_TYPES.get(stem, constants.DEFAULT_FLOW_TYPE),
                content="{}",  # replaced below, once every flow ARN exists
                description=f"Tandem flow from flows/{stem}.json",
            )
        # What each placeholder stands for; the test cases' stack resolves theirs from the same map.
        self.values: dict[str, dict[str, str]] = {
            "lambda": dict(lambdas),
            "queue": dict(queues),
            "hours": dict(hours),
            "setting": dict(settings),
            "flow": {stem: flow.attr_contact_flow_arn for stem, flow in self.flows.items()},
        }
        stack = Stack.of(self)
        for stem, document in documents.items():
            resolved = resolve_placeholders(document, self.values, source=sources[stem])
            self.flows[stem].content = stack.to_json_string(resolved)

    @property
    def flow_arns(self) -> dict[str, str]:
        return {stem: flow.attr_contact_flow_arn for stem, flow in self.flows.items()}
