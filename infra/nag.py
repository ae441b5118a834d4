"""cdk-nag v3 wiring: the packs the app runs and the one way constructs acknowledge a finding.

v3 runs as CDK policy-validation plugins (no Aspects, no Annotations, no NagSuppressions);
acknowledgements are construct metadata read by the packs, inherited by child constructs.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks, NagPack, ServerlessChecks
from constructs import IConstruct


def nag_packs(app: App) -> list[NagPack]:
    # AwsSolutions also copies every acknowledgement into the template's resource Metadata
    # (cdk_nag.rules_to_suppress) so the audit trail survives in cdk.out, not only in code.
    return [AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True), ServerlessChecks(app)]


def register_nag(app: App) -> list[NagPack]:
    packs = nag_packs(app)
    Validations.of(app).add_plugins(*packs)
    return packs


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge `rule_id` (e.g. "AwsSolutions-IAM5[Resource::*]") on scope and its children."""
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledging {rule_id} needs a specific reason, got {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))
