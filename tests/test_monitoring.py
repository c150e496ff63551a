"""The monitoring workspace, as synthesized: alerting topic, the spec's alarms per service,
dashboards, X-Ray, the ADOT collector configuration and Application Insights."""
from __future__ import annotations

import fnmatch
import json
import re
import tomllib

import pytest
import yaml
from botocore.stub import Stubber
from fastapi import Depends
from fastapi.testclient import TestClient

from modules.app_metrics import APP_METRICS
from modules.auth import Principal, current_principal
from modules.aws import AwsClients, Bedrock
from modules.settings import AppSettings
from modules.tests.support import converse_response, fake_session
from modules.tests.telemetry import Recorded, recorded  # noqa: F401
from modules.webapp import create_web_app

from tests.contract import is_documented
from tests.tf import logical_id, only, reference, refers_to, remote_reads, resources
from toolkit.definition import DEFAULT_DEFINITION, DefinitionError, parse_definition

EDGE = "data.terraform_remote_state.remote-edge.outputs"
AUTH = "data.terraform_remote_state.remote-auth.outputs"
CLUSTER = "data.terraform_remote_state.remote-cluster.outputs"
DATABASE = "data.terraform_remote_state.remote-database.outputs"
STORAGE = "data.terraform_remote_state.remote-storage.outputs"


WEB_APPS = ("lang-portal-api", "haiku-api", "vocab-generator-backend", "writing-practice")
APPS = "AppDw/Apps"  # platform.toml monitoring.app_metrics_namespace


def key(name: str) -> str:
    return name.replace("-", "_")


@pytest.fixture(scope="module")
def monitoring(stacks):
    return stacks["monitoring"]


@pytest.fixture(scope="module")
def alarms(monitoring) -> dict[str, dict]:
    """{alarm name without the app-dw-dev- prefix: body}."""
    return {body["alarm_name"].removeprefix("app-dw-dev-"): body
            for body in resources(monitoring, "aws_cloudwatch_metric_alarm").values()}


@pytest.fixture(scope="module")
def topic(monitoring):
    return reference("aws_sns_topic", logical_id(monitoring, "aws_sns_topic", only(monitoring, "aws_sns_topic")), "arn")


def services(platform):
    return [s for p in platform.projects for s in p.services]


def query(alarm: dict, query_id: str) -> dict:
    (found,) = [q for q in alarm["metric_query"] if q["id"] == query_id]
    return found


def result(alarm: dict) -> str:
    (expression,) = [q for q in alarm["metric_query"] if q.get("return_data")]
    return expression["expression"]


# --- alerting -------------------------------------------------------------------------------

def test_alarm_topic_is_encrypted_and_mails_the_operators(monitoring, platform, topic):
    sns = only(monitoring, "aws_sns_topic")
    assert sns["name"] == "app-dw-dev-alarms"
    assert sns["kms_master_key_id"] == f"${{{STORAGE}.kms_key_arn_logs}}"
    subscription = only(monitoring, "aws_sns_topic_subscription")
    assert subscription["topic_arn"] == topic
    assert subscription["protocol"] == "email"
    assert subscription["endpoint"] == platform.platform.alarm_email == "ops@app-dw.net"
    assert monitoring["output"]["alarm_topic_arn"]["value"] == topic


def test_every_alarm_notifies_the_topic_on_alarm_and_on_recovery(alarms, topic):
    assert alarms
    for name, alarm in alarms.items():
        assert alarm["alarm_actions"] == [topic] == alarm["ok_actions"], name
        assert alarm["actions_enabled"] is True


