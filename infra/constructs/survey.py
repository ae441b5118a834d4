"""Survey: the function that stores the post-call CSAT rating the survey flow collects."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import TandemConfig
from infra.constructs.data import Data
from infra.constructs.tandem_function import TandemFunction
from lambdas.shared.tables import INTERACTIONS


class Survey(TandemFunction):
    def __init__(
        self, scope: Construct, *, config: TandemConfig, runtime: lambda_.Runtime, data: Data
    ) -> None:
        super().__init__(
            scope,
            "survey",
            description="Tandem: stores the post-call CSAT rating the survey flow collects",
            runtime=runtime,
            config=config,
            environment=data.environment(INTERACTIONS),
            flow_invoked=True,
        )
        # One PutItem per rating (keyed, so a retried block overwrites): nothing else, no index.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:PutItem"], resources=[data.table(INTERACTIONS).table_arn])
        )
