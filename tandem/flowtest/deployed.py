"""The repo's test cases in a Connect instance: found by Name, or created from the deployed flows.

`find_test_cases` lists the instance's test cases (ListTestCases) by Name: the tests' stack,
TandemFlowTests, creates each `flows/tests/*.json` under the file's own `Name`.

`create_test_case` creates one that is missing. Its `{{type:name}}` placeholders must resolve to
the same resources as the flows', so they are read back from the flows the stack deployed
(`instance_values`): each `flows/<stem>.json` is deployed as "Tandem <Stem In Title Case>"
(`infra.flow_sources.flow_display_name`); DescribeContactFlow gives its resolved content, and each
placeholder's value is the text at the same place in it. Nothing is guessed: a placeholder no
deployed flow holds (a Lambda no flow calls, the tests' own queue and hours), or one holding two
values, is refused in one line telling the user to deploy the TandemFlowTests stack, which
creates test cases with every placeholder resolved. The same checks as synth run first
(`infra.flow_test_cases`: the document, and queue safety: a test case that could reach a live
agent is never created).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowdoc.placeholders import PLACEHOLDER, PlaceholderError, resolve_placeholders
from flowdoc.testcase import ENTRY_PARAMETERS, TestCaseError
from flowdoc.walk import strings
from infra import constants
from infra.flow_sources import flow_display_name, load_flows
from infra.flow_test_cases import (
    check_document,
    deployed_document,
    read_test_case,
    typed_entry,
    unsafe_transfer,
)
from tandem.flowtest.cloud import CloudError


def _direct(operation: Callable[..., Any], **request: Any) -> Any:
    return operation(**request)


DEPLOY_HINT = f"deploy the {constants.FLOW_TEST_STACK_NAME} stack (cdk deploy --all)"


@dataclass(frozen=True)
class Deployed:
    """A test case in the instance."""

    id: str
    name: str
    status: str  # PUBLISHED or SAVED


def find_test_cases(client: Any, instance_id: str) -> dict[str, list[Deployed]]:
    """Name → the instance's test cases of that name (ListTestCases, every page)."""
    found: dict[str, list[Deployed]] = {}
    for page in client.get_paginator("list_test_cases").paginate(InstanceId=instance_id):
        for summary in page.get("TestCaseSummaryList", []):
            deployed = Deployed(summary["Id"], summary["Name"], summary.get("Status", ""))
            found.setdefault(deployed.name, []).append(deployed)
    return found


def matches_file(document: object, deployed_content: str) -> bool:
    """Whether the deployed test case's content is the file's document as deployed (without the
    local-only `Metadata.Tandem`) with its placeholders filled in (whatever the values, one each)
    and its Version as deployed."""
    try:
        deployed = json.loads(deployed_content)
    except (TypeError, ValueError):
        return False
    if not isinstance(deployed, dict) or not isinstance(document, dict):
        return False
    written = {**deployed_document(document), "Version": deployed.get("Version")}
    values: dict[str, dict[str, str]] = {}
    for kind, name, value in placeholder_values(written, deployed):
        if values.setdefault(kind, {}).setdefault(name, value) != value:
            return False
    try:
        return resolve_placeholders(written, values, source="deployed") == deployed
    except PlaceholderError:
        return False


@dataclass(frozen=True)
class DeployedFlows:
    """What the instance's deployed Tandem flows say each placeholder stands for."""

    ids: dict[str, str]  # flow stem → flow id
    values: dict[str, dict[str, set[str]]]  # type → name → every value seen


def instance_values(client: Any, instance_id: str, flows_dir: Path) -> DeployedFlows:
    """Read the deployed flows of every `flows_dir/*.json` (module docstring); flows not deployed
    under their display name contribute nothing."""
    repo = load_flows(flows_dir)
    by_name = {flow_display_name(stem): stem for stem in repo}
    deployed: dict[str, dict[str, str]] = {}
    for page in client.get_paginator("list_contact_flows").paginate(InstanceId=instance_id):
        for summary in page.get("ContactFlowSummaryList", []):
            stem = by_name.get(summary.get("Name", ""))
            if stem is not None:
                deployed[stem] = {"Id": summary["Id"], "Arn": summary["Arn"]}
    values: dict[str, dict[str, set[str]]] = {}
    for stem, flow in sorted(deployed.items()):
        values.setdefault("flow", {}).setdefault(stem, set()).add(flow["Arn"])
        answer = client.describe_contact_flow(InstanceId=instance_id, ContactFlowId=flow["Id"])
        try:
            content = json.loads(answer["ContactFlow"]["Content"])
        except (KeyError, TypeError, ValueError):
            continue
        for kind, name, value in placeholder_values(repo[stem], content):
            values.setdefault(kind, {}).setdefault(name, set()).add(value)
    return DeployedFlows({stem: flow["Id"] for stem, flow in deployed.items()}, values)