def test_alarm_counts_per_service(alarms, platform):
    ecs = services(platform)
    routed = [s for s in ecs if s.on_load_balancer]
    apis = [s for s in ecs if s.routing == "api"]
    databases = [p for p in platform.projects if p.database]
    for kind, expected in (("cpu", ecs), ("memory", ecs), ("failed-tasks", ecs), ("5xx-rate", routed),
                           ("latency-p95", apis)):
        assert sorted(n.removesuffix(f"-{kind}") for n in alarms if n.endswith(f"-{kind}")) == \
            sorted(s.name for s in expected), kind
    for kind in ("db-connections", "db-free-storage"):
        assert sorted(n.removesuffix(f"-{kind}") for n in alarms if n.endswith(f"-{kind}")) == \
            sorted(p.name for p in databases) == ["haiku", "lang-portal"]
    assert sorted(n.removesuffix("-failed-sign-ins") for n in alarms if n.endswith("-failed-sign-ins")) == \
        sorted(p.name for p in platform.projects)
    for kind in ("auth-failures", "unhandled-errors"):  # every service but the Streamlit UI runs modules.webapp
        assert sorted(n.removesuffix(f"-{kind}") for n in alarms if n.endswith(f"-{kind}")) == sorted(WEB_APPS), kind
    assert {"waf-regional-blocked-spike", "waf-cloudfront-blocked-spike", "guardrail-violations"} <= set(alarms)
    assert len(alarms) == (3 * len(ecs) + len(routed) + len(apis) + 2 * len(databases) + len(platform.projects) + 3
                           + 2 * len(WEB_APPS)) == 40


# --- application health ---------------------------------------------------------------------

def test_5xx_alarm_is_metric_math_over_five_minutes(alarms, platform):
    for service in [s for s in services(platform) if s.on_load_balancer]:
        alarm = alarms[f"{service.name}-5xx-rate"]
        assert alarm["comparison_operator"] == "GreaterThanThreshold" and alarm["threshold"] == 5
        assert alarm["evaluation_periods"] == 1
        assert result(alarm) == "IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)"
        dimensions = {"LoadBalancer": f"${{{EDGE}.alb_arn_suffix}}",
                      "TargetGroup": f"${{{EDGE}.target_group_arn_suffix_{key(service.name)}}}"}
        for query_id, metric_name in (("errors", "HTTPCode_Target_5XX_Count"), ("requests", "RequestCount")):
            metric = query(alarm, query_id)["metric"]
            assert metric == {"namespace": "AWS/ApplicationELB", "metric_name": metric_name, "dimensions": dimensions,
                              "stat": "Sum", "period": 300}
        assert alarm["treat_missing_data"] == "notBreaching"


def test_latency_alarm_on_api_p95_above_one_second(alarms, platform):
    for service in [s for s in services(platform) if s.routing == "api"]:
        alarm = alarms[f"{service.name}-latency-p95"]
        assert alarm["namespace"] == "AWS/ApplicationELB" and alarm["metric_name"] == "TargetResponseTime"
        assert alarm["extended_statistic"] == "p95" and "statistic" not in alarm
        assert alarm["threshold"] == 1.0 and alarm["comparison_operator"] == "GreaterThanThreshold"
        assert alarm["period"] == 60
        assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (5, 3)
        assert alarm["dimensions"]["TargetGroup"] == f"${{{EDGE}.target_group_arn_suffix_{key(service.name)}}}"


