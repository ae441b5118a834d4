"""cdk-nag v3 (AwsSolutions + Serverless): no unacknowledged finding, every acknowledgement reasoned.

v3 reports through CDK policy validation and emits no Annotations, so Annotations-based checks
would pass silently; these tests call the packs' validate_scope and read construct metadata.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from infra_support import NEW_INSTANCE_CONTEXT, Synthesized, cdk_json_context

pytestmark = pytest.mark.slow

# Each acknowledgement is a reviewed decision; adding one should fail here until it is listed.
EXPECTED_ACKNOWLEDGEMENTS = {
    "AwsSolutions-IAM5[Resource::*]",  # X-Ray has no resource-level permissions
    "AwsSolutions-KDS3",  # aws/kinesis instead of a customer key, usable by Connect as is
    "Serverless-LambdaDLQ",  # synchronous Connect / Kinesis mapping; the guard's handler never raises
    "Serverless-LambdaAsyncFailureDestination",  # same
    "AwsSolutions-SQS3",  # the CTR mapping's on-failure queue is itself the dead letter
    "Serverless-SQSRedrivePolicy",  # same
    "Serverless-SNSRedrivePolicy",  # the alarm topic's subscribers are people, not a queue
    "AwsSolutions-SMG4",  # the keyed-hash secret is a key: rotating it re-keys every hash, by hand
    "Serverless-EventBusDLQ",  # the experiment guard's daily scheduled event: nothing to replay
}


def acknowledgements(app: Any) -> dict[str, list[str]]:
    """Rule id → reasons, from the metadata Validations.acknowledge() records on constructs."""
    from aws_cdk import Validations

    found: dict[str, list[str]] = {}
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for qualified_id, reason in entry.data.items():
                    # CDK stores ids without a plugin prefix as "Annotation::<id>".
                    rule_id = re.sub(r"^annotation::", "", qualified_id, flags=re.IGNORECASE)
                    found.setdefault(rule_id, []).append(reason)
    return found


def test_no_unacknowledged_findings(each_mode: Synthesized) -> None:
    # Given the synthesized app / When both packs validate the whole construct tree
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks

    for pack in (AwsSolutionsChecks(), ServerlessChecks()):
        report = pack.validate_scope(each_mode.app)
        # Then nothing is left that was not acknowledged with a reason
        findings = [
            f"{v.rule_name} at {[r.construct_path for r in v.violating_resources]}" for v in report.violations
        ]
        assert findings == [], f"{pack.name}: {findings}"
        assert report.success


def test_every_acknowledgement_is_expected_and_has_a_specific_reason(each_mode: Synthesized) -> None:
    # Given every acknowledgement recorded on a construct / Then it is a reviewed one with a real reason
    found = acknowledgements(each_mode.app)
    assert set(found) == EXPECTED_ACKNOWLEDGEMENTS
    for rule_id, reasons in found.items():
        for reason in reasons:
            assert len(reason.strip()) >= 40, f"{rule_id}: reason too vague: {reason!r}"


def test_acknowledgements_are_written_into_the_template(each_mode: Synthesized) -> None:
    # The audit trail survives in cdk.out as cdk_nag.rules_to_suppress resource metadata.
    # Given the synthesized template / Then the acknowledgements and reasons are in resource Metadata
    written: set[str] = set()
    for resource in each_mode.template["Resources"].values():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            assert rule["reason"].strip(), rule
            written.add(rule["id"])
    assert written == EXPECTED_ACKNOWLEDGEMENTS


def test_the_registered_packs_fail_synth_on_a_new_finding(tmp_path: Any) -> None:
    # Given the real app plus a resource that breaks an AwsSolutions rule, unacknowledged
    from aws_cdk import aws_sqs as sqs

    from infra.application import create_app

    app, stack = create_app({**cdk_json_context(), **NEW_INSTANCE_CONTEXT}, outdir=str(tmp_path))
    sqs.Queue(stack, "Unencrypted", encryption=sqs.QueueEncryption.UNENCRYPTED)
    # When the app synthesizes / Then validation stops it and names the rule
    with pytest.raises(Exception, match="AwsSolutions-SQS"):
        app.synth()


def test_acknowledge_refuses_a_missing_reason() -> None:
    # Given a blank reason / Then the helper refuses to acknowledge
    from aws_cdk import App, Stack

    from infra.nag import acknowledge

    with pytest.raises(ValueError, match="needs a specific reason"):
        acknowledge(Stack(App(), "Probe"), "AwsSolutions-KDS3", " ")
