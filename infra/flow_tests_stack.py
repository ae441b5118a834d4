"""The test cases' own stack: every flows/tests/*.json as an AWS::Connect::TestCase.

Its own stack so that a test case the service refuses to publish (Status PUBLISHED validates the
content) fails and rolls back this stack only, never the flows or functions it tests. It also
creates what test cases substitute: a test queue no agent staffs and hours always open or always
closed (`infra.constants.TEST_QUEUE_NAMES`, `TEST_HOURS_NAMES`).

At synth each file is read and checked (`flowdoc.testcase`, the one reader of the form, then
`infra.flow_test_cases` for what only synth checks): an invalid document, a leftover or unknown
placeholder, or a test case that could put a real contact in a live queue stops synth with one
line naming the file. Placeholders resolve to the same resources as the flows'
(`Flows.values`), plus the test resources; the entry point's FlowId is given as the flow's id
(the last segment of its ARN), the form the API's FlowId names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import CrossStackReferences, Fn, ReferenceStrength, Stack
from aws_cdk import aws_connect as connect
from constructs import Construct

from flowdoc.placeholders import resolve_placeholders
from flowdoc.testcase import TestCase
from infra import constants
from infra.config import TandemConfig
from infra.flow_sources import load_flows
from infra.flow_test_cases import (
    MAX_CONTENT_CHARS,
    FlowTestError,
    check_document,
    deployed_document,
    document_local_only,
    read_test_case,
    test_case_files,
    typed_entry,
    unsafe_transfer,
)
from infra.stack import TandemStack

DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def flow_id(flow_arn: str) -> str:
    """The flow's id, from its ARN (…/contact-flow/<id>), as a CloudFormation expression."""
    return Fn.select(1, Fn.split("/contact-flow/", flow_arn))


class FlowTestsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        main: TandemStack,
        config: TandemConfig,
        tests_dir: Path,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Weak references (Fn::GetStackOutput, not exports): the flows' stack stays free to replace
        # or remove a flow a test case names; a strong export would make that update fail.
        CrossStackReferences.of(self).consume(ReferenceStrength.WEAK)
        instance_arn = main.connect.instance_arn
        flows = load_flows(main.flows_dir)
        cases = _read_all(tests_dir, flows)

        self.hours: dict[str, str] = {}
        for name in constants.TEST_HOURS_NAMES:
            self.hours[name] = self._hours(name, instance_arn, config.time_zone).attr_hours_of_operation_arn
        self.queues: dict[str, str] = {
            name: connect.CfnQueue(
                self,
                f"Queue{_pascal(name)}",
                instance_arn=instance_arn,
                hours_of_operation_arn=self.hours["always_open"],
                name=f"Tandem Flow Tests {_title(name)}",
                description="Queue test cases substitute for live ones; no routing profile serves it",
            ).attr_queue_arn
            for name in constants.TEST_QUEUE_NAMES
        }
        values = {kind: dict(names) for kind, names in main.flows.values.items()}
        for kind, own in (("queue", self.queues), ("hours", self.hours)):
            clash = sorted(set(own) & set(values[kind]))
            if clash:  # a test resource must never stand in for a live one by name
                raise FlowTestError(f"infra/constants.py: test {kind} name(s) {clash} are also the flows'")
            values[kind].update(own)

        self.test_cases: dict[str, connect.CfnTestCase] = {}
        for stem, case in cases.items():
            document = {**deployed_document(case.document), "Version": config.flow_test_version}
            resolved = resolve_placeholders(document, values, source=case.source)
            init = case.initialization_data
            if init is not None:
                init = self.to_json_string(resolve_placeholders(json.loads(init), values, source=case.source))
            entry, flow = typed_entry(case)
            parameters = {**entry.parameters, "FlowId": flow_id(main.flows.flow_arns[flow])}
            self.test_cases[stem] = connect.CfnTestCase(
                self,
                f"Test-{stem}",
                instance_arn=instance_arn,
                name=case.name,
                description=case.description,
                content=self.to_json_string(resolved),
                status=config.flow_test_status,
                initialization_data=init,
                entry_point=_entry_point(entry.type, parameters),
            )

    def _hours(self, name: str, instance_arn: str, time_zone: str) -> connect.CfnHoursOfOperation:
        # Midnight to midnight is the whole day (the admin guide's "24x7" schedule); no interval
        # at all is never open (CreateHoursOfOperation takes 0 to 100 Config entries).
        always_open = name == "always_open"
        midnight = connect.CfnHoursOfOperation.HoursOfOperationTimeSliceProperty(hours=0, minutes=0)
        return connect.CfnHoursOfOperation(
            self,
            f"Hours{_pascal(name)}",
            instance_arn=instance_arn,
            name=f"Tandem Flow Tests {_title(name)}",
            description=f"Hours test cases substitute: {name.replace('_', ' ')}",
            time_zone=time_zone,
            config=[
                connect.CfnHoursOfOperation.HoursOfOperationConfigProperty(
                    day=day, start_time=midnight, end_time=midnight
                )
                for day in (DAYS if always_open else ())
            ],
        )


def _read_all(tests_dir: Path, flows: dict[str, object]) -> dict[str, TestCase]:
    """File stem → checked test case; FlowTestError (one line naming the file) on the first problem."""
    cases: dict[str, TestCase] = {}
    names: dict[str, str] = {}
    for path, source in test_case_files(tests_dir):
        case = read_test_case(path, source)
        check_document(case, flows)
        first = names.setdefault(case.name, source)
        if first != source:
            raise FlowTestError(f"{source}: Name {case.name!r} is already used by {first}")
        if document_local_only(case.document):  # a block fault: its story has no cloud form
            continue
        problem = unsafe_transfer(case, flows)
        if problem:
            raise FlowTestError(problem)
        if len(json.dumps(case.document)) > MAX_CONTENT_CHARS:
            raise FlowTestError(f"{source}: Content is over {MAX_CONTENT_CHARS:,} characters")
        cases[path.stem] = case
    return cases


def _entry_point(entry_type: str, parameters: dict[str, Any]) -> connect.CfnTestCase.EntryPointProperty:
    if entry_type == "CHAT":
        return connect.CfnTestCase.EntryPointProperty(
            type="CHAT",
            chat_entry_point_parameters=connect.CfnTestCase.ChatEntryPointParametersProperty(
                flow_id=parameters["FlowId"]
            ),
        )
    # The numbers stay out: the resource schema's phone-number pattern is escaped twice
    # (it needs a backslash before the `+`, so no E.164 number passes; cfn-lint E3031), and
    # CloudFormation checks properties against that schema. FlowId alone starts a voice test; the
    # file keeps its caller, and `tandem test --target aws` passes it when it creates the case.
    return connect.CfnTestCase.EntryPointProperty(
        type="VOICE_CALL",
        voice_call_entry_point_parameters=connect.CfnTestCase.VoiceCallEntryPointParametersProperty(
            flow_id=parameters["FlowId"]
        ),
    )


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _title(name: str) -> str:
    return " ".join(part.capitalize() for part in name.split("_"))