def test_failed_tasks_come_from_ecs_task_state_events(monitoring, alarms, platform):
    rules = {body["name"]: (name, body) for name, body in resources(monitoring, "aws_cloudwatch_event_rule").items()}
    targets = resources(monitoring, "aws_cloudwatch_event_target").values()
    (log_id, log_group), = [(n, g) for n, g in resources(monitoring, "aws_cloudwatch_log_group").items()
                            if "ecs-task-failures" in g["name"]]
    for service in services(platform):
        rule_id, rule = rules[f"app-dw-dev-{service.name}-task-failed"]
        pattern = json.loads(rule["event_pattern"])
        assert pattern["source"] == ["aws.ecs"] and pattern["detail-type"] == ["ECS Task State Change"]
        detail = pattern["detail"]
        assert detail["clusterArn"] == [f"${{{CLUSTER}.ecs_cluster_arn}}"]
        assert detail["group"] == [f"service:{service.name}"]
        assert detail["lastStatus"] == ["STOPPED"]
        assert {"stopCode": ["TaskFailedToStart", "EssentialContainerExited"]} in detail["$or"]
        assert {"stoppedReason": [{"prefix": "Task failed"}]} in detail["$or"]
        assert any(t["rule"] == reference("aws_cloudwatch_event_rule", rule_id, "name")
                   and t["arn"] == reference("aws_cloudwatch_log_group", log_id, "arn") for t in targets)
        alarm = alarms[f"{service.name}-failed-tasks"]
        assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == ("AWS/Events", "MatchedEvents", "Sum")
        assert alarm["dimensions"] == {"RuleName": reference("aws_cloudwatch_event_rule", rule_id, "name")}
        assert alarm["threshold"] == 0 and alarm["comparison_operator"] == "GreaterThanThreshold"
        assert alarm["period"] == 60 and alarm["evaluation_periods"] == 1
        assert alarm["treat_missing_data"] == "notBreaching"  # the metric exists only when a task failed
    assert log_group["retention_in_days"] == 7 and log_group["kms_key_id"] == f"${{{STORAGE}.kms_key_arn_logs}}"
    (policy,) = [json.loads(p["policy_document"]) for p in resources(monitoring, "aws_cloudwatch_log_resource_policy").values()]
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]}
    # Only this account's task-failure rules may deliver (confused deputy): the pattern covers each rule.
    account = "${data.aws_caller_identity.account.account_id}"
    source = statement["Condition"]["ArnLike"]["aws:SourceArn"]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
    assert source == f"arn:aws:events:us-east-1:{account}:rule/app-dw-dev-*-task-failed"
    assert all(fnmatch.fnmatchcase(f"arn:aws:events:us-east-1:{account}:rule/{name}", source)
               for name in rules if name.endswith("-task-failed"))


# --- infrastructure -------------------------------------------------------------------------

def test_cpu_and_memory_above_85_percent_per_ecs_service(alarms, platform):
    for service in services(platform):
        for kind, metric_name in (("cpu", "CPUUtilization"), ("memory", "MemoryUtilization")):
            alarm = alarms[f"{service.name}-{kind}"]
            assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == ("AWS/ECS", metric_name, "Average")
            assert alarm["dimensions"] == {"ClusterName": f"${{{CLUSTER}.ecs_cluster_name}}", "ServiceName": service.name}
            assert alarm["threshold"] == 85 and alarm["comparison_operator"] == "GreaterThanThreshold"
            assert alarm["period"] == 60


def test_database_connections_above_80_percent_of_the_proxy_ceiling(alarms, platform):
    for project in [p for p in platform.projects if p.database]:
        alarm = alarms[f"{project.name}-db-connections"]
        assert result(alarm) == "100 * connections / allowed"
        assert alarm["threshold"] == 80 and alarm["comparison_operator"] == "GreaterThanThreshold"
        proxy = {"ProxyName": f"${{{DATABASE}.db_proxy_name_{key(project.name)}}}"}
        assert query(alarm, "connections")["metric"]["metric_name"] == "DatabaseConnections"
        assert query(alarm, "allowed")["metric"]["metric_name"] == "MaxDatabaseConnectionsAllowed"
        for query_id in ("connections", "allowed"):
            metric = query(alarm, query_id)["metric"]
            assert metric["namespace"] == "AWS/RDS" and metric["dimensions"] == proxy and metric["period"] == 60


def test_database_free_local_storage_below_20_percent(alarms, platform):
    assert platform.monitoring.db_local_storage_gib == 32
    for project in [p for p in platform.projects if p.database]:
        alarm = alarms[f"{project.name}-db-free-storage"]
        assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == ("AWS/RDS", "FreeLocalStorage", "Minimum")
        assert alarm["dimensions"] == {"DBClusterIdentifier": f"${{{DATABASE}.db_cluster_identifier_{key(project.name)}}}"}
        assert alarm["comparison_operator"] == "LessThanThreshold"
        assert alarm["threshold"] == pytest.approx(0.20 * 32 * 1024 ** 3)


