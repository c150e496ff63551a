"""A delivery pipeline for one component of a monorepo: CodePipeline V2 with a GitHub source
through a CodeStar connection, started only by pushes that touch the component's paths; a
CodeBuild build (tests, then the build), a deploy (ECS rolling deploy of the new image, or a
CodeBuild step), and an integration stage whose failure stops the pipeline.

Each CodeBuild step runs a buildspec kept in the repository beside the component, under its
own role that holds only what that step does.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.codebuild_project import (
    CodebuildProject,
    CodebuildProjectArtifacts,
    CodebuildProjectEnvironment,
    CodebuildProjectEnvironmentEnvironmentVariable,
    CodebuildProjectLogsConfig,
    CodebuildProjectLogsConfigCloudwatchLogs,
    CodebuildProjectSource,
)
from cdktf_cdktf_provider_aws.codepipeline import (
    Codepipeline,
    CodepipelineArtifactStore,
    CodepipelineArtifactStoreEncryptionKey,
    CodepipelineStage,
    CodepipelineStageAction,
    CodepipelineTrigger,
    CodepipelineTriggerGitConfiguration,
    CodepipelineTriggerGitConfigurationPush,
    CodepipelineTriggerGitConfigurationPushBranches,
    CodepipelineTriggerGitConfigurationPushFilePaths,
)
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_region import DataAwsRegion
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from building_blocks.ecs_cluster import ClusterReference
from building_blocks.iam import Statement, assumed_by_service, policy_document
from building_blocks.log_group import LogGroup, LogGroupProps

SOURCE = "source"
BUILD = "build"
IMAGE_DEFINITIONS = "imagedefinitions.json"
BUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
# CodePipeline keeps a pipeline's artifacts under the first 20 characters of its name.
ARTIFACT_FOLDER_LENGTH = 20


def artifact_folder(pipeline_name: str) -> str:
    """The folder of the artifact bucket a pipeline of this name writes to (and its roles are held to)."""
    return pipeline_name[:ARTIFACT_FOLDER_LENGTH]


@dataclass(frozen=True)
class BuildStep:
    """A CodeBuild project one pipeline action runs."""

    buildspec: str                      # path from the repository root
    environment: dict[str, str] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)  # beyond logs and pipeline artifacts
    privileged: bool = False            # only for docker builds
    compute_type: str = "BUILD_GENERAL1_SMALL"
    timeout_minutes: int = 30


@dataclass(frozen=True)
class EcsDeployTarget:
    """An ECS service the deploy stage rolls to the image the build wrote to imagedefinitions.json."""

    action_name: str                    # e.g. "Deploy-lang-portal-api" (known at plan time)
    cluster: ClusterReference
    service_name: str
    task_family: str
    role_arns: list[str]                # the task's execution and task roles (passed to the new revision)


@dataclass(frozen=True)
class ComponentPipelineProps:
    name: str
    connection_arn: str                 # CodeStar connection to GitHub
    repository: str                     # owner/name
    branch: str
    trigger_paths: list[str]            # pushes touching these paths start the pipeline
    artifact_bucket_name: str
    artifact_bucket_arn: str
    artifact_key_arn: str
    log_retention_days: int
    log_kms_key_arn: str
    build: BuildStep
    integration_test: BuildStep
    ecs_deploys: list[EcsDeployTarget] = field(default_factory=list)
    deploy: BuildStep | None = None     # a CodeBuild deploy (reads the source and the build output)
    build_exports: list[str] = field(default_factory=list)  # variables the build exports to the integration step
    create_pipeline: bool = True        # False: only the CodeBuild projects, logs and roles the pipeline runs

    def __post_init__(self) -> None:
        if bool(self.ecs_deploys) == (self.deploy is not None):
            raise ValueError(f"pipeline {self.name!r}: give exactly one of ecs_deploys and deploy")


class ComponentPipeline(Construct):
    def __init__(self, scope: Construct, id: str, props: ComponentPipelineProps):
        super().__init__(scope, id)
        self.props = props
        self._account = DataAwsCallerIdentity(self, "account").account_id
        self._region = DataAwsRegion(self, "region").name
        self._same_account = {"StringEquals": {"aws:SourceAccount": self._account}}
        self.log_group = LogGroup(self, "logs", LogGroupProps(
            name=f"/aws/codebuild/{props.name}", retention_days=props.log_retention_days,
            kms_key_arn=props.log_kms_key_arn))
        self._artifacts = f"{props.artifact_bucket_arn}/{artifact_folder(props.name)}/*"

        self.build_project = self._codebuild("build", props.build, writes_artifacts=True)
        stages = [self._source_stage(), CodepipelineStage(name="Build", action=[CodepipelineStageAction(
            name="Build", category="Build", owner="AWS", provider="CodeBuild", version="1",
            input_artifacts=[SOURCE], output_artifacts=[BUILD], namespace="BuildVariables",
            configuration={"ProjectName": self.build_project.name})])]
        if props.deploy:
            self.deploy_project = self._codebuild("deploy", props.deploy, writes_artifacts=False)
            deploy_actions = [CodepipelineStageAction(
                name="Deploy", category="Build", owner="AWS", provider="CodeBuild", version="1",
                input_artifacts=[SOURCE, BUILD],
                configuration={"ProjectName": self.deploy_project.name, "PrimarySource": SOURCE})]
        else:
            deploy_actions = [CodepipelineStageAction(
                name=target.action_name, category="Deploy", owner="AWS", provider="ECS", version="1",
                input_artifacts=[BUILD],
                configuration={"ClusterName": target.cluster.name, "ServiceName": target.service_name,
                               "FileName": IMAGE_DEFINITIONS})
                for target in props.ecs_deploys]
        stages.append(CodepipelineStage(name="Deploy", action=deploy_actions))
        self.integration_project = self._codebuild("integration", props.integration_test, writes_artifacts=False)
        stages.append(CodepipelineStage(name="Integration", action=[CodepipelineStageAction(
            name="SmokeTest", category="Test", owner="AWS", provider="CodeBuild", version="1",
            input_artifacts=[SOURCE],
            configuration=self._integration_configuration())]))

        self.role = IamRole(
            self, "role", name=f"{props.name}-pipeline", description=f"CodePipeline {props.name}",
            assume_role_policy=assumed_by_service("codepipeline.amazonaws.com", self._same_account))
        policy = IamRolePolicy(self, "role-policy", role=self.role.name, name="run-pipeline",
                               policy=policy_document(*self._pipeline_statements()))
        self.name = self._pipeline(stages, policy).name if props.create_pipeline else props.name

    def _pipeline(self, stages: list[CodepipelineStage], policy: IamRolePolicy) -> Codepipeline:
        props = self.props
        return Codepipeline(
            self, "pipeline", name=props.name, pipeline_type="V2", role_arn=self.role.arn,
            artifact_store=[CodepipelineArtifactStore(
                location=props.artifact_bucket_name, type="S3",
                encryption_key=CodepipelineArtifactStoreEncryptionKey(id=props.artifact_key_arn, type="KMS"))],
            trigger=[CodepipelineTrigger(
                provider_type="CodeStarSourceConnection",
                git_configuration=CodepipelineTriggerGitConfiguration(
                    source_action_name="Source",
                    push=[CodepipelineTriggerGitConfigurationPush(
                        branches=CodepipelineTriggerGitConfigurationPushBranches(includes=[props.branch]),
                        file_paths=CodepipelineTriggerGitConfigurationPushFilePaths(
                            includes=list(props.trigger_paths)))]))],
            stage=stages, depends_on=[policy])

    def _integration_configuration(self) -> dict[str, str]:
        configuration = {"ProjectName": self.integration_project.name}
        if self.props.build_exports:
            configuration["EnvironmentVariables"] = json.dumps([
                {"name": name, "value": f"#{{BuildVariables.{name}}}", "type": "PLAINTEXT"}
                for name in self.props.build_exports])
        return configuration

    def _source_stage(self) -> CodepipelineStage:
        props = self.props
        return CodepipelineStage(name="Source", action=[CodepipelineStageAction(
            name="Source", category="Source", owner="AWS", provider="CodeStarSourceConnection", version="1",
            output_artifacts=[SOURCE], namespace="SourceVariables",
            configuration={"ConnectionArn": props.connection_arn, "FullRepositoryId": props.repository,
                           "BranchName": props.branch, "OutputArtifactFormat": "CODE_ZIP",
                           # Only the trigger's filtered pushes start the pipeline, not every push.
                           "DetectChanges": "false"})])

    def _codebuild(self, step_name: str, step: BuildStep, writes_artifacts: bool) -> CodebuildProject:
        props = self.props
        name = f"{props.name}-{step_name}"
        role = IamRole(
            self, f"{step_name}-role", name=f"{name}-codebuild", description=f"CodeBuild {name}",
            assume_role_policy=assumed_by_service("codebuild.amazonaws.com", self._same_account))
        artifact_actions = ["s3:GetObject", "s3:GetObjectVersion"] + (["s3:PutObject"] if writes_artifacts else [])
        policy = IamRolePolicy(self, f"{step_name}-role-policy", role=role.name, name="build", policy=policy_document(
            self.log_group.reference.grant_write("BuildLogs"),
            Statement(sid="PipelineArtifacts", actions=artifact_actions, resources=[self._artifacts]),
            Statement(sid="ArtifactKey", actions=["kms:Decrypt", "kms:GenerateDataKey"],
                      resources=[props.artifact_key_arn]),
            *step.statements))
        return CodebuildProject(
            self, step_name, name=name, description=f"{step_name} of {props.name} ({step.buildspec})",
            service_role=role.arn, build_timeout=step.timeout_minutes, encryption_key=props.artifact_key_arn,
            source=CodebuildProjectSource(type="CODEPIPELINE", buildspec=step.buildspec),
            artifacts=CodebuildProjectArtifacts(type="CODEPIPELINE"),
            environment=CodebuildProjectEnvironment(
                type="LINUX_CONTAINER", compute_type=step.compute_type, image=BUILD_IMAGE,
                image_pull_credentials_type="CODEBUILD", privileged_mode=step.privileged,
                environment_variable=[CodebuildProjectEnvironmentEnvironmentVariable(name=k, value=v, type="PLAINTEXT")
                                      for k, v in sorted(step.environment.items())]),
            logs_config=CodebuildProjectLogsConfig(cloudwatch_logs=CodebuildProjectLogsConfigCloudwatchLogs(
                status="ENABLED", group_name=self.log_group.name, stream_name=step_name)),
            depends_on=[policy])

    def _pipeline_statements(self) -> list[Statement]:
        props = self.props
        projects = [self.build_project, self.integration_project]
        if props.deploy:
            projects.append(self.deploy_project)
        statements = [
            Statement(sid="Source", actions=["codestar-connections:UseConnection", "codeconnections:UseConnection"],
                      resources=[props.connection_arn]),
            Statement(sid="ArtifactBucket", actions=["s3:GetBucketVersioning", "s3:GetBucketLocation"],
                      resources=[props.artifact_bucket_arn]),
            Statement(sid="Artifacts", actions=["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                      resources=[self._artifacts]),
            Statement(sid="ArtifactKey", actions=["kms:Decrypt", "kms:GenerateDataKey"],
                      resources=[props.artifact_key_arn]),
            Statement(sid="Builds", actions=["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
                      resources=[p.arn for p in projects]),
        ]
        if props.ecs_deploys:
            statements += self._ecs_deploy_statements()
        return statements

    def _ecs_deploy_statements(self) -> list[Statement]:
        """What the ECS standard deploy action does: register a revision of the service's task
        definition with the new image, then update the service and watch its tasks."""
        prefix = f"arn:aws:ecs:{self._region}:{self._account}"
        targets = self.props.ecs_deploys
        return [
            # A revision is registered under its family's ARN; DescribeTaskDefinition has no
            # resource-level permission (Service Authorization Reference), so it alone is on "*".
            Statement(sid="RegisterRevisions", actions=["ecs:RegisterTaskDefinition"],
                      resources=[f"{prefix}:task-definition/{t.task_family}:*" for t in targets]),
            Statement(sid="DescribeTaskDefinitions", actions=["ecs:DescribeTaskDefinition"], resources=["*"]),
            Statement(sid="TagRevisions", actions=["ecs:TagResource"],
                      resources=[f"{prefix}:task-definition/{t.task_family}:*" for t in targets]),
            Statement(sid="Services", actions=["ecs:DescribeServices", "ecs:UpdateService"],
                      resources=[f"{prefix}:service/{t.cluster.name}/{t.service_name}" for t in targets]),
            Statement(sid="WatchTasks", actions=["ecs:ListTasks"], resources=["*"],
                      conditions={"ArnEquals": {"ecs:cluster": sorted({t.cluster.arn for t in targets})}}),
            Statement(sid="DescribeTasks", actions=["ecs:DescribeTasks"],
                      resources=sorted({f"{prefix}:task/{t.cluster.name}/*" for t in targets})),
            Statement(sid="PassTaskRoles", actions=["iam:PassRole"],
                      resources=[arn for t in targets for arn in t.role_arns],
                      conditions={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
        ]
