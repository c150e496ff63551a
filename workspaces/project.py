"""Per-project workspaces: `<project>-backend`, `<project>-frontend` and `<project>-pipeline`.

All four projects are built by the same code from their entries in the platform definition
(docs/projects.md): a service deploys in the workspace named by its `component`, every image
repository of a project lives in its backend workspace, a static frontend is a StaticSite, and
each buildable component gets one pipeline.
"""
from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.codestarconnections_connection import CodestarconnectionsConnection
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity

from building_blocks.container_image_repository import (
    ContainerImageRepository,
    ContainerImageRepositoryProps,
    RepositoryReference,
)
from building_blocks.container_service import (
    ContainerService,
    ContainerServiceProps,
    HealthCheck,
    RollingDeployment,
    Scaling,
    execution_role_name,
    task_role_name,
)
from building_blocks.ecs_cluster import ClusterReference
from building_blocks.iam import Statement
from building_blocks.log_group import LogGroupReference
from building_blocks.pipeline import BuildStep, ComponentPipeline, ComponentPipelineProps, EcsDeployTarget
from building_blocks.secure_bucket import BucketReference
from building_blocks.static_site import MediaOrigin, SiteReference, StaticSite, StaticSiteProps
from toolkit.definition import Platform, Project, Service
from toolkit.emulator import emulator_stand_in_arn
from workspaces.base import Workspace, output_key
from workspaces.otel import otel_sdk_environment
from workspaces.storage import CLOUDFRONT_LOG_PREFIX, S3_ACCESS_LOG_PREFIX, media_prefix

# Secret variable -> (workspace, output) of its Secrets Manager ARN; DATABASE_URL is per project.
SECRET_SOURCES = {
    "JWT_SECRET": ("auth", "jwt_secret_arn"),
    "LANG_PORTAL_API_KEY": ("auth", "lang_portal_api_key_secret_arn"),
    "DATABASE_URL": ("database", "database_url_secret_arn"),
}
# aws_services entry -> the ai workspace's managed policy the task role gets.
AI_POLICIES = {"bedrock": "bedrock_policy_arn", "image-generation": "bedrock_image_policy_arn",
               "polly": "polly_policy_arn"}
IMAGE_TAG_EXPORT = "IMAGE_TAG"             # the container builds export the tag they pushed


def image_repository_name(platform: Platform, service: Service) -> str:
    """`app-dw/dev/lang-portal-api`: the spec's image name under the platform and environment."""
    return f"{platform.name}/{platform.environment}/{service.name}"


def image_tag_parameter_name(platform: Platform, service: Service) -> str:
    return f"/{platform.name}/{platform.environment}/image-tag/{service.name}"


def task_family(platform: Platform, service: Service) -> str:
    return platform.resource_name(service.name)


def env_name(name: str) -> str:
    return name.upper().replace("-", "_")


def component_dir(project: Project, component: str) -> str:
    return f"{project.directory}/{component}"


def buildspec(project: Project, component: str, step: str = "") -> str:
    return f"{component_dir(project, component)}/buildspec{'-' + step if step else ''}.yml"


def trigger_paths(project: Project, component: str) -> list[str]:
    """A component's pipeline starts on pushes under its folder; container images also copy the
    shared Python `modules/`, so a change there rebuilds every container component."""
    paths = [f"{component_dir(project, component)}/**"]
    if project.services_of(component):
        paths.append("modules/**")
    return paths


def smoke_test_url(platform: Platform, project: Project, component: str) -> str:
    """The component's health endpoint through its public host. A service reached only through
    Cloud Map is checked through the project's public service, whose health check calls it."""
    host = f"https://{platform.host(project.subdomain)}"
    services = project.services_of(component)
    routed = [s for s in services if s.on_load_balancer] or [s for s in project.services if s.on_load_balancer]
    if not services or not routed:
        return f"{host}/"
    return f"{host}{routed[0].alb_health_path}"


