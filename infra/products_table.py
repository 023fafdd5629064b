"""The products table: on-demand, encrypted, recoverable, with the stream domain events read."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from app import contract  # the dependency-free data sheet, never the app itself
from infra import findings
from infra.config import StackConfig

_KEY_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def partition_key() -> dynamodb.Attribute:
    """The table's key, as ``app/contract.py`` declares it."""
    return dynamodb.Attribute(
        name=contract.PARTITION_KEY, type=_KEY_TYPES[contract.PARTITION_KEY_TYPE]
    )


class ProductsTable(Construct):
    """The table the API stores products in (``table``), keyed as ``app/contract.py`` says."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        encryption_key: kms.IKey | None,
        removal_policy: cdk.RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        # "Default": the table keeps the logical id it had before this construct existed, so a
        # deployed (retained) table is never replaced by this refactoring.
        self.table = dynamodb.Table(
            self,
            "Default",
            # No table_name: CloudFormation generates one, so stages and replacements never collide.
            partition_key=partition_key(),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=(
                dynamodb.TableEncryption.CUSTOMER_MANAGED
                if encryption_key
                else dynamodb.TableEncryption.AWS_MANAGED
            ),
            encryption_key=encryption_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=config.deletion_protection,
            removal_policy=removal_policy,
            # Change data capture for the domain events (infra/event_bus.py).
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        )
        findings.table_findings(self.table, config)
