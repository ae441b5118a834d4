"""IVR decision: the function that decides machine or human for the Connect flow.

It reads the IVR documents (rules, content, calendar, experiment) and the experiment's stop from
SSM (infra/constructs/ivr_config.py), reads the keyed-hash secret (an experiment's caller unit),
and writes one interaction item per decision.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import TandemConfig
from infra.constructs.data import Data
from infra.constructs.ivr_config import IvrConfig
from infra.constructs.keyed_hash import KeyedHash
from infra.constructs.tandem_function import TandemFunction
from lambdas.documents.config import CONFIG_PATH_VAR, TIME_ZONE_VAR
from lambdas.shared.keyed_hash_secret import SECRET_VAR as KEYED_HASH_SECRET_VAR
from lambdas.shared.tables import INTERACTIONS


class IvrDecision(TandemFunction):
    def __init__(
        self,
        scope: Construct,
        *,
        config: TandemConfig,
        runtime: lambda_.Runtime,
        data: Data,
        ivr_config: IvrConfig,
        keyed_hash: KeyedHash,
    ) -> None:
        super().__init__(
            scope,
            "ivr_decision",
            description="Tandem: decides machine or human for the Connect flow",
            runtime=runtime,
            config=config,
            environment={
                CONFIG_PATH_VAR: ivr_config.path,
                **data.environment(INTERACTIONS),
                TIME_ZONE_VAR: config.time_zone,
                KEYED_HASH_SECRET_VAR: keyed_hash.secret_arn,
            },
            flow_invoked=True,
        )
        ivr_config.grant_read(self.role)
        # An experiment's caller unit is the caller's keyed hash: GetSecretValue on that secret alone.
        keyed_hash.grant_read(self.role)
        # One PutItem per decision: grant_write_data would add BatchWriteItem, UpdateItem and
        # DeleteItem, which the function never does.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:PutItem"], resources=[data.table(INTERACTIONS).table_arn])
        )
