"""An Aurora PostgreSQL cluster (writer + reader in another AZ) behind an RDS Proxy that only
takes IAM-authenticated TLS connections, with a read/write and a read-only endpoint.

No password is ever in Terraform: RDS keeps the master password in a Secrets Manager secret
it creates and rotates, used only by migrations that sign in to the writer directly. The apps
sign in to the proxy as their own database user with IAM auth tokens (rds-db:connect on that
user alone); the proxy signs in to Aurora as that user with the user's own secret (given as a
prop: the role itself is made in SQL by the owner's migration, modules/database_roles.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn
from cdktf_cdktf_provider_aws.db_proxy import DbProxy, DbProxyAuth
from cdktf_cdktf_provider_aws.db_proxy_default_target_group import (
    DbProxyDefaultTargetGroup,
    DbProxyDefaultTargetGroupConnectionPoolConfig,
)
from cdktf_cdktf_provider_aws.db_proxy_endpoint import DbProxyEndpoint
from cdktf_cdktf_provider_aws.db_proxy_target import DbProxyTarget
from cdktf_cdktf_provider_aws.db_subnet_group import DbSubnetGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.rds_cluster import RdsCluster
from cdktf_cdktf_provider_aws.rds_cluster_instance import RdsClusterInstance
from cdktf_cdktf_provider_aws.rds_cluster_parameter_group import (
    RdsClusterParameterGroup,
    RdsClusterParameterGroupParameter,
)
from constructs import Construct

from building_blocks.alarms import Metric
from building_blocks.iam import Statement, assumed_by_service, policy_document
from building_blocks.log_group import LogGroup, LogGroupProps

ENGINE = "aurora-postgresql"
MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


@dataclass(frozen=True)
class AuroraClusterReference:
    identifier: str

    def metric(self, name: str, stat: str, period: int, label: str | None = None) -> Metric:
        """AWS/RDS of the cluster, e.g. FreeLocalStorage, DatabaseConnections."""
        return Metric("AWS/RDS", name, {"DBClusterIdentifier": self.identifier}, stat, period, label)


@dataclass(frozen=True)
class DatabaseProxyReference:
    name: str

    def metric(self, name: str, stat: str, period: int, label: str | None = None) -> Metric:
        """AWS/RDS of the proxy, e.g. ClientConnections, DatabaseConnections, MaxDatabaseConnectionsAllowed."""
        return Metric("AWS/RDS", name, {"ProxyName": self.name}, stat, period, label)


@dataclass(frozen=True)
class AuroraPostgresProps:
    identifier: str                       # cluster id; also names the instances, proxy and groups
    database_name: str
    master_username: str
    app_username: str                     # the database user the apps sign in as (never the master)
    app_user_secret_arn: str              # {"username", "password"} of app_username: the proxy signs in with it
    engine_version: str
    parameter_group_family: str           # e.g. aurora-postgresql15
    instance_class: str
    availability_zones: tuple[str, ...]   # the writer goes in the first, the reader in the second
    subnet_ids: list[str]                 # the database subnets: cluster and proxy
    security_group_id: str                # the cluster's own group
    proxy_security_group_id: str          # the proxy's own group
    kms_key_arn: str                      # storage, master secret, Performance Insights
    logs_kms_key_arn: str
    region: str
    port: int = 5432
    log_retention_days: int = 7
    backup_retention_days: int = 7
    backup_window: str = "03:00-04:00"
    maintenance_window: str = "sun:04:30-sun:05:30"
    deletion_protection: bool = True
    slow_statement_ms: int = 1000
    log_statement: str = "ddl"            # schema changes are logged: rare, and worth an audit trail
    performance_insights_retention_days: int = 7
    monitoring_interval_seconds: int = 60
    proxy_idle_client_timeout_seconds: int = 1800
    proxy_max_connections_percent: int = 90
    proxy_max_idle_connections_percent: int = 50
    proxy_borrow_timeout_seconds: int = 120
    read_only_endpoint: bool = True        # a proxy endpoint for the reader; False: readers use the writer's

    def __post_init__(self) -> None:
        if self.app_username == self.master_username:
            raise ValueError(f"{self.identifier}: the apps must not sign in as the master user {self.master_username!r}")
        if len(self.availability_zones) < 2 or self.availability_zones[0] == self.availability_zones[1]:
            raise ValueError(f"{self.identifier}: writer and reader need two different availability zones")


class AuroraPostgres(Construct):
    def __init__(self, scope: Construct, id: str, props: AuroraPostgresProps):
        super().__init__(scope, id)
        name = props.identifier
        self.database_name = props.database_name
        self.username = props.app_username
        self.port = props.port

        subnet_group = DbSubnetGroup(
            self, "subnets", name=name, description=f"Database subnets of {name}", subnet_ids=props.subnet_ids)
        parameters = RdsClusterParameterGroup(
            self, "parameters", name=name, family=props.parameter_group_family,
            description=f"{name}: TLS only, slow statements and DDL logged",
            parameter=[
                RdsClusterParameterGroupParameter(
                    name="log_min_duration_statement", value=str(props.slow_statement_ms)),
                RdsClusterParameterGroupParameter(name="log_statement", value=props.log_statement),
                RdsClusterParameterGroupParameter(name="rds.force_ssl", value="1"),
            ])
        # Created before the cluster so RDS exports into a group whose retention and key are ours.
        log_group = LogGroup(self, "postgresql-log", LogGroupProps(
            name=f"/aws/rds/cluster/{name}/postgresql", retention_days=props.log_retention_days,
            kms_key_arn=props.logs_kms_key_arn))
        self.cluster = RdsCluster(
            self, "cluster", cluster_identifier=name, engine=ENGINE, engine_version=props.engine_version,
            database_name=props.database_name, port=props.port,
            master_username=props.master_username,
            manage_master_user_password=True, master_user_secret_kms_key_id=props.kms_key_arn,
            db_subnet_group_name=subnet_group.name, vpc_security_group_ids=[props.security_group_id],
            db_cluster_parameter_group_name=parameters.name,
            storage_encrypted=True, kms_key_id=props.kms_key_arn,
            backup_retention_period=props.backup_retention_days, preferred_backup_window=props.backup_window,
            preferred_maintenance_window=props.maintenance_window,
            copy_tags_to_snapshot=True, final_snapshot_identifier=f"{name}-final",
            deletion_protection=props.deletion_protection,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            depends_on=[log_group.resource])
        # Migrations only (the owner's): the proxy knows nothing of the master user.
        self.master_secret_arn = self.cluster.master_user_secret.get(0).secret_arn
        self.writer_endpoint = self.cluster.endpoint

        monitoring_role = IamRole(
            self, "monitoring-role", name=f"{name}-monitoring",
            assume_role_policy=assumed_by_service("monitoring.rds.amazonaws.com"))
        IamRolePolicyAttachment(self, "monitoring-policy", role=monitoring_role.name, policy_arn=MONITORING_POLICY)
        self.instances = []
        for index, (role, zone) in enumerate(zip(("writer", "reader"), props.availability_zones)):
            self.instances.append(RdsClusterInstance(
                self, role, identifier=f"{name}-{index + 1}", cluster_identifier=self.cluster.cluster_identifier,
                engine=ENGINE, instance_class=props.instance_class,  # the version follows the cluster's
                availability_zone=zone, db_subnet_group_name=subnet_group.name,
                promotion_tier=index, publicly_accessible=False, auto_minor_version_upgrade=True,
                performance_insights_enabled=True, performance_insights_kms_key_id=props.kms_key_arn,
                performance_insights_retention_period=props.performance_insights_retention_days,
                monitoring_interval=props.monitoring_interval_seconds, monitoring_role_arn=monitoring_role.arn,
                # The first instance Aurora creates becomes the writer.
                depends_on=self.instances[:1] or None))

        self._proxy(props)
        self.cluster_reference = AuroraClusterReference(self.cluster.cluster_identifier)
        self.proxy_reference = DatabaseProxyReference(self.proxy.name)

    def _proxy(self, props: AuroraPostgresProps) -> None:
        name = props.identifier
        role = IamRole(self, "proxy-role", name=f"{name}-proxy", assume_role_policy=assumed_by_service("rds.amazonaws.com"))
        IamRolePolicy(self, "proxy-reads-secret", role=role.id, name="read-app-user-secret", policy=policy_document(
            Statement(sid="ReadAppUserSecret", actions=["secretsmanager:GetSecretValue"],
                      resources=[props.app_user_secret_arn]),
            Statement(sid="DecryptAppUserSecret", actions=["kms:Decrypt"], resources=[props.kms_key_arn],
                      conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{props.region}.amazonaws.com"}})))
        # Proxy logs go to /aws/rds/proxy/<name>; owning the group keeps them 7 days, encrypted.
        log_group = LogGroup(self, "proxy-log", LogGroupProps(
            name=f"/aws/rds/proxy/{name}", retention_days=props.log_retention_days,
            kms_key_arn=props.logs_kms_key_arn))
        self.proxy = DbProxy(
            self, "proxy", name=name, engine_family="POSTGRESQL", role_arn=role.arn,
            vpc_subnet_ids=props.subnet_ids, vpc_security_group_ids=[props.proxy_security_group_id],
            require_tls=True, idle_client_timeout=props.proxy_idle_client_timeout_seconds, debug_logging=False,
            # Only the app's user: the master user has no way in through the proxy.
            auth=[DbProxyAuth(
                auth_scheme="SECRETS", iam_auth="REQUIRED", secret_arn=props.app_user_secret_arn,
                description=f"{props.app_username}: clients sign in with IAM, the proxy with the user's secret")],
            depends_on=[log_group.resource])
        target_group = DbProxyDefaultTargetGroup(
            self, "proxy-pool", db_proxy_name=self.proxy.name,
            connection_pool_config=DbProxyDefaultTargetGroupConnectionPoolConfig(
                max_connections_percent=props.proxy_max_connections_percent,
                max_idle_connections_percent=props.proxy_max_idle_connections_percent,
                connection_borrow_timeout=props.proxy_borrow_timeout_seconds))
        DbProxyTarget(
            self, "proxy-target", db_proxy_name=self.proxy.name, target_group_name=target_group.name,
            db_cluster_identifier=self.cluster.cluster_identifier, depends_on=self.instances)
        self.read_only_endpoint = self.proxy.endpoint
        if props.read_only_endpoint:
            self.read_only_endpoint = DbProxyEndpoint(
                self, "proxy-read-only", db_proxy_name=self.proxy.name, db_proxy_endpoint_name=f"{name}-read-only",
                target_role="READ_ONLY", vpc_subnet_ids=props.subnet_ids,
                vpc_security_group_ids=[props.proxy_security_group_id]).endpoint
        # rds-db:connect is granted on the proxy's resource id (the last part of its ARN,
        # arn:aws:rds:<region>:<account>:db-proxy:prx-...), not on the cluster's.
        arn_parts = Fn.split(":", self.proxy.arn)
        self.iam_connect_arn = (
            f"arn:{Fn.element(arn_parts, 1)}:rds-db:{Fn.element(arn_parts, 3)}:{Fn.element(arn_parts, 4)}"
            f":dbuser:{Fn.element(arn_parts, 6)}/{props.app_username}")

    def database_url(self, endpoint: str) -> str:
        """SQLAlchemy URL without a password: the app adds an IAM auth token at connect time."""
        return f"postgresql+psycopg://{self.username}@{endpoint}:{self.port}/{self.database_name}?sslmode=require"
