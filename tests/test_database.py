"""The database workspace, as synthesized: an Aurora PostgreSQL cluster and an RDS Proxy per
project with a database, and each project's DATABASE_URL secret."""
from __future__ import annotations

import json
import re

import pytest

from tests.contract import is_documented
from tests.tf import policy, reference, remote_reads, resources, where
from toolkit.definition import load_platform

NETWORK = "data.terraform_remote_state.remote-network.outputs"
STORAGE = "data.terraform_remote_state.remote-storage.outputs"
DATA_KEY = f"${{{STORAGE}.kms_key_arn_data}}"
LOGS_KEY = f"${{{STORAGE}.kms_key_arn_logs}}"


def snake(name: str) -> str:
    return name.replace("-", "_")


def group(project: str, kind: str) -> str:
    """The network output of a project's security group, as the stack references it."""
    return f"${{{NETWORK}.security_group_id_{snake(project)}_{kind}}}"


@pytest.fixture(scope="module")
def database(stacks):
    return stacks["database"]


@pytest.fixture(scope="module")
def projects(platform):
    """Projects with a database: lang-portal and haiku."""
    found = [p for p in platform.projects if p.database]
    assert [p.name for p in found] == ["lang-portal", "haiku"]
    return found


def named(stack: dict, resource_type: str, attribute: str, value: str) -> tuple[str, dict]:
    """(logical id, body) of the one resource of a type whose attribute has the value."""
    found = [(name, body) for name, body in resources(stack, resource_type).items() if body.get(attribute) == value]
    assert len(found) == 1, f"expected one {resource_type} with {attribute} = {value!r}, found {len(found)}"
    return found[0]


def cluster_of(stack: dict, project: str) -> tuple[str, dict]:
    return named(stack, "aws_rds_cluster", "cluster_identifier", f"app-dw-dev-{project}")


def proxy_of(stack: dict, project: str) -> tuple[str, dict]:
    return named(stack, "aws_db_proxy", "name", f"app-dw-dev-{project}")


def test_one_aurora_postgresql_cluster_per_project_with_a_database(database, projects, platform):
    clusters = resources(database, "aws_rds_cluster")
    assert len(clusters) == len(projects)
    for project in projects:
        _, cluster = cluster_of(database, project.name)
        assert cluster["engine"] == "aurora-postgresql"
        assert cluster["engine_version"] == platform.database.engine_version
        assert cluster["database_name"] == snake(project.name)
        assert cluster["port"] == 5432


def test_cluster_lives_in_the_database_subnets_behind_its_own_security_group(database, projects):
    for project in projects:
        _, cluster = cluster_of(database, project.name)
        subnets_id, subnets = named(database, "aws_db_subnet_group", "name", f"app-dw-dev-{project.name}")
        assert subnets["subnet_ids"] == f"${{{NETWORK}.database_subnet_ids}}"
        assert cluster["db_subnet_group_name"] == reference("aws_db_subnet_group", subnets_id, "name")
        assert cluster["vpc_security_group_ids"] == [group(project.name, "aurora_sg")]


def test_writer_and_reader_run_in_different_zones_on_the_configured_class(database, projects, platform):
    assert platform.database.instance_class == "db.r6g.large"
    for project in projects:
        cluster_id, _ = cluster_of(database, project.name)
        instances = {name: body for name, body in resources(database, "aws_rds_cluster_instance").items()
                     if body["cluster_identifier"] == reference("aws_rds_cluster", cluster_id, "cluster_identifier")}
        assert len(instances) == 2
        writer_id, writer = next((n, b) for n, b in instances.items() if b["promotion_tier"] == 0)
        reader = next(b for b in instances.values() if b["promotion_tier"] == 1)
        assert writer["availability_zone"] != reader["availability_zone"]
        assert {writer["availability_zone"], reader["availability_zone"]} <= set(platform.platform.availability_zones)
        assert reader["depends_on"] == [f"aws_rds_cluster_instance.{writer_id}"]  # the first one up is the writer
        for instance in instances.values():
            assert instance["instance_class"] == "db.r6g.large"
            assert instance["engine"] == "aurora-postgresql"
            assert instance["publicly_accessible"] is False
            assert instance["auto_minor_version_upgrade"] is True


