"""CRM lookup: the function that finds the caller in the CRM for the Connect flow.

The adapter (context `crmAdapter`) decides both its environment and its one grant: Query on the
customers table's phone index, or GetSecretValue on the HTTP CRM's secret.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra import constants
from infra.config import TandemConfig
from infra.constructs.data import Data
from infra.constructs.tandem_function import TandemFunction
from lambdas.shared.tables import CUSTOMERS


class CrmLookup(TandemFunction):
    def __init__(
        self, scope: Construct, *, config: TandemConfig, runtime: lambda_.Runtime, data: Data
    ) -> None:
        environment = {
            "CRM_ADAPTER": config.crm_adapter,
            "LOOKUP_BUDGET_MS": str(constants.LOOKUP_BUDGET_MS),
            "DEFAULT_COUNTRY": config.default_country,
        }
        if config.crm_adapter == "dynamodb":
            environment |= data.environment(CUSTOMERS)
        else:
            environment |= {
                "CRM_HTTP_BASE_URL": str(config.crm_base_url),
                "CRM_HTTP_SECRET_ARN": str(config.crm_secret_arn),
            }
        super().__init__(
            scope,
            "crm_lookup",
            description="Tandem: finds the caller in the CRM for the Connect flow",
            runtime=runtime,
            config=config,
            environment=environment,
            flow_invoked=True,
        )
        if config.crm_adapter == "dynamodb":
            # Only the phone index, only Query: grant_read_data would add GetItem/Scan on the
            # table and `<table>/index/*`, more than the lookup ever does.
            customers = data.table(CUSTOMERS)
            index = CUSTOMERS.indexes[0].name
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["dynamodb:Query"],
                    resources=[f"{customers.table_arn}/index/{index}"],
                )
            )
        else:
            self.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[str(config.crm_secret_arn)],
                )
            )