def callees(platform: Platform, project: Project, service: Service) -> list[Service]:
    """Services this one reaches through Cloud Map: the APIs of the projects it calls and the
    internal services of its own project."""
    found = [platform.project(name).api for name in project.calls]
    found += [s for s in project.services if s.routing == "internal" and s.name != service.name]
    return [s for s in found if s is not None]


class ProjectWorkspace(Workspace):
    def __init__(self, scope, spec, platform: Platform):
        super().__init__(scope, spec, platform)
        self.project: Project = spec.project

    # References to what other workspaces made, built from their outputs.

    def cluster(self) -> ClusterReference:
        return ClusterReference(name=self.read("cluster", "ecs_cluster_name"), arn=self.read("cluster", "ecs_cluster_arn"))

    def container_logs(self) -> LogGroupReference:
        return LogGroupReference(name=self.read("cluster", "ecs_log_group_name"),
                                 arn=self.read("cluster", "ecs_log_group_arn"))

    def image_repository(self, service: Service) -> RepositoryReference:
        backend = f"{self.project.name}-backend"
        return RepositoryReference(url=self.read(backend, "ecr_repository_url", service.name),
                                   arn=self.read(backend, "ecr_repository_arn", service.name))

    def media_bucket(self) -> BucketReference:
        return BucketReference(name=self.read("storage", "media_bucket_name"), arn=self.read("storage", "media_bucket_arn"),
                               kms_key_arn=self.read("storage", "kms_key_arn_data"), region=self.platform.region)

    def site(self) -> SiteReference:
        frontend = f"{self.project.name}-frontend"
        return SiteReference(
            bucket_name=self.read(frontend, "site_bucket_name"), bucket_arn=self.read(frontend, "site_bucket_arn"),
            key_arn=self.read(frontend, "site_kms_key_arn"),
            distribution_id=self.read(frontend, "cloudfront_distribution_id"),
            distribution_arn=self.read(frontend, "cloudfront_distribution_arn"))

    def deploy_service(self, service: Service, repository: RepositoryReference) -> ContainerService:
        """One ContainerService for any container of the spec, from its definition entry."""
        platform, project = self.platform, self.project
        containers = platform.containers
        check = containers.health_check
        task_policy_arns = [self.read("ai", AI_POLICIES[name]) for name in service.aws_services if name in AI_POLICIES]
        container = ContainerService(self, service.name, ContainerServiceProps(
            name=service.name, family=task_family(platform, service), container_name=service.container,
            port=service.port, health_path=service.health_path, cpu=containers.cpu, memory=containers.memory,
            health_check=HealthCheck(check.interval_seconds, check.timeout_seconds, check.retries,
                                     check.start_period_seconds),
            scaling=Scaling(containers.min_capacity, containers.max_capacity, containers.cpu_target_percent,
                            containers.memory_target_percent, containers.scale_in_cooldown_seconds,
                            containers.scale_out_cooldown_seconds),
            deployment=RollingDeployment(containers.maximum_percent, containers.minimum_healthy_percent,
                                         containers.health_check_grace_seconds),
            image_repository=repository,
            image_tag_parameter_name=image_tag_parameter_name(platform, service),
            cluster=self.cluster(),
            subnet_ids=self.read_list("network", "private_subnet_ids"),
            security_group_ids=[self.read("network", "security_group_id", project.security_group)],
            namespace_id=self.read("cluster", "service_discovery_namespace_id"),
            dns_ttl_seconds=containers.service_discovery_ttl_seconds,
            log_group=self.container_logs(),
            log_stream_prefix=containers.log_stream_prefix, region=platform.region,
            collector_image=containers.otel_collector_image,
            collector_config_parameter_arn=self.read("monitoring", "otel_config_parameter_arn"),
            target_group_arn=(self.read("edge", "target_group_arn", service.name)
                              if service.on_load_balancer else None),
            environment=self._environment(service),
            secrets={name: self._secret_arn(name) for name in service.secrets},
            secrets_kms_key_arn=self.read("storage", "kms_key_arn_data") if service.secrets else None,
            task_policy_arns=task_policy_arns,
            task_statements=self._task_statements(service),
            auto_scaling=not platform.emulator_skips("appautoscaling")))
        self.publish(output_key("ecs_service_name", service.name), container.name,
                     f"ECS service of {service.name} (the pipeline deploys to it)")
        return container

    def _secret_arn(self, name: str) -> str:
        workspace, output = SECRET_SOURCES[name]
        if workspace == "database":
            return self.read(workspace, output, self.project.name)
        return self.read(workspace, output)

    def _environment(self, service: Service) -> dict[str, str]:
        platform, project = self.platform, self.project
        # The app's own client and those of the projects that call it sign the tokens it accepts.
        clients = [project] + platform.callers_of(project.name)
        environment = {
            "SERVICE_NAME": service.name,
            **otel_sdk_environment(platform, service),
            "COGNITO_ISSUER": self.read("auth", "user_pool_issuer"),
            "COGNITO_CLIENT_IDS": ",".join(self.read("auth", "app_client_id", p.name) for p in clients),
        }
        if service.calls_guardrail:
            environment |= {
                "GUARDRAIL_ID": self.read("ai", "guardrail_id"),
                "GUARDRAIL_VERSION": self.read("ai", "guardrail_version"),
                "GUARDRAIL_METRIC_NAMESPACE": platform.monitoring.guardrail_metric_namespace,
                "GUARDRAIL_METRIC_NAME": platform.monitoring.guardrail_metric_name,
            }
        if "s3-media" in service.aws_services:
            environment |= {"MEDIA_BUCKET": self.read("storage", "media_bucket_name"),
                            "MEDIA_PREFIX": media_prefix(project)}
        if "DATABASE_URL" in service.secrets:
            environment["DB_IAM_AUTH"] = "true"  # the URL has no password: sign in with an IAM token
        if service.routing == "api" and project.launches:
            # The study activities the seed lists open at these addresses (local mode: the seed's local ones).
            environment["STUDY_ACTIVITY_URLS"] = json.dumps(
                {name: f"https://{platform.host(platform.project(name).subdomain)}" for name in project.launches})
        namespace = self.read("cluster", "service_discovery_namespace_name")
        for callee in callees(platform, project, service):
            environment[f"{env_name(callee.name)}_URL"] = f"http://{callee.name}.{namespace}:{callee.port}"
        return environment

    def _task_statements(self, service: Service) -> list[Statement]:
        """What the app calls beyond the ai workspace's managed policies; no wildcard actions."""
        statements = [
            # The collector writes the apps' OTLP metrics as EMF into the containers' log group
            # (the monitoring workspace's collector config).
            self.container_logs().grant_write("CollectorMetrics", "logs:DescribeLogStreams"),
        ]
        if service.calls_guardrail:
            statements.append(Statement(
                sid="GuardrailMetric", actions=["cloudwatch:PutMetricData"], resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": self.platform.monitoring.guardrail_metric_namespace}}))
        if "s3-media" in service.aws_services:
            statements += self.media_bucket().grant_read_write(media_prefix(self.project), sid="Media")
        if "DATABASE_URL" in service.secrets:
            statements.append(Statement(sid="DatabaseSignIn", actions=["rds-db:connect"],
                                        resources=[self.read("database", "db_iam_connect_arn", self.project.name)]))
        return statements


class BackendWorkspace(ProjectWorkspace):
    """Every image repository of the project, and its backend services."""

    def __init__(self, scope, spec, platform: Platform):
        super().__init__(scope, spec, platform)
        repositories = {}
        for service in self.project.services:
            repository = ContainerImageRepository(self, f"images-{service.name}", ContainerImageRepositoryProps(
                name=image_repository_name(platform, service),
                kms_key_arn=self.read("storage", "kms_key_arn_artifacts"),
                keep_images=platform.containers.ecr_keep_images))
            repositories[service.name] = repository.reference
            self.publish(output_key("ecr_repository_url", service.name), repository.url,
                         f"ECR repository of the {service.name} image")
            self.publish(output_key("ecr_repository_arn", service.name), repository.arn,
                         f"ECR repository ARN of the {service.name} image")
        for service in self.project.services_of("backend"):
            self.deploy_service(service, repositories[service.name])


class FrontendWorkspace(ProjectWorkspace):
    """The project's site: a static SPA on S3/CloudFront, or its UI container services."""

    def __init__(self, scope, spec, platform: Platform):
        super().__init__(scope, spec, platform)
        if self.project.frontend == "static":
            self._static_site()
        for service in self.project.services_of("frontend"):
            self.deploy_service(service, self.image_repository(service))

    def _static_site(self) -> None:
        platform, project = self.platform, self.project
        media = None
        media_sources = ""
        if project.media:
            regional_domain = self.read("storage", "media_bucket_regional_domain_name")
            # Presigned media URLs name the bucket's global or regional endpoint.
            media_sources = f" https://{self.read('storage', 'media_bucket_name')}.s3.amazonaws.com https://{regional_domain}"
            media = MediaOrigin(bucket_regional_domain_name=regional_domain, path_prefix=media_prefix(project))
        site = StaticSite(self, "site", StaticSiteProps(
            bucket_name=self.name(project.name, "site"), region=platform.region,
            domain_name=platform.host(project.subdomain),
            certificate_arn=self.read("edge", "certificate_arn"),
            hosted_zone_id=self.read("edge", "hosted_zone_id"),
            web_acl_arn=self.read("edge", "waf_web_acl_arn_cloudfront"),
            log_bucket_name=self.read("storage", "log_bucket_name"),
            log_bucket_arn=self.read("storage", "log_bucket_arn"),
            log_prefix=f"{CLOUDFRONT_LOG_PREFIX}{project.name}",
            access_log_prefix=S3_ACCESS_LOG_PREFIX,
            content_security_policy=self._content_security_policy(media_sources),
            api_origin_domain_name=self.read("edge", "alb_dns_name") if project.api else None,
            media=media,
            security_headers=not platform.emulator_skips("cloudfront_response_headers_policies"),
            publish_functions=not platform.emulator_skips("cloudfront_function_publishing")))
        self.publish("site_bucket_name", site.bucket_name, f"S3 bucket of the {project.name} SPA")
        self.publish("site_bucket_arn", site.bucket_arn, f"S3 bucket ARN of the {project.name} SPA")
        self.publish("site_kms_key_arn", site.key.arn, f"KMS key of the {project.name} SPA bucket (uploads)")
        self.publish("cloudfront_distribution_id", site.distribution_id, f"CloudFront distribution of {project.name}")
        self.publish("cloudfront_distribution_arn", site.distribution_arn, f"CloudFront distribution ARN of {project.name}")
        self.publish("cloudfront_domain_name", site.domain_name, f"CloudFront domain name of {project.name}")

    def _content_security_policy(self, media_sources: str) -> str:
        auth_origin = f"https://{self.platform.host(self.platform.auth.auth_subdomain)}"
        cognito_api = f"https://cognito-idp.{self.platform.region}.amazonaws.com"
        return "; ".join([
            "default-src 'self'",
            "script-src 'self'",
            # Style attributes and tags some UI libraries inject; scripts stay strict.
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob:{media_sources}",
            f"media-src 'self' blob:{media_sources}",
            "font-src 'self' data:",
            f"connect-src 'self' {auth_origin} {cognito_api}",
            f"form-action 'self' {auth_origin}",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        ])


class PipelineWorkspace(ProjectWorkspace):
    """One CodePipeline per buildable component of the project."""

    def __init__(self, scope, spec, platform: Platform):
        super().__init__(scope, spec, platform)
        project = self.project
        self.account = DataAwsCallerIdentity(self, "account").account_id
        # One connection per project; it is approved once in the console after the first apply.
        self.connection_arn = (
            emulator_stand_in_arn("codestar-connections", platform.region, f"connection/{project.name}")
            if platform.emulator_skips("codestarconnections") else
            CodestarconnectionsConnection(self, "github", name=self.name(project.name)[:32],
                                          provider_type="GitHub").arn)
        for component in project.components:
            pipeline = ComponentPipeline(self, f"pipeline-{component}", self._pipeline_props(component))
            self.publish(output_key("pipeline_name", component), pipeline.name,
                         f"CodePipeline of {project.name} {component}")

    def _pipeline_props(self, component: str) -> ComponentPipelineProps:
        platform, project = self.platform, self.project
        services = project.services_of(component)
        if len(services) > 1:
            raise ValueError(f"project {project.name!r} has {len(services)} {component} services; a component "
                             f"builds one image (one Dockerfile), so give each service its own component")
        common = dict(
            name=self.name(project.name, component), connection_arn=self.connection_arn,
            repository=platform.platform.github_repository, branch=platform.platform.github_branch,
            trigger_paths=trigger_paths(project, component),
            artifact_bucket_name=self.read("storage", "artifacts_bucket_name"),
            artifact_bucket_arn=self.read("storage", "artifacts_bucket_arn"),
            artifact_key_arn=self.read("storage", "kms_key_arn_artifacts"),
            log_retention_days=platform.monitoring.log_retention_days,
            log_kms_key_arn=self.read("storage", "kms_key_arn_logs"),
            create_pipeline=not platform.emulator_skips("codepipeline"))
        smoke_url = smoke_test_url(platform, project, component)
        if not services:
            return ComponentPipelineProps(
                **common,
                build=BuildStep(buildspec=buildspec(project, component)),
                deploy=self._site_deploy(component),
                integration_test=BuildStep(buildspec=buildspec(project, component, "smoke"), timeout_minutes=10,
                                           environment={"SMOKE_URL": smoke_url}))
        service = services[0]
        repository = self.image_repository(service)
        family = task_family(platform, service)
        tag_parameter = image_tag_parameter_name(platform, service)
        return ComponentPipelineProps(
            **common,
            build=BuildStep(
                buildspec=buildspec(project, component), privileged=True,  # docker build
                environment={"ECR_REPOSITORY_URL": repository.url, "CONTAINER_NAME": service.container},
                statements=repository.grant_push()),
            build_exports=[IMAGE_TAG_EXPORT],
            ecs_deploys=[EcsDeployTarget(
                action_name=f"Deploy-{service.name}",
                cluster=self.cluster(),
                service_name=self.read(f"{project.name}-{component}", "ecs_service_name", service.name),
                task_family=family,
                role_arns=[f"arn:aws:iam::{self.account}:role/{execution_role_name(family)}",
                           f"arn:aws:iam::{self.account}:role/{task_role_name(family)}"])],
            integration_test=BuildStep(
                buildspec=buildspec(project, component, "smoke"), timeout_minutes=10,
                environment={"SMOKE_URL": smoke_url, "IMAGE_TAG_PARAMETER": tag_parameter},
                # A verified deploy records its tag: the next apply renders the same image.
                statements=[Statement(
                    sid="RecordVerifiedImage", actions=["ssm:PutParameter"],
                    resources=[f"arn:aws:ssm:{platform.region}:{self.account}:parameter{tag_parameter}"])]))

    def _site_deploy(self, component: str) -> BuildStep:
        platform, project = self.platform, self.project
        auth = platform.auth
        host = f"https://{platform.host(project.subdomain)}"
        # config.json beside index.html: one build serves every environment (src/config.ts).
        site_config = {
            **({"apiBaseUrl": "/api"} if project.api else {}),
            "cognito": {
                "domain": f"https://{platform.host(auth.auth_subdomain)}",
                "clientId": self.read("auth", "app_client_id", project.name),
                "redirectUri": f"{host}{auth.callback_path}",
                "logoutUri": f"{host}{auth.logout_path}",
                "scopes": list(auth.oauth_scopes),
            },
        }
        site = self.site()
        return BuildStep(
            buildspec=buildspec(project, component, "deploy"), timeout_minutes=15,
            environment={"SITE_BUCKET": site.bucket_name, "DISTRIBUTION_ID": site.distribution_id,
                         "SITE_CONFIG": json.dumps(site_config)},
            statements=site.grant_publish())