def test_storage_is_encrypted_with_the_data_key_and_backed_up_for_7_days(database, projects):
    for project in projects:
        _, cluster = cluster_of(database, project.name)
        assert cluster["storage_encrypted"] is True
        assert cluster["kms_key_id"] == DATA_KEY
        assert cluster["backup_retention_period"] == 7
        assert cluster["copy_tags_to_snapshot"] is True
        assert cluster["final_snapshot_identifier"] == f"app-dw-dev-{project.name}-final"


def test_performance_insights_and_enhanced_monitoring_on_every_instance(database):
    roles = resources(database, "aws_iam_role")
    for instance in resources(database, "aws_rds_cluster_instance").values():
        assert instance["performance_insights_enabled"] is True
        assert instance["performance_insights_kms_key_id"] == DATA_KEY
        assert instance["performance_insights_retention_period"] == 7
        assert instance["monitoring_interval"] == 60               # spec: 1-minute metrics
        role = roles[re.match(r"\$\{aws_iam_role\.(.+)\.arn\}", instance["monitoring_role_arn"]).group(1)]
        (trust,) = policy(role, "assume_role_policy")["Statement"]
        assert trust["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_deletion_protection_follows_the_environment(synth_env, environment):
    protected = load_platform(environment=environment).env.deletion_protection
    assert protected is True                                    # both environments keep their data
    clusters = resources(synth_env(environment).stacks["database"], "aws_rds_cluster").values()
    assert clusters and all(c["deletion_protection"] is protected for c in clusters)


def test_iam_auth_and_postgresql_logs_into_a_7_day_encrypted_group(database, projects):
    for project in projects:
        _, cluster = cluster_of(database, project.name)
        assert cluster["iam_database_authentication_enabled"] is True
        assert cluster["enabled_cloudwatch_logs_exports"] == ["postgresql"]
        group_id, log_group = named(database, "aws_cloudwatch_log_group", "name",
                                    f"/aws/rds/cluster/app-dw-dev-{project.name}/postgresql")
        assert log_group["retention_in_days"] == 7
        assert log_group["kms_key_id"] == LOGS_KEY
        assert cluster["depends_on"] == [f"aws_cloudwatch_log_group.{group_id}"]  # ours before RDS makes one


def test_parameter_group_logs_slow_statements_and_forces_tls(database, projects, platform):
    for project in projects:
        _, cluster = cluster_of(database, project.name)
        group_id, parameters = named(database, "aws_rds_cluster_parameter_group", "name", f"app-dw-dev-{project.name}")
        assert parameters["family"] == "aurora-postgresql15"
        assert {p["name"]: p["value"] for p in parameters["parameter"]} == {
            "log_min_duration_statement": str(platform.database.slow_statement_ms),
            "log_statement": "ddl",
            "rds.force_ssl": "1"}
        assert cluster["db_cluster_parameter_group_name"] == reference(
            "aws_rds_cluster_parameter_group", group_id, "name")


def test_master_password_is_managed_by_secrets_manager_never_by_terraform(database, projects):
    for project in projects:
        _, cluster = cluster_of(database, project.name)
        assert cluster["manage_master_user_password"] is True
        assert cluster["master_user_secret_kms_key_id"] == DATA_KEY
        assert cluster["master_username"] == "app_dw"
    text = json.dumps(database.get("resource", {}))
    assert "master_password" not in text


def test_proxy_requires_iam_and_tls_in_front_of_each_cluster(database, projects):
    assert len(resources(database, "aws_db_proxy")) == len(projects)
    for project in projects:
        cluster_id, _ = cluster_of(database, project.name)
        _, proxy = proxy_of(database, project.name)
        master_secret = f"${{aws_rds_cluster.{cluster_id}.master_user_secret[0].secret_arn}}"
        assert proxy["engine_family"] == "POSTGRESQL"
        assert proxy["require_tls"] is True
        assert proxy["idle_client_timeout"] == 1800
        assert proxy["debug_logging"] is False
        assert proxy["vpc_security_group_ids"] == [group(project.name, "rds_proxy_sg")]
        assert proxy["vpc_subnet_ids"] == f"${{{NETWORK}.database_subnet_ids}}"
        # The app's own user only: the master user has no way in through the proxy.
        (auth,) = proxy["auth"]
        assert auth["auth_scheme"] == "SECRETS" and auth["iam_auth"] == "REQUIRED"
        assert auth["secret_arn"] == app_user_secret(database, project.name) != master_secret


def app_user_secret(database, project: str) -> str:
    secret_id, _ = named(database, "aws_secretsmanager_secret", "name", f"app-dw-dev/{project}/app-user")
    return reference("aws_secretsmanager_secret", secret_id, "arn")


def test_each_api_has_a_database_user_of_its_own_with_a_generated_secret(database, projects):
    """The proxy signs in to Aurora with {"username", "password"} of the project's role; the value
    is generated write-only (never in state); the owner's migration sets the role's password from it."""
    for project in projects:
        secret_id, secret = named(database, "aws_secretsmanager_secret", "name", f"app-dw-dev/{project.name}/app-user")
        assert secret["kms_key_id"] == DATA_KEY
        (version,) = where(database, "aws_secretsmanager_secret_version",
                           secret_id=reference("aws_secretsmanager_secret", secret_id, "id"))
        assert "secret_string" not in version and version["secret_string_wo_version"] == 1
        role = f"{snake(project.name)}_app"
        assert version["secret_string_wo"] == (
            f'${{jsonencode({{username = "{role}", password = '
            f'ephemeral.aws_secretsmanager_random_password.{secret_id}.random_password}})}}')
        assert role != "app_dw"


def test_proxy_role_reads_only_the_app_users_secret(database, projects):
    for project in projects:
        _, proxy = proxy_of(database, project.name)
        role_id = re.match(r"\$\{aws_iam_role\.(.+)\.arn\}", proxy["role_arn"]).group(1)
        role = resources(database, "aws_iam_role")[role_id]
        assert policy(role, "assume_role_policy")["Statement"][0]["Principal"] == {"Service": "rds.amazonaws.com"}
        (inline,) = where(database, "aws_iam_role_policy", role=reference("aws_iam_role", role_id, "id"))
        read, decrypt = policy(inline)["Statement"]
        assert read["Action"] == ["secretsmanager:GetSecretValue"]
        assert read["Resource"] == [app_user_secret(database, project.name)]
        assert decrypt["Action"] == ["kms:Decrypt"] and decrypt["Resource"] == [DATA_KEY]
        assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}


