"""The per-deployment secret of the keyed hash (lambdas/shared/keyed_hash.py).

Secrets Manager generates it at deploy time: the template holds only `GenerateSecretString`, so the
key is never in the repository, the template or cdk.out. A function that hashes caller data gets
the secret's ARN in `KEYED_HASH_SECRET_ARN` and may read this one secret (`grant_read`), nothing
more. Encrypted with the AWS-managed aws/secretsmanager key, which needs no kms grant.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge

# 64 letters and digits: about 380 bits, and no character a console or shell would mangle.
SECRET_LENGTH = 64


class KeyedHash(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, retain: bool) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            description=(
                "Tandem: the keyed-hash secret every hash of caller data derives its key from "
                "(generated here; rotating it re-keys every hash, see docs/reliability.md)"
            ),
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=SECRET_LENGTH, exclude_punctuation=True, include_space=False
            ),
            # Kept with the tables it keys: a deleted secret leaves their hashes matching nothing.
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "A key, not a credential: rotating it changes every keyed hash, so a callback claim made "
            "before it no longer blocks a duplicate, and hashes kept for analysis stop matching. "
            "Rotation is a deliberate operator step (docs/reliability.md), not a schedule.",
        )

    @property
    def secret_arn(self) -> str:
        return self.secret.secret_arn

    def grant_read(self, role: iam.IRole) -> None:
        """GetSecretValue on this secret only: grant_read would add DescribeSecret, never used."""
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.secret_arn])
        )