# --- security -------------------------------------------------------------------------------

def test_waf_block_spike_alarms_watch_the_edge_acls(alarms, stacks, platform):
    acl_names = {body["scope"]: body["name"] for body in resources(stacks["edge"], "aws_wafv2_web_acl").values()}
    for scope in ("REGIONAL", "CLOUDFRONT"):
        alarm = alarms[f"waf-{scope.lower()}-blocked-spike"]
        assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == ("AWS/WAFV2", "BlockedRequests", "Sum")
        expected = {"WebACL": acl_names[scope], "Rule": "ALL"} | ({"Region": "us-east-1"} if scope == "REGIONAL" else {})
        assert alarm["dimensions"] == expected
        assert alarm["threshold"] == platform.monitoring.waf_blocked_requests_threshold
        assert alarm["period"] == 300 and alarm["treat_missing_data"] == "notBreaching"


def test_failed_sign_ins_per_app_client(alarms, platform):
    for project in platform.projects:
        alarm = alarms[f"{project.name}-failed-sign-ins"]
        assert result(alarm) == "attempts - successes"
        client = {"UserPool": f"${{{AUTH}.user_pool_id}}", "UserPoolClient": f"${{{AUTH}.app_client_id_{key(project.name)}}}"}
        for query_id, stat in (("attempts", "SampleCount"), ("successes", "Sum")):
            metric = query(alarm, query_id)["metric"]
            assert (metric["namespace"], metric["metric_name"], metric["stat"]) == ("AWS/Cognito", "SignInSuccesses", stat)
            assert metric["dimensions"] == client and metric["period"] == 300
        assert alarm["threshold"] == platform.monitoring.failed_sign_ins_threshold


def test_guardrail_violations_alarm_on_the_apps_metric(alarms, platform):
    alarm = alarms["guardrail-violations"]
    assert alarm["namespace"] == platform.monitoring.guardrail_metric_namespace == "AppDw/Guardrails"
    assert alarm["metric_name"] == platform.monitoring.guardrail_metric_name == "GuardrailViolations"
    assert alarm["statistic"] == "Sum" and alarm["period"] == 60
    assert alarm["threshold"] == 0 and alarm["comparison_operator"] == "GreaterThanThreshold"
    assert alarm["treat_missing_data"] == "notBreaching"
    assert "dimensions" not in alarm or alarm["dimensions"] == {}


def test_failed_authentication_attempts_and_crashes_alarm_per_web_app(alarms, platform):
    for service in WEB_APPS:
        failures = alarms[f"{service}-auth-failures"]
        assert (failures["namespace"], failures["metric_name"], failures["statistic"]) == (APPS, "app.auth.failures", "Sum")
        assert failures["dimensions"] == {"service.name": service}
        assert failures["period"] == 300 and failures["threshold"] == platform.monitoring.auth_failures_threshold == 20
        crashes = alarms[f"{service}-unhandled-errors"]
        assert (crashes["namespace"], crashes["metric_name"], crashes["statistic"]) == (APPS, "app.errors.unhandled", "Sum")
        assert crashes["dimensions"] == {"service.name": service}
        assert crashes["period"] == 60 and crashes["threshold"] == 0
        for alarm in (failures, crashes):
            assert alarm["comparison_operator"] == "GreaterThanThreshold" and alarm["evaluation_periods"] == 1
            assert alarm["treat_missing_data"] == "notBreaching"  # the apps send a count only when one happened


# --- dashboards -----------------------------------------------------------------------------

def dashboards(monitoring) -> dict[str, dict]:
    return {body["dashboard_name"].removeprefix("app-dw-dev-"): json.loads(body["dashboard_body"])
            for body in resources(monitoring, "aws_cloudwatch_dashboard").values()}


def titles(body: dict) -> list[str]:
    return [w["properties"]["title"] for w in body["widgets"]]