def test_proxy_pool_is_sized_from_config_and_targets_the_cluster(database, projects, platform):
    config = platform.database
    for project in projects:
        cluster_id, _ = cluster_of(database, project.name)
        proxy_id, _ = proxy_of(database, project.name)
        proxy_name = reference("aws_db_proxy", proxy_id, "name")
        (pool_id, pool), = [(n, b) for n, b in resources(database, "aws_db_proxy_default_target_group").items()
                            if b["db_proxy_name"] == proxy_name]
        assert pool["connection_pool_config"] == {
            "max_connections_percent": config.proxy_max_connections_percent,
            "max_idle_connections_percent": config.proxy_max_idle_connections_percent,
            "connection_borrow_timeout": 120}
        (target,) = where(database, "aws_db_proxy_target", db_proxy_name=proxy_name)
        assert target["target_group_name"] == reference("aws_db_proxy_default_target_group", pool_id, "name")
        assert target["db_cluster_identifier"] == reference("aws_rds_cluster", cluster_id, "cluster_identifier")


def test_proxy_has_a_read_only_endpoint_beside_the_default(database, projects):
    for project in projects:
        proxy_id, proxy = proxy_of(database, project.name)
        proxy_name = reference("aws_db_proxy", proxy_id, "name")
        (endpoint,) = where(database, "aws_db_proxy_endpoint", db_proxy_name=proxy_name)
        assert endpoint["target_role"] == "READ_ONLY"
        assert endpoint["db_proxy_endpoint_name"] == f"app-dw-dev-{project.name}-read-only"
        assert endpoint["vpc_subnet_ids"] == proxy["vpc_subnet_ids"]
        assert endpoint["vpc_security_group_ids"] == proxy["vpc_security_group_ids"]


def test_proxy_logs_go_to_a_7_day_encrypted_group(database, projects):
    for project in projects:
        group_id, log_group = named(
            database, "aws_cloudwatch_log_group", "name", f"/aws/rds/proxy/app-dw-dev-{project.name}")
        assert log_group["retention_in_days"] == 7 and log_group["kms_key_id"] == LOGS_KEY
        assert proxy_of(database, project.name)[1]["depends_on"] == [f"aws_cloudwatch_log_group.{group_id}"]


