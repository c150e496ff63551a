"""One value, every consumer: a copy of platform.toml with a handful of fields changed is
synthesized, and every resource using each field takes the new value while nothing still holds
the old one (the database port once stopped halfway: Aurora listened on the new port while the
security groups and the network ACL kept admitting 5432)."""
from __future__ import annotations

import json
import re
import tomllib

import pytest

from tests.tf import resources
from toolkit.definition import DEFAULT_DEFINITION, Platform, parse_definition
from toolkit.rules import evaluate
from toolkit.synth import synthesize

OLD_DB_PORT, NEW_DB_PORT = 5432, 6543
OLD_RETENTION, NEW_RETENTION = 7, 14
NEW_SERVICE_PORTS = {"lang-portal-api": 8100, "haiku-api": 8200, "vocab-generator-frontend": 8601,
                     "vocab-generator-backend": 8300, "writing-practice": 7960}
OLD_SERVICE_PORTS = (8000, 8501, 7860)
NEW_MIN, NEW_MAX = 2, 5


@pytest.fixture(scope="module")
def changed(tmp_path_factory):
    data = tomllib.loads(DEFAULT_DEFINITION.read_text())
    data["database"]["port"] = NEW_DB_PORT
    data["monitoring"]["log_retention_days"] = NEW_RETENTION
    data["containers"]["min_capacity"], data["containers"]["max_capacity"] = NEW_MIN, NEW_MAX
    for project in data["projects"]:
        for service in project["services"]:
            service["port"] = NEW_SERVICE_PORTS[service["name"]]
    platform = Platform(parse_definition(data, "the changed copy"), "dev")
    return platform, synthesize(platform, tmp_path_factory.mktemp("changed"), use_cache=False).stacks


def values(value, path=""):
    """(attribute path, value) of every scalar in a stack; keys (logical ids) are not values."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from values(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from values(item, path)
    elif isinstance(value, str) and value[:1] in "[{":
        try:
            yield from values(json.loads(value), path)
        except ValueError:
            yield path, value
    else:
        yield path, value


def holding(stacks: dict, number: int) -> list[str]:
    """Where a number still appears: as a value, or inside a string (URLs, health checks)."""
    pattern = re.compile(rf"(?<![0-9A-Za-z]){number}(?![0-9A-Za-z])")
    return [f"{workspace}{path}" for workspace, stack in stacks.items() for path, value in values(stack)
            if (value == number and not isinstance(value, bool)) or (isinstance(value, str) and pattern.search(value))]


def every(stacks: dict, resource_type: str):
    return [(workspace, body) for workspace, stack in stacks.items() for body in resources(stack, resource_type).values()]


def test_the_database_port_reaches_aurora_the_security_groups_the_acl_and_the_url(changed):
    _, stacks = changed
    assert {body["port"] for _, body in every(stacks, "aws_rds_cluster")} == {NEW_DB_PORT}
    database_rules = [body for kind in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")
                      for _, body in every(stacks, kind) if "aurora" in json.dumps(body) or "proxy" in json.dumps(body)]
    assert database_rules and {(b["from_port"], b["to_port"]) for b in database_rules if "from_port" in b} == {
        (NEW_DB_PORT, NEW_DB_PORT)}
    acl_ports = {body["from_port"] for _, body in every(stacks, "aws_network_acl_rule")}
    assert NEW_DB_PORT in acl_ports
    urls = [body["secret_string"] for _, body in every(stacks, "aws_secretsmanager_secret_version")
            if "secret_string" in body]
    assert urls and all(f":{NEW_DB_PORT}/" in url for url in urls)
    assert holding(stacks, OLD_DB_PORT) == []


def test_the_log_retention_reaches_every_log_group_and_the_access_logs(changed):
    platform, stacks = changed
    groups = every(stacks, "aws_cloudwatch_log_group")
    assert len(groups) > 10 and {body["retention_in_days"] for _, body in groups} == {NEW_RETENTION}
    # the access-log buckets: storage's, and bootstrap's for the state bucket
    access_logs = [body for _, body in every(stacks, "aws_s3_bucket_lifecycle_configuration")
                   if any("expiration" in rule for rule in body["rule"])]
    assert len(access_logs) == 2
    for bucket in access_logs:
        expiring = {rule["id"]: rule for rule in bucket["rule"]}
        assert expiring["expire-objects"]["expiration"][0]["days"] == NEW_RETENTION
        assert expiring["tidy-versions"]["noncurrent_version_expiration"][0]["noncurrent_days"] == NEW_RETENTION
    assert [v for v in evaluate(stacks, platform.definition) if v.rule == "ADW-LOG-1"] == []
    assert [p for p in holding(stacks, OLD_RETENTION) if p.endswith(("retention_in_days", ".days", "noncurrent_days"))
            ] == []


def test_container_ports_reach_tasks_target_groups_rules_and_callers(changed):
    _, stacks = changed
    task_ports = {mapping["containerPort"] for _, body in every(stacks, "aws_ecs_task_definition")
                  for container in json.loads(body["container_definitions"])
                  for mapping in container.get("portMappings", [])}
    assert task_ports == set(NEW_SERVICE_PORTS.values())
    assert {body["port"] for _, body in every(stacks, "aws_lb_target_group")} == (
        set(NEW_SERVICE_PORTS.values()) - {NEW_SERVICE_PORTS["vocab-generator-backend"]})  # Cloud Map only
    rule_ports = {body.get("from_port") for _, body in every(stacks, "aws_vpc_security_group_ingress_rule")}
    assert set(NEW_SERVICE_PORTS.values()) <= rule_ports
    callers = json.dumps(stacks["vocab-generator-frontend"])
    assert f"lang-portal-api.${{data.terraform_remote_state.remote-cluster.outputs.service_discovery_namespace_name}}:8100" \
        in callers
    for old in OLD_SERVICE_PORTS:
        assert holding(stacks, old) == [], old


def test_capacity_reaches_the_services_and_their_scaling(changed):
    _, stacks = changed
    assert {body["desired_count"] for _, body in every(stacks, "aws_ecs_service")} == {NEW_MIN}
    targets = every(stacks, "aws_appautoscaling_target")
    assert len(targets) == 5
    assert {(body["min_capacity"], body["max_capacity"]) for _, body in targets} == {(NEW_MIN, NEW_MAX)}
