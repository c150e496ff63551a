"""An ECS cluster for Fargate services, with its Cloud Map namespace and container log group,
and the reference (name and ARN) services and pipelines in other workspaces use."""
from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.ecs_cluster import EcsCluster as EcsClusterResource
from cdktf_cdktf_provider_aws.ecs_cluster import (
    EcsClusterConfiguration,
    EcsClusterConfigurationExecuteCommandConfiguration,
    EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration,
    EcsClusterSetting,
)
from cdktf_cdktf_provider_aws.ecs_cluster_capacity_providers import (
    EcsClusterCapacityProviders,
    EcsClusterCapacityProvidersDefaultCapacityProviderStrategy,
)
from cdktf_cdktf_provider_aws.service_discovery_private_dns_namespace import ServiceDiscoveryPrivateDnsNamespace
from constructs import Construct

from building_blocks.log_group import LogGroup, LogGroupProps


@dataclass(frozen=True)
class ClusterReference:
    name: str
    arn: str


@dataclass(frozen=True)
class EcsClusterProps:
    name: str
    vpc_id: str                                   # the namespace's private DNS zone lives in this VPC
    namespace: str                                # Cloud Map private DNS namespace, e.g. app-dw.internal
    log_group_name: str                           # the containers' awslogs group
    log_retention_days: int
    kms_key_arn: str                              # encrypts the log group and ECS Exec sessions
    capacity_providers: tuple[str, ...] = ("FARGATE_SPOT", "FARGATE")
    default_capacity_provider: str = "FARGATE_SPOT"

    def __post_init__(self) -> None:
        if self.default_capacity_provider not in self.capacity_providers:
            raise ValueError(f"default capacity provider {self.default_capacity_provider} is not one of "
                             f"{self.capacity_providers}")


class EcsCluster(Construct):
    def __init__(self, scope: Construct, id: str, props: EcsClusterProps):
        super().__init__(scope, id)
        self.log_group = LogGroup(self, "log-group", LogGroupProps(
            name=props.log_group_name, retention_days=props.log_retention_days, kms_key_arn=props.kms_key_arn))
        # ECS Exec stays off on every service unless a service turns it on; when it is on, each
        # session is encrypted with the key and its transcript kept in the containers' log group.
        exec_logging = EcsClusterConfigurationExecuteCommandConfiguration(
            kms_key_id=props.kms_key_arn, logging="OVERRIDE",
            log_configuration=EcsClusterConfigurationExecuteCommandConfigurationLogConfiguration(
                cloud_watch_log_group_name=self.log_group.name, cloud_watch_encryption_enabled=True))
        self.cluster = EcsClusterResource(
            self, "cluster", name=props.name,
            setting=[EcsClusterSetting(name="containerInsights", value="enabled")],
            configuration=EcsClusterConfiguration(execute_command_configuration=exec_logging))
        EcsClusterCapacityProviders(
            self, "capacity-providers", cluster_name=self.cluster.name,
            capacity_providers=list(props.capacity_providers),
            default_capacity_provider_strategy=[EcsClusterCapacityProvidersDefaultCapacityProviderStrategy(
                capacity_provider=props.default_capacity_provider, weight=1)])
        self.namespace = ServiceDiscoveryPrivateDnsNamespace(
            self, "namespace", name=props.namespace, vpc=props.vpc_id,
            description=f"Service discovery of the services in {props.name}")
        self.name = self.cluster.name
        self.arn = self.cluster.arn
        self.reference = ClusterReference(self.name, self.arn)
