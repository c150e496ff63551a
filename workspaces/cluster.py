"""cluster: the one ECS cluster every project's services run in, with the Cloud Map namespace
they find each other by and the log group their containers write to.

One shared cluster in its own workspace (docs/foundation.md): a cluster costs nothing by itself,
Container Insights and capacity providers are set once, and project workspaces come and go
without touching it.
"""
from __future__ import annotations

from building_blocks.ecs_cluster import EcsCluster, EcsClusterProps
from workspaces.base import Workspace


class ClusterWorkspace(Workspace):
    def __init__(self, scope, spec, platform):
        super().__init__(scope, spec, platform)
        cluster = EcsCluster(self, "cluster", EcsClusterProps(
            name=self.name("cluster"), vpc_id=self.read("network", "vpc_id"),
            namespace=platform.platform.internal_namespace, log_group_name=platform.containers.log_group,
            log_retention_days=platform.monitoring.log_retention_days,
            kms_key_arn=self.read("storage", "kms_key_arn_logs")))
        self.publish("ecs_cluster_name", cluster.name, "The shared ECS cluster")
        self.publish("ecs_cluster_arn", cluster.arn, "The shared ECS cluster's ARN")
        self.publish("service_discovery_namespace_id", cluster.namespace.id, "Cloud Map private DNS namespace")
        self.publish("service_discovery_namespace_name", cluster.namespace.name,
                     "Cloud Map namespace name: services resolve as <service>.<namespace>")
        self.publish("ecs_log_group_name", cluster.log_group.name, "Log group of every container (awslogs-group)")
        self.publish("ecs_log_group_arn", cluster.log_group.arn, "ARN of the containers' log group")
