"""Escalation: the function that routes a handoff to the right queue and priority, with callback
and agent context.

It reads its policy from the IVR documents' SSM path, records the handoff and the callback claim
in the interactions table, reads queue metrics for this stack's queues, and derives the callback
claim's key from the keyed-hash secret.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import constants
from infra.config import TandemConfig
from infra.constructs.data import Data
from infra.constructs.ivr_config import IvrConfig
from infra.constructs.keyed_hash import KeyedHash
from infra.constructs.tandem_function import TandemFunction
from lambdas.documents.config import CONFIG_PATH_VAR, TIME_ZONE_VAR
from lambdas.shared.keyed_hash_secret import SECRET_VAR as KEYED_HASH_SECRET_VAR
from lambdas.shared.tables import INTERACTIONS

# escalation's own variables (the rest are ivr_decision's and the table's names).
INSTANCE_ARN_VAR = "CONNECT_INSTANCE_ARN"
QUEUE_ARNS_VAR = "QUEUE_ARNS"  # JSON object: queue name → queue ARN, every queue the stack creates


class Escalation(TandemFunction):
    """`instance_arn` and `queue_arns` (name → ARN, the queues the stack creates) come from the
    connect construct, which is built first; they are plain values (tokens) so this module need
    not import it."""

    def __init__(
        self,
        scope: Construct,
        *,
        config: TandemConfig,
        runtime: lambda_.Runtime,
        data: Data,
        ivr_config: IvrConfig,
        instance_arn: str,
        queue_arns: Mapping[str, str],
        keyed_hash: KeyedHash,
    ) -> None:
        missing = [name for name in constants.QUEUE_NAMES if name not in queue_arns]
        if missing:
            raise ValueError(f"escalation: no queue ARN for {', '.join(missing)}")
        ordered = {name: queue_arns[name] for name in constants.QUEUE_NAMES}
        super().__init__(
            scope,
            "escalation",
            description=(
                "Tandem: routes a handoff to the right queue and priority, with callback and agent context"
            ),
            runtime=runtime,
            config=config,
            environment={
                CONFIG_PATH_VAR: ivr_config.path,
                **data.environment(INTERACTIONS),
                TIME_ZONE_VAR: config.time_zone,
                INSTANCE_ARN_VAR: instance_arn,
                # to_json_string turns the queue ARN tokens into a Fn::Join that CloudFormation
                # resolves to a JSON object; json.dumps would write the tokens' placeholder text.
                QUEUE_ARNS_VAR: Stack.of(scope).to_json_string(ordered),
                KEYED_HASH_SECRET_VAR: keyed_hash.secret_arn,
            },
            flow_invoked=True,
        )
        # The policy is a fourth document under the same path, read with the same one recursive
        # GetParametersByPath as ivr_decision's documents.
        ivr_config.grant_read(self.role)
        self._grant_handoff_writes(data)
        self._grant_queue_metrics(list(ordered.values()))
        # The callback claim's key derives from the keyed-hash secret: GetSecretValue on it alone.
        keyed_hash.grant_read(self.role)

    def _grant_handoff_writes(self, data: Data) -> None:
        # Handoff record + callback check: one TransactWriteItems of a Put and a ConditionCheck on
        # the number's claim, plus single PutItems (the handoff alone; the conditional claim when
        # the caller takes the callback). DynamoDB authorises each action inside a transaction as
        # its own operation: the Put as dynamodb:PutItem, the ConditionCheck as
        # dynamodb:ConditionCheckItem; there is no TransactWriteItems IAM action (Developer Guide,
        # "Using IAM with DynamoDB transactions"). A Put's own ConditionExpression needs nothing
        # more. So exactly these two on the table, no index.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["dynamodb:PutItem", "dynamodb:ConditionCheckItem"],
                resources=[data.table(INTERACTIONS).table_arn],
            )
        )

    def _grant_queue_metrics(self, queue_arns: list[str]) -> None:
        # Queue metrics for the callback decision. The Service Authorization Reference lists
        # GetCurrentMetricData's resource types as queue and routing-profile, with no instance type:
        # a request filtered by queues is authorised against each queue in the filter. So
        # the grant is this stack's queues by ARN (also when the instance is imported: the stack
        # still creates the queues), no instance ARN and no `instance/*/queue/*` wildcard. A
        # request filtered by routing profile, or by a queue outside this stack, is denied.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["connect:GetCurrentMetricData"], resources=queue_arns)
        )