def test_a_dashboard_per_ecs_service_and_an_overview(monitoring, platform):
    assert set(dashboards(monitoring)) == {s.name for s in services(platform)} | {"overview"}


def test_service_dashboards_show_the_spec_graphs(monitoring, platform):
    found = dashboards(monitoring)
    for project in platform.projects:
        for service in project.services:
            body = found[service.name]
            expected = ["CPU utilization (%)", "Memory utilization (%)", "Tasks"]
            if service.on_load_balancer:
                expected = ["Requests", "Errors", "Latency (s)"] + expected
            if service.name in WEB_APPS:
                expected += ["App requests by status class", "App latency (s)", "App requests by route",
                             "Authentication failures by reason", "Unhandled errors"]
                expected += ["Guardrail interventions"] if "bedrock" in service.aws_services else []
            if project.database:
                expected += ["Database connections", "Database local storage (bytes)"]
            assert titles(body) == expected, service.name
            for widget in body["widgets"]:
                assert widget["properties"]["region"] == "us-east-1" and widget["width"] == 12
            if service.on_load_balancer:
                (latency,) = [w for w in body["widgets"] if w["properties"]["title"] == "Latency (s)"]
                assert [m[-1]["stat"] for m in latency["properties"]["metrics"]] == ["p50", "p95"]
                assert all(f"target_group_arn_suffix_{key(service.name)}" in json.dumps(m)
                           for m in latency["properties"]["metrics"])


