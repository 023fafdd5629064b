"""A multi-region stage's data: one DynamoDB global table with multi-Region strong consistency.

:class:`GlobalTableStack` owns the table in the stage's first region and declares the other
replicas and the witness there (``AWS::DynamoDB::GlobalTable``: one resource for every replica).
It outlives the regional API stacks, which only read it: each one sees the replica of its own
region through :class:`RegionalReplica`.

A replica's stream ARN ends in a label DynamoDB picks when it creates the stream, and
CloudFormation returns only the stack region's (``StreamArn``); ``TableV2.replica(region)`` offers a
``.../stream/*`` pattern, fine for IAM but not for an event source mapping, which needs the exact
ARN. So each regional stack asks DynamoDB for its replica's ``LatestStreamArn`` at deploy time.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra import findings
from infra.config import StackConfig
from infra.products_table import partition_key

_STREAM_ARN_FIELD = "Table.LatestStreamArn"
# CloudFormation gives up on the lookup after this long (its own default is an hour).
_LOOKUP_SERVICE_TIMEOUT = cdk.Duration.minutes(5)
_LOOKUP_TIMEOUT = cdk.Duration.seconds(30)


class GlobalTableStack(cdk.Stack):
    """The stage's global table (``table``), named ``table_name`` in every region."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any
    ) -> None:
        regions = config.regions or []
        if len(regions) < 2:
            raise ValueError("a global table needs the regions of a multi-region stage")
        super().__init__(
            scope,
            construct_id,
            description=(
                f"products-api ({config.stage}): DynamoDB global table (multi-Region strong "
                f"consistency) in {', '.join(regions)}"
                + (f", witness {config.witness_region}" if config.witness_region else "")
            ),
            env=cdk.Environment(account=config.account, region=regions[0]),
            **kwargs,
        )
        # A fixed name, the same in every region: the regional stacks know it without a
        # cross-region reference, and a change that would replace the table fails on the name
        # instead of silently starting an empty one.
        self.table_name = config.stack_name
        self.table = dynamodb.TableV2(
            self,
            "ProductsTable",
            table_name=self.table_name,
            partition_key=partition_key(),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=config.deletion_protection,
            removal_policy=(
                cdk.RemovalPolicy.RETAIN if config.retain_table else cdk.RemovalPolicy.DESTROY
            ),
            # Every replica streams every change, wherever it was written: each region's
            # events pipeline reads its own replica's stream.
            dynamo_stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            multi_region_consistency=dynamodb.MultiRegionConsistency.STRONG,
            replicas=[dynamodb.ReplicaTableProps(region=region) for region in regions[1:]],
            witness_region=config.witness_region,
        )
        cdk.CfnOutput(
            self,
            "TableName",
            value=self.table_name,
            description="The global table (the same name in every replica region)",
        )


class RegionalReplica(Construct):
    """The global table's replica in this stack's region (``table``) and its stream's exact ARN
    (``stream_arn``), which a custom resource reads from DynamoDB (``DescribeTable``) on deploy."""

    def __init__(
        self, scope: Construct, construct_id: str, *, table_name: str, log_group: logs.ILogGroup
    ) -> None:
        super().__init__(scope, construct_id)
        # The ARN is this stack's region's: the API and the stream function touch no other.
        self.table = dynamodb.TableV2.from_table_attributes(self, "Table", table_name=table_name)
        # Its own role (not CDK's default, which carries AWSLambdaBasicExecutionRole): the lookup
        # may write its log group and describe this replica, nothing else.
        role = iam.Role(
            self,
            "LookupRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Reads the stream ARN of {table_name} in this region at deploy time",
        )
        log_group.grant_write(role)
        describe = cr.AwsSdkCall(
            service="DynamoDB",
            action="describeTable",
            parameters={"TableName": table_name},
            physical_resource_id=cr.PhysicalResourceId.of(f"{table_name}-stream"),
            output_paths=[_STREAM_ARN_FIELD],
        )
        # on_update alone (it also serves create): every update answers with the field again.
        lookup = cr.AwsCustomResource(
            self,
            "StreamLookup",
            on_update=describe,
            policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=[self.table.table_arn]),
            role=role,
            log_group=log_group,
            install_latest_aws_sdk=False,
            timeout=_LOOKUP_TIMEOUT,
            service_timeout=_LOOKUP_SERVICE_TIMEOUT,
        )
        self.stream_arn = lookup.get_response_field(_STREAM_ARN_FIELD)
        findings.stream_lookup_findings(scope, role)
