"""cluster: one shared ECS cluster with Container Insights, Fargate Spot first, the Cloud Map
namespace and the containers' log group."""
from __future__ import annotations

import pytest

from building_blocks.ecs_cluster import EcsClusterProps
from tests.tf import logical_id, only, reference

LOGS_KEY = "${data.terraform_remote_state.remote-storage.outputs.kms_key_arn_logs}"


@pytest.fixture(scope="module")
def cluster(stacks) -> dict:
    return stacks["cluster"]


def test_one_cluster_named_for_the_environment_with_container_insights(cluster, synth_env):
    body = only(cluster, "aws_ecs_cluster")
    assert body["name"] == "app-dw-dev-cluster"
    assert body["setting"] == [{"name": "containerInsights", "value": "enabled"}]
    assert only(synth_env("prod").stacks["cluster"], "aws_ecs_cluster")["name"] == "app-dw-prod-cluster"


def test_capacity_providers_prefer_fargate_spot(cluster):
    providers = only(cluster, "aws_ecs_cluster_capacity_providers")
    cluster_name = logical_id(cluster, "aws_ecs_cluster", only(cluster, "aws_ecs_cluster"))
    assert providers["cluster_name"] == reference("aws_ecs_cluster", cluster_name, "name")
    assert providers["capacity_providers"] == ["FARGATE_SPOT", "FARGATE"]
    assert providers["default_capacity_provider_strategy"] == [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]


def test_ecs_exec_sessions_are_encrypted_and_logged_to_the_container_log_group(cluster):
    exec_config = only(cluster, "aws_ecs_cluster")["configuration"]["execute_command_configuration"]
    group = logical_id(cluster, "aws_cloudwatch_log_group", only(cluster, "aws_cloudwatch_log_group"))
    assert exec_config == {"kms_key_id": LOGS_KEY, "logging": "OVERRIDE", "log_configuration": {
        "cloud_watch_log_group_name": reference("aws_cloudwatch_log_group", group, "name"),
        "cloud_watch_encryption_enabled": True}}


def test_cloud_map_namespace_is_private_dns_on_the_vpc(cluster):
    namespace = only(cluster, "aws_service_discovery_private_dns_namespace")
    assert namespace["name"] == "app-dw.internal"
    assert namespace["vpc"] == "${data.terraform_remote_state.remote-network.outputs.vpc_id}"


def test_container_log_group_is_the_spec_group_encrypted_with_seven_days(cluster):
    group = only(cluster, "aws_cloudwatch_log_group")
    assert group["name"] == "/ecs/app-dw"
    assert group["retention_in_days"] == 7
    assert group["kms_key_id"] == LOGS_KEY


def test_cluster_publishes_the_contract_outputs(cluster):
    assert set(cluster["output"]) == {"ecs_cluster_name", "ecs_cluster_arn", "service_discovery_namespace_id",
                                      "service_discovery_namespace_name", "ecs_log_group_name", "ecs_log_group_arn"}
    group = logical_id(cluster, "aws_cloudwatch_log_group", only(cluster, "aws_cloudwatch_log_group"))
    assert cluster["output"]["ecs_log_group_name"]["value"] == reference("aws_cloudwatch_log_group", group, "name")


def test_default_capacity_provider_must_be_one_of_the_providers():
    with pytest.raises(ValueError, match="not one of"):
        EcsClusterProps(name="x", vpc_id="v", namespace="n.internal", log_group_name="/g", log_retention_days=7,
                        kms_key_arn="k", capacity_providers=("FARGATE",))
