"""Shared constants and helpers for the infra tests (fixtures live in conftest.py)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Node 20 is past jsii's support window on this image; its banner would land in every stderr
# the tests inspect. Set before aws_cdk starts the jsii kernel, which inherits the environment.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

REPO_ROOT = Path(__file__).resolve().parents[2]
INSTANCE_ID = "0a1b2c3d-1111-2222-3333-444455556666"
ACCOUNT = "123456789012"
REGION = "eu-west-2"
EXISTING_INSTANCE_ARN = f"arn:aws:connect:{REGION}:{ACCOUNT}:instance/{INSTANCE_ID}"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:tandem/crm-AbCdEf"
LEX_ALIAS_ARN = f"arn:aws:lex:{REGION}:{ACCOUNT}:bot-alias/ABCDE12345/FGHIJ67890"

ALARM_EMAIL = "oncall@example.com"
RESERVED_CONCURRENCY = {"crm_lookup": 20, "ivr_decision": 30}

# Mode (a): an existing instance, with the HTTP CRM adapter and a Lex bot, so both adapters and
# both input modes (speech, DTMF only) are covered by two synths; it also sets the opt-in alarm
# email and reserved concurrency. Mode (b): no ARN, the stack creates the instance; DynamoDB
# adapter (the default); no Lex bot, no alarm email, no reserved concurrency.
EXISTING_CONTEXT: dict[str, Any] = {
    "connectInstanceArn": EXISTING_INSTANCE_ARN,
    "crmAdapter": "http",
    "crmBaseUrl": "https://crm.example.com/api",
    "crmSecretArn": SECRET_ARN,
    "lexBotAliasArn": LEX_ALIAS_ARN,
    "alarmEmail": ALARM_EMAIL,
    # As `-c reservedConcurrency=...` passes it: JSON text.
    "reservedConcurrency": json.dumps(RESERVED_CONCURRENCY),
}
NEW_INSTANCE_CONTEXT: dict[str, Any] = {}


def cdk_json_context() -> dict[str, Any]:
    """The feature flags the CLI passes from cdk.json, so tests synthesize what `cdk synth` does."""
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context


@dataclass
class Synthesized:
    app: Any  # aws_cdk.App
    stack: Any  # infra.stack.TandemStack
    template: dict[str, Any]
    assembly_dir: Path

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}

    def only(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        found = self.resources(resource_type)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.items()))

    def assertions(self) -> Any:
        from aws_cdk.assertions import Template

        return Template.from_json(self.template)


def function_named(synth: Synthesized, name: str) -> tuple[str, dict[str, Any]]:
    """The AWS::Lambda::Function whose handler is lambdas/<name>/handler.py."""
    handler = f"lambdas.{name}.handler.lambda_handler"
    found = [
        (logical_id, fn)
        for logical_id, fn in synth.resources("AWS::Lambda::Function").items()
        if fn["Properties"]["Handler"] == handler
    ]
    assert len(found) == 1, f"expected one function with handler {handler}, found {len(found)}"
    return found[0]


def role_statements(synth: Synthesized, name: str) -> list[dict[str, Any]]:
    """Every IAM statement attached to function `name`'s role (inline and separate policies)."""
    role_id = function_named(synth, name)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
    role = synth.template["Resources"][role_id]
    found: list[dict[str, Any]] = []
    for policy in role["Properties"].get("Policies", []):
        found += policy["PolicyDocument"]["Statement"]
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"].get("Roles", []):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def synthesize(context: dict[str, Any], outdir: Path) -> Synthesized:
    from infra.application import STACK_NAME, create_app

    app, stack = create_app({**cdk_json_context(), **context}, outdir=str(outdir))
    assembly = app.synth()
    template = assembly.get_stack_by_name(STACK_NAME).template
    return Synthesized(app=app, stack=stack, template=template, assembly_dir=Path(assembly.directory))


def resolve_join_named(value: Any) -> tuple[str, dict[str, Any]]:
    """Flatten like resolve_join, giving each intrinsic its own quote-free marker (TOKEN0, TOKEN1,
    ...); returns the text and marker → intrinsic, so a test can tell which resource a value names."""
    if isinstance(value, str):
        return value, {}
    separator, parts = value["Fn::Join"] if isinstance(value, dict) and "Fn::Join" in value else ("", [value])
    markers: dict[str, Any] = {}
    text: list[str] = []
    for part in parts:
        if isinstance(part, str):
            text.append(part)
            continue
        marker = f"TOKEN{len(markers)}"
        markers[marker] = part
        text.append(marker)
    return separator.join(text), markers


def resolve_join(value: Any, token: str = "<TOKEN>") -> str:
    """Flatten a string or Fn::Join into text, with every intrinsic replaced by `token`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(resolve_join(part, token) for part in parts)
    return token


def join_tokens(value: Any) -> list[Any]:
    """The intrinsics (GetAtt, Ref, …) embedded in a string or Fn::Join, in order."""
    if isinstance(value, dict) and "Fn::Join" in value:
        return [part for part in value["Fn::Join"][1] if not isinstance(part, str)]
    return [] if isinstance(value, str) else [value]


def spelled(value: Any) -> Any:
    """A policy value with its Refs written as ${Name} and its Fn::Joins flattened, recursively."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return f"${{{value['Ref']}}}"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(spelled(part) for part in parts)
    if isinstance(value, dict):
        return {k: spelled(v) for k, v in value.items()}
    return value


def stack_env(synth: Synthesized) -> tuple[str, str, str]:
    """(partition, region, account) as the template spells them: literal when the stack has an
    environment (an existing instance), else the pseudo parameters."""
    if synth.stack.config.existing_instance is not None:
        return "aws", REGION, ACCOUNT
    return "${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}"


def from_this_accounts_alarms(synth: Synthesized) -> dict[str, Any]:
    """The condition (spelled) that limits CloudWatch to alarms of the stack's account and Region."""
    partition, region, account = stack_env(synth)
    return {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*"},
    }