def test_overview_lists_every_alarm_and_the_platform_graphs(monitoring, alarms):
    body = dashboards(monitoring)["overview"]
    (alarm_widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    alarm_ids = {name for name in resources(monitoring, "aws_cloudwatch_metric_alarm")}
    assert {a.split(".")[1] for a in alarm_widget["properties"]["alarms"]} == alarm_ids
    assert len(alarm_widget["properties"]["alarms"]) == len(alarms)
    assert {"WAF blocked requests", "Failed sign-ins", "Guardrail violations", "Requests by service",
            "5xx by service", "p95 latency by service (s)", "CPU by service (%)", "Memory by service (%)",
            "Authentication failures by service", "Unhandled errors by service", "Guardrail interventions by service",
            "App p95 latency by service (s)"} <= set(titles(body))


# --- tracing, collector, insights ---------------------------------------------------------

def test_xray_sampling_rule_and_platform_group(monitoring, platform):
    rule = only(monitoring, "aws_xray_sampling_rule")
    assert rule["fixed_rate"] == platform.monitoring.xray_sampling_rate == 0.05
    assert rule["reservoir_size"] == 1 and rule["version"] == 1
    assert len(rule["rule_name"]) <= 32
    group = only(monitoring, "aws_xray_group")
    assert group["filter_expression"] == 'annotation.platform = "app-dw" AND annotation.environment = "dev"'
    assert group["insights_configuration"] == {"insights_enabled": True, "notifications_enabled": True}


def test_otel_collector_config_is_yaml_with_xray_and_emf_exporters(monitoring, platform):
    parameter = only(monitoring, "aws_ssm_parameter")
    assert parameter["name"] == "/app-dw/dev/otel/collector-config"
    assert parameter["type"] == "SecureString" and parameter["key_id"] == f"${{{STORAGE}.kms_key_arn_data}}"
    config = yaml.safe_load(parameter["value"])
    assert set(config["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    assert config["exporters"]["awsxray"]["region"] == "us-east-1"
    # the X-Ray group selects traces by these annotations
    assert config["exporters"]["awsxray"]["indexed_attributes"] == ["platform", "environment"]
    emf = config["exporters"]["awsemf"]
    assert emf["namespace"] == platform.monitoring.app_metrics_namespace == APPS
    assert emf["log_group_name"] == platform.containers.log_group == "/ecs/app-dw"
    # The resource's service.name becomes a label; only the declared metrics and dimension sets are exported.
    assert emf["resource_to_telemetry_conversion"] == {"enabled": True}
    assert {tuple(d["metric_name_selectors"]): d["dimensions"] for d in emf["metric_declarations"]} == {
        (r"^http\.server\.request\.duration$",): [["service.name"], ["service.name", "http.response.status_class"],
                                                  ["service.name", "http.route", "http.response.status_class"]],
        (r"^app\.auth\.failures$",): [["service.name"], ["service.name", "reason"]],
        (r"^app\.guardrail\.interventions$",): [["service.name"]],
        (r"^app\.errors\.unhandled$",): [["service.name"]]}
    assert {d["metric_name"]: d["unit"] for d in emf["metric_descriptors"]} == {
        "http.server.request.duration": "Seconds", "app.auth.failures": "Count",
        "app.guardrail.interventions": "Count", "app.errors.unhandled": "Count"}
    pipelines = config["service"]["pipelines"]
    assert pipelines["traces"]["receivers"] == ["otlp"] and pipelines["traces"]["exporters"] == ["awsxray"]
    assert pipelines["metrics"]["receivers"] == ["otlp"] and pipelines["metrics"]["exporters"] == ["awsemf"]
    for pipeline in pipelines.values():
        assert set(pipeline["processors"]) <= set(config["processors"])
    parameter_id = logical_id(monitoring, "aws_ssm_parameter", parameter)
    assert monitoring["output"]["otel_config_parameter_name"]["value"] == reference("aws_ssm_parameter", parameter_id, "name")
    assert monitoring["output"]["otel_config_parameter_arn"]["value"] == reference("aws_ssm_parameter", parameter_id, "arn")


def test_application_insights_watches_the_platform_resource_group(monitoring):
    group = only(monitoring, "aws_resourcegroups_group")
    resource_query = group["resource_query"]
    assert resource_query["type"] == "TAG_FILTERS_1_0"
    assert json.loads(resource_query["query"]) == {
        "ResourceTypeFilters": ["AWS::AllSupported"],
        "TagFilters": [{"Key": "project", "Values": ["app-dw"]}, {"Key": "environment", "Values": ["dev"]}]}
    (provider,) = monitoring["provider"]["aws"]
    tags = provider["default_tags"][0]["tags"]
    assert (tags["project"], tags["environment"]) == ("app-dw", "dev")  # what every resource carries
    application = only(monitoring, "aws_applicationinsights_application")
    assert refers_to(application["resource_group_name"], "aws_resourcegroups_group")
    assert application["auto_config_enabled"] is True and application["cwe_monitor_enabled"] is True


# --- contract -------------------------------------------------------------------------------

def test_outputs_are_the_contract(monitoring):
    assert set(monitoring["output"]) == {"alarm_topic_arn", "otel_config_parameter_name", "otel_config_parameter_arn"}
    assert all(is_documented("monitoring", name) for name in monitoring["output"])


def test_reads_only_documented_outputs(monitoring, platform):
    reads = remote_reads(monitoring)
    assert set(reads) == {"storage", "edge", "auth", "database", "cluster"}
    for workspace, outputs in reads.items():
        assert all(is_documented(workspace, output) for output in outputs), workspace
    assert reads["cluster"] == ["ecs_cluster_arn", "ecs_cluster_name"]
    assert reads["storage"] == ["kms_key_arn_data", "kms_key_arn_logs"]


# --- definition -----------------------------------------------------------------------------

def test_alarm_settings_are_validated():
    data = tomllib.loads(DEFAULT_DEFINITION.read_text())
    data["monitoring"]["alarm_datapoints_to_alarm"] = 6
    with pytest.raises(DefinitionError, match="alarm_datapoints_to_alarm 6 is above alarm_evaluation_periods 5"):
        parse_definition(data)
    data = tomllib.loads(DEFAULT_DEFINITION.read_text())
    data["monitoring"]["guardrail_metric_namespace"] = "AWS/Guardrails"
    with pytest.raises(DefinitionError, match="reserved by AWS"):
        parse_definition(data)


# --- the app metrics: what the apps emit is what is alarmed and graphed ------------------------

def cloudwatch_metrics_of(collector: dict, recorded: Recorded) -> set[tuple[str, str, tuple[str, ...]]]:
    """(namespace, metric name, dimension names) of each CloudWatch metric the collector's awsemf exporter
    makes of what an app recorded: labels are the data point's attributes and the resource's, and each
    declaration whose selector matches the name contributes its dimension sets that are all labels."""
    emf = collector["exporters"]["awsemf"]
    assert emf["resource_to_telemetry_conversion"]["enabled"]
    [resource] = {tuple(sorted(r)) for r in recorded.resources()}
    found = set()
    for declaration in emf["metric_declarations"]:
        for metric in APP_METRICS:
            if not any(re.search(selector, metric.name) for selector in declaration["metric_name_selectors"]):
                continue
            for point in recorded.points(metric.name):
                labels = set(resource) | {name for name, _ in point}
                found |= {(emf["namespace"], metric.name, tuple(sorted(d))) for d in declaration["dimensions"]
                          if set(d) <= labels}
    return found


def app_metrics_read(monitoring: dict) -> set[tuple[str, str, tuple[str, ...]]]:
    """(namespace, metric name, dimension names) of every app metric an alarm or a dashboard widget reads."""
    read = {(a["namespace"], a["metric_name"], tuple(sorted(a["dimensions"])))
            for a in resources(monitoring, "aws_cloudwatch_metric_alarm").values() if a.get("namespace") == APPS}
    for body in dashboards(monitoring).values():
        for widget in body["widgets"]:
            for entry in widget["properties"].get("metrics", []):
                if entry[0] == APPS:
                    read.add((APPS, entry[1], tuple(sorted(entry[2:-1:2]))))
                elif "expression" in entry[0] and APPS in entry[0]["expression"]:
                    schema, name = re.search(r"SEARCH\('\{([^}]*)\} MetricName=\"([^\"]+)\"", entry[0]["expression"]).groups()
                    namespace, *dimensions = [part.strip('"') for part in schema.split(",")]
                    read.add((namespace, name, tuple(sorted(dimensions))))
    return read


def test_the_alarms_and_graphs_read_exactly_what_the_apps_emit(monitoring, recorded):
    """An app built on modules.webapp serves a route, refuses a key, crashes and meets the guardrail; the
    collector configuration as synthesized turns what it recorded into CloudWatch metrics; those are the
    metrics the alarms and dashboards read, no more and no less (a renamed instrument, attribute or
    dimension on either side fails here)."""
    app = create_web_app(AppSettings(local_mode=True), title="contract", version="1", api_key="contract-api-key-0123")
    settings = AppSettings(aws_region="us-east-1", guardrail_id="gr", guardrail_version="1")
    clients = AwsClients(settings, session=fake_session())

    @app.get("/items/{item_id}")
    async def item(item_id: int, principal: Principal = Depends(current_principal)) -> dict:
        return {"id": item_id}

    @app.get("/crash")
    async def crash() -> dict:
        raise RuntimeError("a bug")

    @app.get("/guarded")
    def guarded() -> dict:
        return {"text": Bedrock(clients).converse(system="s", prompt="p")}

    with TestClient(app) as client, Stubber(clients.get("bedrock-runtime")) as bedrock, \
            Stubber(clients.get("cloudwatch")) as cloudwatch:
        bedrock.add_response("converse", converse_response("blocked", "guardrail_intervened"))
        cloudwatch.add_response("put_metric_data", {})
        assert [client.get(path, headers=headers).status_code for path, headers in (
            ("/items/1", {}), ("/items/1", {"X-Api-Key": "wrong"}), ("/crash", {}), ("/guarded", {}))] == [200, 401, 500, 422]
    collector = yaml.safe_load(only(monitoring, "aws_ssm_parameter")["value"])
    assert app_metrics_read(monitoring) == cloudwatch_metrics_of(collector, recorded)