def placeholder_values(written: object, resolved: object) -> list[tuple[str, str, str]]:
    """(type, name, value) for every placeholder in `written` whose text, at the same place in
    `resolved`, matches it with the placeholder filled in (a changed structure yields nothing)."""
    at = dict(strings(resolved))  # a key and its string value share a path: the value wins
    found = []
    for path, text in strings(written):
        placeholders = list(PLACEHOLDER.finditer(text))
        if not placeholders or path not in at:
            continue
        pattern, last = "", 0
        for match in placeholders:
            pattern += re.escape(text[last : match.start()]) + "(.*?)"
            last = match.end()
        filled = re.fullmatch(pattern + re.escape(text[last:]), at[path], re.DOTALL)
        if filled:
            for match, value in zip(placeholders, filled.groups(), strict=True):
                found.append((match["type"], match["name"], value))
    return found


def create_test_case(
    client: Any,
    instance_id: str,
    path: Path,
    flows_dir: Path,
    flows: DeployedFlows,
    *,
    status: str,
    call: Callable[..., Any] = _direct,
) -> str:
    """Create the test case in `path` with its placeholders resolved from the deployed flows;
    its id. TestCaseError (one line) when it cannot be resolved, is refused as synth would refuse
    it, or the service refuses it (`call` makes the request: the cloud runner's Backoff)."""
    source = str(path)
    repo = load_flows(flows_dir)
    try:
        case = read_test_case(path, source)
        check_document(case, repo)
    except PlaceholderError as error:
        raise TestCaseError(str(error)) from None
    unsafe = unsafe_transfer(case, repo)
    if unsafe:
        raise TestCaseError(f"{unsafe}; not created")
    entry, entry_flow = typed_entry(case)
    if entry_flow not in flows.ids:
        raise TestCaseError(
            f"{source}: flow {flow_display_name(entry_flow)!r} is not in the instance; "
            "deploy the flows first (cdk deploy --all)"
        )
    known: dict[str, dict[str, str]] = {}
    unresolved: list[str] = []
    document = {**deployed_document(case.document), "Version": constants.DEFAULT_FLOW_TEST_VERSION}
    for kind, name in _placeholders(document, case.initialization_data):
        seen = flows.values.get(kind, {}).get(name, set())
        if len(seen) == 1:
            known.setdefault(kind, {})[name] = next(iter(seen))
        else:
            unresolved.append(f"{{{{{kind}:{name}}}}}" + (" (two values)" if seen else ""))
    if unresolved:
        raise TestCaseError(
            f"{source}: not in the instance, and no deployed flow gives "
            f"{', '.join(sorted(set(unresolved)))}: {DEPLOY_HINT}"
        )
    content = resolve_placeholders(document, known, source=source)
    request: dict[str, Any] = {
        "InstanceId": instance_id,
        "Name": case.name,
        "Content": json.dumps(content),
        "Status": status,
        "EntryPoint": {
            "Type": entry.type,
            ENTRY_PARAMETERS[entry.type]: {**entry.parameters, "FlowId": flows.ids[entry_flow]},
        },
    }
    if case.description:
        request["Description"] = case.description
    if case.initialization_data is not None:
        init = resolve_placeholders(json.loads(case.initialization_data), known, source=source)
        request["InitializationData"] = json.dumps(init)
    try:
        return str(call(client.create_test_case, **request)["TestCaseId"])
    except CloudError as error:
        raise TestCaseError(f"{source}: not created: {error}") from None


def _placeholders(document: object, initialization_data: str | None) -> list[tuple[str, str]]:
    texts = [text for _, text in strings(document)]
    if initialization_data is not None:
        texts.append(initialization_data)
    return [(m["type"], m["name"]) for text in texts for m in PLACEHOLDER.finditer(text)]


def instance_id_of(instance: str) -> str:
    """The instance id from an instance ARN (or the id itself); ValueError when it is neither."""
    match = _INSTANCE.fullmatch(instance.strip())
    if match is None:
        raise ValueError(
            f"--instance {instance!r}: expected an instance ARN "
            "(arn:aws:connect:<region>:<account>:instance/<id>) or id"
        )
    return match["id"]


def region_of(instance: str) -> str | None:
    match = _INSTANCE.fullmatch(instance.strip())
    return match["region"] if match and match["region"] else None


_INSTANCE = re.compile(
    r"(?:arn:aws[a-z-]*:connect:(?P<region>[a-z]{2}(?:-[a-z]+){1,2}-\d):\d{12}:instance/)?"
    r"(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)
