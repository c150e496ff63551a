"""database workspace: one Aurora PostgreSQL cluster behind an RDS Proxy for each project with
a database, the secret of the project's own database user, and the DATABASE_URL secret its API
reads (docs/auth-and-database.md)."""
from __future__ import annotations

from building_blocks.aurora_postgres import AuroraPostgres, AuroraPostgresProps
from building_blocks.secret import GeneratedValue, Secret, SecretProps
from toolkit.definition import Project
from workspaces.base import Workspace, output_key
from workspaces.network import aurora_group, proxy_group


def app_username(project: Project) -> str:
    """`lang_portal_app`: the PostgreSQL role of the project's API (the owner's migration makes it)."""
    return f"{project.name.replace('-', '_')}_app"


class DatabaseWorkspace(Workspace):
    def __init__(self, scope, spec, platform):
        super().__init__(scope, spec, platform)
        database = platform.database
        data_key = self.read("storage", "kms_key_arn_data")
        logs_key = self.read("storage", "kms_key_arn_logs")
        database_subnets = self.read_list("network", "database_subnet_ids")
        for project in (p for p in platform.projects if p.database):
            app_user = Secret(self, f"{project.name}-app-user", SecretProps(
                name=f"{self.name()}/{project.name}/app-user",
                description=f"{app_username(project)}: the database user of {project.name}'s API; RDS Proxy "
                            "signs in to Aurora with it, the owner's migration sets the role's password from it",
                kms_key_arn=data_key, generate=GeneratedValue(username=app_username(project))))
            aurora = AuroraPostgres(self, project.name, AuroraPostgresProps(
                identifier=self.name(project.name),
                database_name=project.name.replace("-", "_"),
                master_username=database.master_username,
                app_username=app_username(project),
                app_user_secret_arn=app_user.arn,
                engine_version=database.engine_version,
                parameter_group_family=database.parameter_group_family,
                instance_class=database.instance_class,
                availability_zones=tuple(platform.platform.availability_zones),
                subnet_ids=database_subnets,
                security_group_id=self.read("network", "security_group_id", aurora_group(project.name)),
                proxy_security_group_id=self.read("network", "security_group_id", proxy_group(project.name)),
                kms_key_arn=data_key,
                logs_kms_key_arn=logs_key,
                region=platform.region,
                port=database.port,
                log_retention_days=platform.monitoring.log_retention_days,
                backup_retention_days=database.backup_retention_days,
                backup_window=database.backup_window,
                maintenance_window=database.maintenance_window,
                deletion_protection=platform.env.deletion_protection,
                slow_statement_ms=database.slow_statement_ms,
                performance_insights_retention_days=database.performance_insights_retention_days,
                monitoring_interval_seconds=database.monitoring_interval_seconds,
                proxy_idle_client_timeout_seconds=database.proxy_idle_client_timeout_seconds,
                proxy_max_connections_percent=database.proxy_max_connections_percent,
                proxy_max_idle_connections_percent=database.proxy_max_idle_connections_percent,
                proxy_borrow_timeout_seconds=database.proxy_borrow_timeout_seconds,
                read_only_endpoint=not platform.emulator_skips("rds_proxy_endpoint")))
            # No credential inside, so the value may sit in state: the app signs the connection
            # with an IAM auth token (rds-db:connect on db_iam_connect_arn).
            url = Secret(self, f"{project.name}-database-url", SecretProps(
                name=f"{self.name()}/{project.name}/database-url",
                description=f"DATABASE_URL of {project.name}: its RDS Proxy, signed in with IAM",
                kms_key_arn=data_key, value=aurora.database_url(aurora.proxy.endpoint)))
            self._publish(project.name, aurora, url, app_user)

    def _publish(self, project: str, aurora: AuroraPostgres, url: Secret, app_user: Secret) -> None:
        self.publish(output_key("database_url_secret_arn", project), url.arn, f"DATABASE_URL secret of {project}")
        self.publish(output_key("db_cluster_identifier", project), aurora.cluster.cluster_identifier,
                     f"Aurora cluster of {project}")
        self.publish(output_key("db_proxy_name", project), aurora.proxy.name, f"RDS Proxy of {project}")
        self.publish(output_key("db_proxy_endpoint", project), aurora.proxy.endpoint,
                     f"Read/write endpoint of {project}'s RDS Proxy")
        self.publish(output_key("db_proxy_read_only_endpoint", project), aurora.read_only_endpoint,
                     f"Read-only endpoint of {project}'s RDS Proxy (the reader)")
        self.publish(output_key("db_iam_connect_arn", project), aurora.iam_connect_arn,
                     f"Resource for rds-db:connect that lets {project}'s API sign in through the proxy as its user")
        self.publish(output_key("db_writer_endpoint", project), aurora.writer_endpoint,
                     f"Aurora writer of {project}: the owner's migration signs in here, not through the proxy")
        self.publish(output_key("db_master_secret_arn", project), aurora.master_secret_arn,
                     f"RDS-managed master secret of {project} (migrations only)")
        self.publish(output_key("db_app_user_secret_arn", project), app_user.arn,
                     f"Secret of {project}'s database user (the migration sets the role's password from it)")
