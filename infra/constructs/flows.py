"""Deploy every flows/*.json as an AWS::Connect::ContactFlow with its placeholders resolved."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Stack
from aws_cdk import aws_connect as connect
from constructs import Construct

from flowdoc.placeholders import (
    PlaceholderError,
    find_placeholders,
    find_reference_cycle,
    resolve_placeholders,
)
from infra import constants
from infra.flow_sources import flow_display_name, load_flows


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
