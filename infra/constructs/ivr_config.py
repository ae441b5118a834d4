"""The IVR documents (rules, content, calendar, escalation) in SSM Parameter Store.

ivr_decision reads rules, content and calendar; escalation reads its policy (and whatever else
it needs) from the same path with the same reader.

The repo's `lambdas/documents/defaults/*.json` are deployed in the layout of
`lambdas/documents/storage_format.py`: numbered Standard-tier String parts under
`<path>/<document>/NN` and a head `<path>/<document>` written after them, so a reader never trusts
a head whose parts are not all there. `tandem rules push` writes the same layout between deploys;
see docs/decision_log.md for how the two interact.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Aws, CfnOutput, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra import constants
from infra.ivr_documents import (
    DEFAULTS_DIR,
    DefaultDocument,
    IvrDocumentError,
    WeeklyHours,
    load_default_documents,
    policy_queues,
    weekly_hours,
)
from lambdas.documents import storage_format


def ivr_config_path(stack_name: str) -> str:
    """ "Tandem" → "/tandem/Tandem/ivr": one path per stack, so two stacks never share rules."""
    return f"/tandem/{stack_name}/ivr"


class IvrConfig(Construct):
    """Every IVR document as SSM parameters under `path`, plus the calendar's weekly hours."""

    def __init__(self, scope: Construct, construct_id: str, *, defaults_dir: Path = DEFAULTS_DIR) -> None:
        super().__init__(scope, construct_id)
        self.path = ivr_config_path(Stack.of(self).stack_name)
        documents = load_default_documents(defaults_dir)
        calendar = documents["calendar"]
        # Connect's hours of operation come from here (connect construct), never from a constant.
        self.weekly_hours: WeeklyHours = weekly_hours(calendar.document, source=calendar.source)
        escalation = documents["escalation"]
        self.escalation_queues = policy_queues(
            escalation.document, source=escalation.source, known=constants.QUEUE_NAMES
        )
        self.heads: dict[str, ssm.StringParameter] = {}
        self.parts: dict[str, list[ssm.StringParameter]] = {}
        for document in documents.values():
            self._deploy(document)
        output = CfnOutput(
            self,
            "IvrConfigPath",
            value=self.path,
            description="SSM path of the IVR rules, content, calendar and escalation policy "
            "(tandem rules push --path)",
        )
        output.override_logical_id("IvrConfigPath")

    def _deploy(self, document: DefaultDocument) -> None:
        try:
            encoded = storage_format.encode_document(self.path, document.name, document.text)
        except storage_format.StorageFormatError as error:
            raise IvrDocumentError(f"{document.source}: {error}") from None
        head_name = storage_format.head_name(self.path, document.name)
        part_names = [parameter for parameter in encoded if parameter != head_name]
        if any("{{" in encoded[parameter] for parameter in part_names):
            # SSM refuses "{{…}}" in a value (it would read as a parameter reference) and
            # CloudFormation would try to resolve "{{resolve:…}}" in the template.
            raise IvrDocumentError(
                f'{document.source}: contains "{{{{", which SSM parameter values may not hold'
            )
        title = document.name.capitalize()
        # CloudFormation writes a parameter only when its properties change, and an update is a
        # PutParameter of the whole value. The document's hash in every part's description makes a
        # changed document rewrite all its parts, not just those whose slice of text moved, so a
        # deploy never leaves a part pushed by `tandem rules push` under a head that does not match.
        digest = storage_format.sha256_of(document.text)[:16]
        parts = [
            ssm.StringParameter(
                self,
                f"{title}{index:02d}",
                parameter_name=parameter,
                string_value=encoded[parameter],
                tier=ssm.ParameterTier.STANDARD,
                description=(
                    f"Tandem IVR {document.name}, part {index} of {len(part_names)} "
                    f"(document sha256 {digest}), deployed from {document.source}"
                ),
            )
            for index, parameter in enumerate(part_names, start=1)
        ]
        head = ssm.StringParameter(
            self,
            f"{title}Head",
            parameter_name=head_name,
            string_value=encoded[head_name],
            tier=ssm.ParameterTier.STANDARD,
            description=f"Tandem IVR {document.name}: part count and SHA-256, written after the parts",
        )
        # A reader trusts a document only through its head: the head must change last.
        head.node.add_dependency(*parts)
        self.heads[document.name] = head
        self.parts[document.name] = parts

    def grant_read(self, role: iam.IRole) -> None:
        """ssm:GetParametersByPath on the path's own ARN, nothing else.

        Parameter Store authorises GetParametersByPath against the path in the request, and access
        to a path covers every level below it, so the function's one recursive read of `path`
        needs exactly this resource: no `<path>/*` wildcard, no GetParameter*. Values are String
        (no customer KMS key), so no kms:Decrypt.
        """
        path_arn = f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter{self.path}"
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["ssm:GetParametersByPath"], resources=[path_arn])
        )
