"""A containerized service on ECS Fargate: task definition (the app container and an ADOT
collector sidecar), its execution and task roles, the ECS service in private subnets behind an
optional load balancer target group, its Cloud Map name and target-tracking auto scaling.

The image tag the service runs lives in an SSM parameter the pipeline writes after a verified
deploy. Terraform renders that tag into the task definition, and the task definition tracks the
family's latest revision, so an apply after a pipeline deploy changes nothing and an apply that
changes the task definition keeps the deployed image (docs/projects.md, "Deploys").
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.ecs_service import (
    EcsService,
    EcsServiceCapacityProviderStrategy,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceDeploymentController,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
    EcsServiceServiceRegistries,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import (
    EcsTaskDefinition,
    EcsTaskDefinitionRuntimePlatform,
    EcsTaskDefinitionVolume,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.service_discovery_service import (
    ServiceDiscoveryService,
    ServiceDiscoveryServiceDnsConfig,
    ServiceDiscoveryServiceDnsConfigDnsRecords,
    ServiceDiscoveryServiceHealthCheckCustomConfig,
)
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from constructs import Construct

from building_blocks.alarms import Metric
from building_blocks.container_image_repository import RepositoryReference
from building_blocks.ecs_cluster import ClusterReference
from building_blocks.iam import Statement, assumed_by_service, policy_document
from building_blocks.log_group import LogGroupReference

SIDECAR_NAME = "aws-otel-collector"
COLLECTOR_USER = "10001"  # the OpenTelemetry collector images' non-root user
TMP_VOLUME = "tmp"
INITIAL_IMAGE_TAG = "latest"  # until the pipeline has deployed a commit
XRAY_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"]


def execution_role_name(family: str) -> str:
    return f"{family}-execution"


def task_role_name(family: str) -> str:
    return f"{family}-task"


@dataclass(frozen=True)
class HealthCheck:
    """The container health check: `curl -f http://localhost:<port><path>` on this schedule."""

    interval_seconds: int
    timeout_seconds: int
    retries: int
    start_period_seconds: int


@dataclass(frozen=True)
class Scaling:
    min_capacity: int
    max_capacity: int
    cpu_target_percent: int
    memory_target_percent: int
    scale_in_cooldown_seconds: int
    scale_out_cooldown_seconds: int


@dataclass(frozen=True)
class RollingDeployment:
    maximum_percent: int
    minimum_healthy_percent: int
    health_check_grace_seconds: int     # applied only behind a load balancer


@dataclass(frozen=True)
class SecretValue:
    """A Secrets Manager secret, or one key of its JSON (`arn:...:<key>::` in ECS's valueFrom)."""

    arn: str
    json_key: str | None = None

    @property
    def value_from(self) -> str:
        return f"{self.arn}:{self.json_key}::" if self.json_key else self.arn


@dataclass(frozen=True)
class InitContainer:
    """A container of the app's image that runs to completion before the app starts (the app
    waits for it to exit 0): e.g. a migration as the database owner, whose credentials only it gets."""

    name: str
    command: list[str]
    environment: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, SecretValue] = field(default_factory=dict)


@dataclass(frozen=True)
class EcsServiceReference:
    """An ECS service by cluster and name, with its CloudWatch metrics (for alarms and
    dashboards in any workspace)."""

    cluster: ClusterReference
    name: str

    @property
    def dimensions(self) -> dict[str, str]:
        return {"ClusterName": self.cluster.name, "ServiceName": self.name}

    def metric(self, name: str, stat: str, period: int, label: str | None = None) -> Metric:
        """AWS/ECS, e.g. CPUUtilization, MemoryUtilization."""
        return Metric("AWS/ECS", name, self.dimensions, stat, period, label)

    def insights_metric(self, name: str, stat: str, period: int, label: str | None = None) -> Metric:
        """Container Insights, e.g. RunningTaskCount, DesiredTaskCount."""
        return Metric("ECS/ContainerInsights", name, self.dimensions, stat, period, label)


@dataclass(frozen=True)
class ContainerServiceProps:
    name: str                           # ECS service and Cloud Map name, e.g. "lang-portal-api"
    family: str                         # task definition family, unique per environment
    container_name: str                 # the app container, e.g. "fastapi-app"
    port: int
    health_path: str
    cpu: int
    memory: int
    health_check: HealthCheck
    scaling: Scaling
    deployment: RollingDeployment
    image_repository: RepositoryReference
    image_tag_parameter_name: str       # SSM parameter the pipeline writes the deployed tag to
    cluster: ClusterReference
    subnet_ids: list[str]
    security_group_ids: list[str]
    namespace_id: str                   # Cloud Map private DNS namespace
    dns_ttl_seconds: int
    log_group: LogGroupReference        # the containers' awslogs group
    log_stream_prefix: str
    region: str
    collector_image: str
    collector_config_parameter_arn: str  # SSM parameter with the collector's configuration
    target_group_arn: str | None = None  # None: reached only through Cloud Map
    environment: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)   # variable -> Secrets Manager secret ARN
    secrets_kms_key_arn: str | None = None  # the key the secrets (and SSM parameters) are encrypted with
    task_policy_arns: list[str] = field(default_factory=list)
    task_statements: list[Statement] = field(default_factory=list)
    capacity_provider: str = "FARGATE_SPOT"
    user: str = "10001"                 # never root; the app user the platform's Dockerfiles create
    read_only_root_filesystem: bool = True  # /tmp is a task volume
    enable_execute_command: bool = False
    auto_scaling: bool = True           # False: the task count stays at scaling.min_capacity
    init_container: InitContainer | None = None  # runs before the app in every task


