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
from cdktf_cdktf_provider_aws.data_aws_secretsmanager_secret_version import DataAwsSecretsmanagerSecretVersion

from building_blocks.container_image_repository import (
    ContainerImageRepository,
    ContainerImageRepositoryProps,
    RepositoryReference,
)
from building_blocks.container_service import (
    ContainerService,
    ContainerServiceProps,
    HealthCheck,
    InitContainer,
    RollingDeployment,
    Scaling,
    SecretValue,
    execution_role_name,
    task_role_name,
)
from building_blocks.ecs_cluster import ClusterReference
from building_blocks.iam import Statement
from building_blocks.load_balancer import MAX_SESSION_SECONDS, CognitoSignIn, ListenerReference, Route
from building_blocks.log_group import LogGroupReference
from building_blocks.pipeline import (
    BuildStep,
    ComponentPipeline,
    ComponentPipelineProps,
    EcsDeployTarget,
    artifact_folder,
)
from building_blocks.secure_bucket import BucketReference
from building_blocks.static_site import MediaBucket, SiteReference, StaticSite, StaticSiteProps
from toolkit.definition import DefinitionError, Platform, Project, Service
from toolkit.emulator import emulator_stand_in_arn
from workspaces.base import Workspace, output_key
from workspaces.edge import ORIGIN_VERIFY_HEADER, AlbRoute, alb_routes
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
# A service with a database runs its owner's migration in this container of its own image first
# (modules/database_roles.py); the module it runs sits beside the service's code.
MIGRATION_CONTAINER = "migrate"
MIGRATION_MODULE = "owner_migration"


def image_repository_name(platform: Platform, service: Service) -> str:
    """`app-dw/dev/lang-portal-api`: the spec's image name under the platform and environment."""
    return f"{platform.name}/{platform.environment}/{service.name}"


def image_tag_parameter_name(platform: Platform, service: Service) -> str:
    return f"/{platform.name}/{platform.environment}/image-tag/{service.name}"


def task_family(platform: Platform, service: Service) -> str:
    return platform.resource_name(service.name)


def migrates(service: Service) -> bool:
    """Whether the service's tasks run the owner's migration first: it uses a database."""
    return "DATABASE_URL" in service.secrets


def migration_command(project: Project, service: Service) -> list[str]:
    """`python -m projects.lang_portal.backend.owner_migration`: the module beside the service's code."""
    return ["python", "-m", f"{component_dir(project, service.component).replace('/', '.')}.{MIGRATION_MODULE}"]


def image_containers(service: Service) -> list[str]:
    """The containers of a task that run the service's image (the pipeline's imagedefinitions.json
    names each, so a deploy moves the migration to the new image too)."""
    return [service.container] + ([MIGRATION_CONTAINER] if migrates(service) else [])


def test_system_packages(service: Service) -> list[str]:
    """The Debian packages a container component's tests need in its pipeline's test image
    (scripts/component-tests.sh): PostgreSQL where the service has a database, which they run against."""
    return ["postgresql"] if migrates(service) else []


def env_name(name: str) -> str:
    return name.upper().replace("-", "_")


def component_dir(project: Project, component: str) -> str:
    return f"{project.directory}/{component}"


def buildspec(project: Project, component: str, step: str = "") -> str:
    return f"{component_dir(project, component)}/buildspec{'-' + step if step else ''}.yml"


SPA_KIT_DIR = "projects/shared/spa"  # the package every static SPA compiles in (auth, API client, UI kit)


def trigger_paths(project: Project, component: str) -> list[str]:
    """A component's pipeline starts on pushes under its folder; container images also copy the
    shared Python `modules/`, so a change there rebuilds every container component, and a static
    site compiles the shared SPA kit, so a change there rebuilds every SPA."""
    paths = [f"{component_dir(project, component)}/**"]
    if project.services_of(component):
        paths.append("modules/**")
    if component == "frontend" and project.frontend == "static":
        paths.append(f"{SPA_KIT_DIR}/**")
    return paths


def alb_session_seconds(platform: Platform) -> int:
    """How long the ALB keeps a sign-in: as long as a refresh token (what keeps an SPA signed in),
    capped at the ALB's 7-day maximum (docs/decisions.md)."""
    return min(platform.auth.refresh_token_validity_days * 86400, MAX_SESSION_SECONDS)