def test_database_url_secret_points_at_the_proxy_without_a_password(database, projects):
    for project in projects:
        proxy_id, _ = proxy_of(database, project.name)
        secret_id, secret = named(
            database, "aws_secretsmanager_secret", "name", f"app-dw-dev/{project.name}/database-url")
        assert secret["kms_key_id"] == DATA_KEY
        (version,) = where(database, "aws_secretsmanager_secret_version",
                           secret_id=reference("aws_secretsmanager_secret", secret_id, "id"))
        endpoint = reference("aws_db_proxy", proxy_id, "endpoint")
        assert version["secret_string"] == (
            f"postgresql+psycopg://{snake(project.name)}_app@{endpoint}:5432/{snake(project.name)}?sslmode=require")


def test_outputs_follow_the_contract(database, projects):
    outputs = database["output"]
    kinds = ("database_url_secret_arn", "db_cluster_identifier", "db_proxy_name", "db_proxy_endpoint",
             "db_proxy_read_only_endpoint", "db_iam_connect_arn", "db_writer_endpoint", "db_master_secret_arn",
             "db_app_user_secret_arn")
    assert set(outputs) == {f"{kind}_{snake(p.name)}" for kind in kinds for p in projects}
    assert all(is_documented("database", name) for name in outputs)
    for project in projects:
        key = snake(project.name)
        cluster_id, _ = cluster_of(database, project.name)
        proxy_id, _ = proxy_of(database, project.name)
        secret_id, _ = named(database, "aws_secretsmanager_secret", "name", f"app-dw-dev/{project.name}/database-url")
        (endpoint_id,) = [n for n, b in resources(database, "aws_db_proxy_endpoint").items()
                          if b["db_proxy_name"] == reference("aws_db_proxy", proxy_id, "name")]
        expected = {
            "database_url_secret_arn": reference("aws_secretsmanager_secret", secret_id, "arn"),
            "db_cluster_identifier": reference("aws_rds_cluster", cluster_id, "cluster_identifier"),
            "db_proxy_name": reference("aws_db_proxy", proxy_id, "name"),
            "db_proxy_endpoint": reference("aws_db_proxy", proxy_id, "endpoint"),
            "db_proxy_read_only_endpoint": reference("aws_db_proxy_endpoint", endpoint_id, "endpoint"),
            "db_writer_endpoint": reference("aws_rds_cluster", cluster_id, "endpoint"),
            "db_master_secret_arn": f"${{aws_rds_cluster.{cluster_id}.master_user_secret[0].secret_arn}}",
            "db_app_user_secret_arn": app_user_secret(database, project.name),
        }
        for kind, value in expected.items():
            assert outputs[f"{kind}_{key}"]["value"] == value, kind


def test_iam_connect_arn_is_derived_from_the_proxy_arn(database, projects):
    for project in projects:
        proxy_id, _ = proxy_of(database, project.name)
        def part(index: int) -> str:
            return f'${{element(split(":", aws_db_proxy.{proxy_id}.arn), {index})}}'

        # arn:<partition>:rds-db:<region>:<account>:dbuser:<proxy resource id>/<user>
        assert database["output"][f"db_iam_connect_arn_{snake(project.name)}"]["value"] == (
            f"arn:{part(1)}:rds-db:{part(3)}:{part(4)}:dbuser:{part(6)}/{snake(project.name)}_app")


def test_no_output_carries_a_secret_value(database):
    for name, output in database["output"].items():
        text = json.dumps(output["value"]).replace("master_user_secret[0].secret_arn", "")  # its ARN only
        assert "aws_secretsmanager_secret_version" not in text and "master_user_secret" not in text, name


def test_reads_only_outputs_the_contract_documents(database, projects):
    reads = remote_reads(database)
    groups = [f"security_group_id_{snake(p.name)}_{kind}" for p in projects for kind in ("aurora_sg", "rds_proxy_sg")]
    assert reads == {
        "network": sorted(["database_subnet_ids", *groups]),
        "storage": ["kms_key_arn_data", "kms_key_arn_logs"]}
    for workspace, outputs in reads.items():
        for output in outputs:
            assert is_documented(workspace, output), f"database reads {workspace}.{output}, not in docs/contract.md"