class ContainerService(Construct):
    def __init__(self, scope: Construct, id: str, props: ContainerServiceProps):
        super().__init__(scope, id)
        self.props = props
        account = DataAwsCallerIdentity(self, "account").account_id
        self.image_tag = SsmParameter(
            self, "image-tag", name=props.image_tag_parameter_name, type="String",
            insecure_value=INITIAL_IMAGE_TAG,
            description=f"Image tag of {props.name} the pipeline deployed and verified last",
            # The pipeline owns the value after the first deploy.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["insecure_value"]))

        self.execution_role = self._role("execution-role", execution_role_name(props.family), account,
                                         f"Starts {props.name} tasks: pulls the image, reads its secrets, writes logs")
        IamRolePolicy(self, "execution-policy", role=self.execution_role.name, name="start-tasks",
                      policy=policy_document(*self._execution_statements()))
        self.task_role = self._role("task-role", task_role_name(props.family), account,
                                    f"What the {props.name} app and its collector call")
        IamRolePolicy(self, "task-policy", role=self.task_role.name, name="app",
                      policy=policy_document(
                          Statement(sid="CollectorTraces", actions=XRAY_ACTIONS, resources=["*"]),
                          *props.task_statements))
        for index, policy_arn in enumerate(props.task_policy_arns):
            IamRolePolicyAttachment(self, f"task-policy-{index}", role=self.task_role.name, policy_arn=policy_arn)

        self.task_definition = EcsTaskDefinition(
            self, "task", family=props.family, requires_compatibilities=["FARGATE"], network_mode="awsvpc",
            cpu=str(props.cpu), memory=str(props.memory),
            runtime_platform=EcsTaskDefinitionRuntimePlatform(operating_system_family="LINUX",
                                                              cpu_architecture="X86_64"),
            execution_role_arn=self.execution_role.arn, task_role_arn=self.task_role.arn,
            volume=[EcsTaskDefinitionVolume(name=TMP_VOLUME)],
            container_definitions=json.dumps(self.container_definitions()),
            # The pipeline registers revisions of this family; read the latest one so an
            # apply after a deploy sees no difference.
            track_latest=True)

        self.discovery = ServiceDiscoveryService(
            self, "discovery", name=props.name,
            dns_config=ServiceDiscoveryServiceDnsConfig(
                namespace_id=props.namespace_id, routing_policy="MULTIVALUE",
                dns_records=[ServiceDiscoveryServiceDnsConfigDnsRecords(type="A", ttl=props.dns_ttl_seconds)]),
            # ECS reports task health to Cloud Map.
            health_check_custom_config=ServiceDiscoveryServiceHealthCheckCustomConfig())

        behind_load_balancer = props.target_group_arn is not None
        self.service = EcsService(
            self, "service", name=props.name, cluster=props.cluster.arn,
            task_definition=self.task_definition.arn,
            desired_count=props.scaling.min_capacity,
            capacity_provider_strategy=[EcsServiceCapacityProviderStrategy(
                capacity_provider=props.capacity_provider, weight=1)],
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=props.subnet_ids, security_groups=props.security_group_ids, assign_public_ip=False),
            load_balancer=[EcsServiceLoadBalancer(
                target_group_arn=props.target_group_arn, container_name=props.container_name,
                container_port=props.port)] if behind_load_balancer else None,
            health_check_grace_period_seconds=(
                props.deployment.health_check_grace_seconds if behind_load_balancer else None),
            service_registries=EcsServiceServiceRegistries(registry_arn=self.discovery.arn),
            deployment_controller=EcsServiceDeploymentController(type="ECS"),
            deployment_maximum_percent=props.deployment.maximum_percent,
            deployment_minimum_healthy_percent=props.deployment.minimum_healthy_percent,
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(enable=True, rollback=True),
            enable_execute_command=props.enable_execute_command,
            enable_ecs_managed_tags=True, propagate_tags="SERVICE",
            # Auto scaling owns the task count once the service exists.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_count"]))
        self.name = self.service.name
        self.reference = EcsServiceReference(props.cluster, self.name)
        if props.auto_scaling:
            self._auto_scaling()

    def container_definitions(self) -> list[dict]:
        props = self.props
        logs = {"logDriver": "awslogs", "options": {
            "awslogs-group": props.log_group.name, "awslogs-region": props.region,
            "awslogs-stream-prefix": props.log_stream_prefix}}
        tmp = [{"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False}]
        check = props.health_check
        app = {
            "name": props.container_name,
            "image": props.image_repository.image(self.image_tag.insecure_value),
            "essential": True,
            "portMappings": [{"containerPort": props.port, "protocol": "tcp"}],
            "environment": [{"name": k, "value": v} for k, v in sorted(
                {"AWS_DEFAULT_REGION": props.region, **props.environment}.items())],
            "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(props.secrets.items())],
            "healthCheck": {
                "command": ["CMD-SHELL", f"curl -f http://localhost:{props.port}{props.health_path} || exit 1"],
                "interval": check.interval_seconds, "timeout": check.timeout_seconds,
                "retries": check.retries, "startPeriod": check.start_period_seconds},
            "logConfiguration": logs,
            "readonlyRootFilesystem": props.read_only_root_filesystem,
            "mountPoints": tmp,
            "user": props.user,
            "privileged": False,
            # Traces and metrics go to the collector: start it first.
            "dependsOn": [{"containerName": SIDECAR_NAME, "condition": "START"}],
        }
        containers = [app]
        collector = {
            "name": SIDECAR_NAME,
            "image": props.collector_image,
            "essential": True,
            "secrets": [{"name": "AOT_CONFIG_CONTENT", "valueFrom": props.collector_config_parameter_arn}],
            "logConfiguration": logs,
            "readonlyRootFilesystem": props.read_only_root_filesystem,
            "mountPoints": tmp,
            "user": COLLECTOR_USER,
            "privileged": False,
        }
        containers.append(collector)
        if props.init_container:
            init = props.init_container
            containers.append({
                "name": init.name,
                "image": app["image"],
                "essential": False,  # it exits when done; the app waits for its success
                "command": init.command,
                "environment": [{"name": k, "value": v} for k, v in sorted(
                    {"AWS_DEFAULT_REGION": props.region, **init.environment}.items())],
                "secrets": [{"name": k, "valueFrom": v.value_from} for k, v in sorted(init.secrets.items())],
                "logConfiguration": logs,
                "readonlyRootFilesystem": props.read_only_root_filesystem,
                "mountPoints": tmp,
                "user": props.user,
                "privileged": False,
            })
            app["dependsOn"].append({"containerName": init.name, "condition": "SUCCESS"})
        return containers

    def _role(self, id: str, name: str, account: str, description: str) -> IamRole:
        trust = assumed_by_service("ecs-tasks.amazonaws.com", {"StringEquals": {"aws:SourceAccount": account}})
        return IamRole(self, id, name=name, description=description, assume_role_policy=trust)

    def _execution_statements(self) -> list[Statement]:
        props = self.props
        statements = [
            *props.image_repository.grant_pull(),
            props.log_group.grant_write("ContainerLogs"),
            Statement(sid="CollectorConfig", actions=["ssm:GetParameters"],
                      resources=[props.collector_config_parameter_arn]),
        ]
        secret_arns = set(props.secrets.values())
        if props.init_container:
            secret_arns |= {v.arn for v in props.init_container.secrets.values()}
        if secret_arns:
            statements.append(Statement(sid="Secrets", actions=["secretsmanager:GetSecretValue"],
                                        resources=sorted(secret_arns)))
        if props.secrets_kms_key_arn:
            statements.append(Statement(
                sid="DecryptSecrets", actions=["kms:Decrypt"], resources=[props.secrets_kms_key_arn],
                conditions={"StringEquals": {"kms:ViaService": [
                    f"secretsmanager.{props.region}.amazonaws.com", f"ssm.{props.region}.amazonaws.com"]}}))
        return statements

    def _auto_scaling(self) -> None:
        props = self.props
        scaling = props.scaling
        target = AppautoscalingTarget(
            self, "scaling-target", service_namespace="ecs", scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{props.cluster.name}/{self.service.name}",
            min_capacity=scaling.min_capacity, max_capacity=scaling.max_capacity)
        for metric, percent in (("CPU", scaling.cpu_target_percent), ("Memory", scaling.memory_target_percent)):
            AppautoscalingPolicy(
                self, f"scale-on-{metric.lower()}", name=f"{props.name}-{metric.lower()}-target-tracking",
                policy_type="TargetTrackingScaling", service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension, resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                    target_value=percent,
                    scale_in_cooldown=scaling.scale_in_cooldown_seconds,
                    scale_out_cooldown=scaling.scale_out_cooldown_seconds,
                    predefined_metric_specification=(
                        AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                            predefined_metric_type=f"ECSServiceAverage{metric}Utilization"))))