def pipeline_name(platform: Platform, project: Project, component: str) -> str:
    """`lang-portal-backend-app-dw-dev`: project and component come first because CodePipeline keeps a
    pipeline's artifacts under the first 20 characters of its name, and each pipeline's roles are held
    to its own folder there (`app-dw-dev-lang-portal-...` was the same folder for both components)."""
    return f"{project.name}-{component}-{platform.name}-{platform.environment}"


def pipeline_names(platform: Platform) -> dict[tuple[str, str], str]:
    """Every pipeline's name by (project, component); refuses two that would share an artifact folder."""
    names: dict[tuple[str, str], str] = {}
    folders: dict[str, str] = {}
    for project in platform.projects:
        for component in project.components:
            name = pipeline_name(platform, project, component)
            folder = artifact_folder(name)
            if folder in folders:
                raise DefinitionError(
                    f"pipelines {folders[folder]!r} and {name!r} would share the artifact folder {folder!r} "
                    f"(CodePipeline keeps artifacts under the first 20 characters of a pipeline's name): "
                    f"rename one of the projects so their names differ within that length")
            folders[folder] = name
            names[(project.name, component)] = name
    return names


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
        """The project's media bucket, beside its site (the frontend workspace), with the site's key."""
        frontend = f"{self.project.name}-frontend"
        return BucketReference(name=self.read(frontend, "media_bucket_name"), arn=self.read(frontend, "media_bucket_arn"),
                               kms_key_arn=self.read(frontend, "site_kms_key_arn"), region=self.platform.region)

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
            stop_timeout_seconds=containers.stop_timeout_seconds,
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
            auto_scaling=not platform.emulator_skips("appautoscaling"),
            init_container=self._owner_migration(service) if migrates(service) else None))
        self.publish(output_key("ecs_service_name", service.name), container.name,
                     f"ECS service of {service.name} (the pipeline deploys to it)")
        return container

    def _owner_migration(self, service: Service) -> InitContainer:
        """The owner's migration: straight to Aurora's writer as the master user (password from the
        RDS-managed secret), then the app role's grants and password (from the proxy's secret)."""
        project, database = self.project, self.platform.database
        master = self.read("database", "db_master_secret_arn", project.name)
        return InitContainer(
            name=MIGRATION_CONTAINER, command=migration_command(project, service),
            environment={"SERVICE_NAME": f"{service.name}-{MIGRATION_CONTAINER}",
                         "DB_OWNER_HOST": self.read("database", "db_writer_endpoint", project.name),
                         "DB_OWNER_PORT": str(database.port)},
            secrets={"DATABASE_URL": SecretValue(self._secret_arn("DATABASE_URL")),
                     "DB_OWNER_USERNAME": SecretValue(master, "username"),
                     "DB_OWNER_PASSWORD": SecretValue(master, "password"),
                     "DB_APP_PASSWORD": SecretValue(self.read("database", "db_app_user_secret_arn", project.name),
                                                    "password")})

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
            environment |= {"MEDIA_BUCKET": self.media_bucket().name, "MEDIA_PREFIX": media_prefix(project)}
            if project.frontend == "static":  # the site's CloudFront serves the prefix at the same path
                environment["MEDIA_BASE_URL"] = f"https://{platform.host(project.subdomain)}"
        if project.ui_frontend:
            # Staff-only pages and the APIs behind them admit users by this group.
            environment["STAFF_GROUP"] = self.read("auth", "staff_group_name")
        if project.ui_frontend and service.routing == "site":
            # The ALB signs users in: the app checks that x-amzn-oidc-data was signed by this ALB (its `signer`).
            environment["ALB_ARN"] = self.read("edge", "alb_arn")
        if migrates(service):
            environment["DB_IAM_AUTH"] = "true"  # the URL has no password: sign in with an IAM token
            environment["MIGRATE_ON_STARTUP"] = "false"  # the migrate container did, as the owner
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
        if migrates(service):
            # As the app's own database user only (db_iam_connect_arn names it), never the master.
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
        for route in (r for r in alb_routes(platform) if r.project == self.project and r.signs_in):
            self._signed_in_route(route)

    def _signed_in_route(self, route: AlbRoute) -> None:
        """The UI's host rule on the primary ALB's HTTPS listener: `authenticate-cognito` with the
        project's confidential client, then `forward` (docs/auth-and-database.md, "Sign-in at the ALB")."""
        auth = self.platform.auth
        ListenerReference(self.read("edge", "https_listener_arn")).add_route(self, f"rule-{route.service.name}", Route(
            priority=route.priority, host=route.host, path_pattern=route.path_pattern,
            target_group_arn=self.read("edge", "target_group_arn", route.service.name),
            sign_in=CognitoSignIn(
                user_pool_arn=self.read("auth", "user_pool_arn"),
                client_id=self.read("auth", "app_client_id", self.project.name),
                domain=self.read("auth", "hosted_ui_domain"), scopes=tuple(auth.oauth_scopes),
                session_timeout_seconds=alb_session_seconds(self.platform))))

    def _static_site(self) -> None:
        platform, project = self.platform, self.project
        media = None
        media_sources = ""
        if project.media:
            media = MediaBucket(name=self.name(project.name, "media"), path_prefix=media_prefix(project))
            # Presigned media URLs name the bucket's global or regional endpoint.
            media_sources = f" https://{media.name}.s3.amazonaws.com https://{media.name}.s3.{platform.region}.amazonaws.com"
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
            api_origin_header=(ORIGIN_VERIFY_HEADER, self._origin_secret_value()) if project.api else None,
            media=media,
            security_headers=not platform.emulator_skips("cloudfront_response_headers_policies"),
            publish_functions=not platform.emulator_skips("cloudfront_function_publishing")))
        self.publish("site_bucket_name", site.bucket_name, f"S3 bucket of the {project.name} SPA")
        self.publish("site_bucket_arn", site.bucket_arn, f"S3 bucket ARN of the {project.name} SPA")
        self.publish("site_kms_key_arn", site.key.arn, f"KMS key of the {project.name} SPA bucket (uploads)")
        self.publish("cloudfront_distribution_id", site.distribution_id, f"CloudFront distribution of {project.name}")
        self.publish("cloudfront_distribution_arn", site.distribution_arn, f"CloudFront distribution ARN of {project.name}")
        self.publish("cloudfront_domain_name", site.domain_name, f"CloudFront domain name of {project.name}")
        if site.media_bucket:
            self.publish("media_bucket_name", site.media_bucket.name,
                         f"Media bucket of {project.name}: its API writes under {media_prefix(project)}, its site serves it")
            self.publish("media_bucket_arn", site.media_bucket.arn, f"Media bucket ARN of {project.name}")

    def _origin_secret_value(self) -> str:
        """The value of the origin-verify slot edge names current (a rotation names the other slot;
        the ALB accepts the previous value too until this workspace has been applied)."""
        return DataAwsSecretsmanagerSecretVersion(
            self, "origin-verify", secret_id=self.read("edge", "origin_verify_secret_arn")).secret_string

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
        names = pipeline_names(platform)
        for component in project.components:
            pipeline = ComponentPipeline(self, f"pipeline-{component}",
                                         self._pipeline_props(component, names[(project.name, component)]))
            self.publish(output_key("pipeline_name", component), pipeline.name,
                         f"CodePipeline of {project.name} {component}")

    def _pipeline_props(self, component: str, name: str) -> ComponentPipelineProps:
        platform, project = self.platform, self.project
        services = project.services_of(component)
        if len(services) > 1:
            raise ValueError(f"project {project.name!r} has {len(services)} {component} services; a component "
                             f"builds one image (one Dockerfile), so give each service its own component")
        common = dict(
            name=name, connection_arn=self.connection_arn,
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
        build_environment = {"ECR_REPOSITORY_URL": repository.url,
                             "CONTAINER_NAMES": " ".join(image_containers(service))}
        if packages := test_system_packages(service):
            build_environment["TEST_SYSTEM_PACKAGES"] = " ".join(packages)
        return ComponentPipelineProps(
            **common,
            build=BuildStep(
                buildspec=buildspec(project, component), privileged=True,  # docker build
                environment=build_environment,
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
