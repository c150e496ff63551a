"""monitoring workspace: real-time alerting (SNS), the spec's alarms, a dashboard per ECS
service plus an overview, X-Ray sampling and group, the ADOT collector configuration the
sidecars load, and Application Insights over the platform's resource group.

What is alarmed per service comes from the project list (every ECS service; ALB metrics for
the ALB-routed ones; database metrics for projects with a database), so a new project gets
its alarms and dashboard from platform.toml alone. Every metric comes from a reference to the
resource it measures (ECS service, target group, load balancer, RDS Proxy, Aurora cluster, app
client, web ACL), built from the owning workspace's outputs: the building block that owns the
resource spells its namespace and dimensions, this workspace only picks statistics and periods.
"""
from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.applicationinsights_application import ApplicationinsightsApplication
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.resourcegroups_group import ResourcegroupsGroup, ResourcegroupsGroupResourceQuery
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter
from cdktf_cdktf_provider_aws.xray_group import XrayGroup, XrayGroupInsightsConfiguration
from cdktf_cdktf_provider_aws.xray_sampling_rule import XraySamplingRule

from building_blocks.alarms import AlarmProps, Metric, MetricAlarm
from building_blocks.aurora_postgres import AuroraClusterReference, DatabaseProxyReference
from building_blocks.container_service import EcsServiceReference
from building_blocks.dashboard import AlarmList, Dashboard, DashboardProps, Graph
from building_blocks.ecs_cluster import ClusterReference
from building_blocks.iam import Statement, policy_document
from building_blocks.load_balancer import LoadBalancerReference, TargetGroupReference
from building_blocks.log_group import LogGroup, LogGroupProps
from building_blocks.user_pool import AppClientReference
from building_blocks.web_acl import WebAclReference
from modules.app_metrics import (AUTH_FAILURE_REASONS, AUTH_FAILURES, GUARDRAIL_INTERVENTIONS, REASON,
                                 REQUEST_DURATION, ROUTE, SERVICE, STATUS_CLASS, STATUS_CLASSES, UNHANDLED_ERRORS,
                                 AppMetric)
from toolkit.definition import Platform, Project, Service
from workspaces.base import Workspace
from workspaces.edge import alb_services, web_acl_names
from workspaces.otel import otel_collector_config

GIB = 1024 ** 3
# A task failed: it never started, its essential container exited, or ECS replaced it after
# failed ELB or container health checks ("Task failed ... health checks"). Deployments,
# scale-in and Spot interruptions stop tasks too, with other codes, and are not failures.
FAILED_TASK = [{"stopCode": ["TaskFailedToStart", "EssentialContainerExited"]},
               {"stoppedReason": [{"prefix": "Task failed"}]}]


def web_app_services(platform: Platform) -> list[Service]:
    """The services built on modules.webapp, which record the request, authentication and error metrics:
    all but a Streamlit UI (its own web server; it traces its outgoing calls only)."""
    return [s for p in platform.projects for s in p.services
            if not (p.frontend == "streamlit" and s.routing == "site")]


class MonitoringWorkspace(Workspace):
    def __init__(self, scope, spec, platform: Platform):
        super().__init__(scope, spec, platform)
        self.settings = platform.monitoring
        logs_key = self.read("storage", "kms_key_arn_logs")
        # The storage workspace's logs key lets CloudWatch (the alarms) publish to the topic.
        self.topic = SnsTopic(self, "alarm-topic", name=self.name("alarms"), kms_master_key_id=logs_key,
                              display_name=f"{platform.name} {platform.environment} alarms")
        SnsTopicSubscription(self, "alarm-email", topic_arn=self.topic.arn, protocol="email",
                             endpoint=platform.platform.alarm_email)
        self.alarms: list[MetricAlarm] = []
        self.cluster = ClusterReference(name=self.read("cluster", "ecs_cluster_name"),
                                        arn=self.read("cluster", "ecs_cluster_arn"))
        self.alb = LoadBalancerReference(self.read("edge", "alb_arn_suffix"))
        self.failed_task_log = LogGroup(self, "task-failures", LogGroupProps(
            name=f"/aws/events/{self.name('ecs-task-failures')}", retention_days=self.settings.log_retention_days,
            kms_key_arn=logs_key))
        self._let_eventbridge_write(self.failed_task_log)

        dashboards = []
        web_apps = {s.name for s in web_app_services(platform)}
        for project in platform.projects:
            database = self._database_alarms(project) if project.database else None
            for service in project.services:
                graphs = self._service_alarms(service)
                if service.name in web_apps:
                    graphs += self._app_alarms(service)
                dashboards.append(Dashboard(self, f"dashboard-{service.name}", DashboardProps(
                    name=self.name(service.name), region=platform.region,
                    widgets=tuple(graphs + (database or [])))))
        overview = self._security_alarms() + self._overview_graphs() + self._app_overview_graphs()
        Dashboard(self, "dashboard-overview", DashboardProps(
            name=self.name("overview"), region=platform.region,
            widgets=(AlarmList("Alarms", tuple(a.arn for a in self.alarms)), *overview)))

        if not platform.emulator_skips("xray"):
            self._tracing()
        otel_config = SsmParameter(
            self, "otel-config", name=f"/{platform.name}/{platform.environment}/otel/collector-config",
            # Encrypted with the data key like the apps' secrets: the task execution roles that
            # inject it already decrypt with that key (ssm:GetParameters + kms:Decrypt).
            type="SecureString", key_id=self.read("storage", "kms_key_arn_data"), tier="Standard",
            value=otel_collector_config(platform, platform.region),
            description="ADOT collector configuration of the ECS sidecars (AOT_CONFIG_CONTENT)")
        self._application_insights()

        self.publish("alarm_topic_arn", self.topic.arn, "SNS topic of real-time alerting")
        self.publish("otel_config_parameter_name", otel_config.name, "SSM parameter with the ADOT collector config")
        self.publish("otel_config_parameter_arn", otel_config.arn, "ARN of that parameter (task execution roles read it)")

    # --- alarms ------------------------------------------------------------------------

    def _alarm(self, id: str, props: AlarmProps) -> MetricAlarm:
        alarm = MetricAlarm(self, id, props)
        self.alarms.append(alarm)
        return alarm

    def _sustained(self) -> dict:
        """Evaluation of alarms on a level (CPU, latency, connections): M of N minutes."""
        s = self.settings
        return {"evaluation_periods": s.alarm_evaluation_periods, "datapoints_to_alarm": s.alarm_datapoints_to_alarm}

    def _target_group(self, service: Service) -> TargetGroupReference:
        return TargetGroupReference(self.read("edge", "target_group_arn_suffix", service.name), self.alb)

    def _service_alarms(self, service: Service) -> list[Graph]:
        """Alarms of one ECS service, and the graphs of its dashboard."""
        s, period, topic = self.settings, self.settings.alarm_period_seconds, (self.topic.arn,)
        ecs = EcsServiceReference(self.cluster, service.name)
        cpu = ecs.metric("CPUUtilization", "Average", period, "CPU %")
        memory = ecs.metric("MemoryUtilization", "Average", period, "memory %")
        for kind, metric in (("cpu", cpu), ("memory", memory)):
            self._alarm(f"{service.name}-{kind}", AlarmProps(
                name=self.name(service.name, kind), comparison=">", threshold=s.utilization_alarm_percent,
                description=f"{service.name}: {kind} utilization above {s.utilization_alarm_percent}%",
                metric=metric, actions=topic, treat_missing_data="missing", **self._sustained()))

        rule = CloudwatchEventRule(
            self, f"{service.name}-task-failed", name=self.name(service.name, "task-failed"),
            description=f"tasks of {service.name} that failed to start, crashed or failed health checks",
            event_pattern=json.dumps({
                "source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
                "detail": {"clusterArn": [self.cluster.arn], "group": [f"service:{service.name}"],
                           "lastStatus": ["STOPPED"], "$or": FAILED_TASK}}))
        CloudwatchEventTarget(self, f"{service.name}-task-failed-log", rule=rule.name, arn=self.failed_task_log.arn)
        failed = Metric("AWS/Events", "MatchedEvents", {"RuleName": rule.name}, "Sum", period, "failed tasks")
        self._alarm(f"{service.name}-failed-tasks", AlarmProps(
            name=self.name(service.name, "failed-tasks"), comparison=">", threshold=0,
            description=f"{service.name}: a task failed (stopped reason in {self.failed_task_log.name})",
            metric=failed, actions=topic))

        graphs = [
            Graph("CPU utilization (%)", (cpu, ecs.metric("CPUUtilization", "Maximum", period, "CPU % max"))),
            Graph("Memory utilization (%)", (memory, ecs.metric("MemoryUtilization", "Maximum", period, "memory % max"))),
            Graph("Tasks", (ecs.insights_metric("RunningTaskCount", "Average", period, "running"),
                            ecs.insights_metric("DesiredTaskCount", "Average", period, "desired"),
                            failed)),
        ]
        if service.on_load_balancer:
            graphs = self._load_balancer_alarms(service) + graphs
        return graphs

    def _load_balancer_alarms(self, service: Service) -> list[Graph]:
        s, topic = self.settings, (self.topic.arn,)
        target = self._target_group(service)
        window = s.error_rate_window_seconds
        errors = target.metric("HTTPCode_Target_5XX_Count", "Sum", window, "5xx")
        requests = target.metric("RequestCount", "Sum", window, "requests")
        error_rate = "IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)"
        self._alarm(f"{service.name}-5xx", AlarmProps(
            name=self.name(service.name, "5xx-rate"), comparison=">", threshold=s.error_rate_percent,
            description=f"{service.name}: 5xx above {s.error_rate_percent}% of requests in {window // 60} minutes",
            expression=error_rate, inputs={"errors": errors, "requests": requests}, actions=topic))
        period = s.alarm_period_seconds
        latency = {stat: target.metric("TargetResponseTime", stat, period, f"{stat} (s)") for stat in ("p50", "p95")}
        if service.routing == "api":  # the spec alarms on API latency; UIs hold long requests open
            self._alarm(f"{service.name}-latency", AlarmProps(
                name=self.name(service.name, "latency-p95"), comparison=">", threshold=s.latency_p95_seconds,
                description=f"{service.name}: p95 response time above {s.latency_p95_seconds} s",
                metric=latency["p95"], actions=topic, **self._sustained()))
        return [
            Graph("Requests", (target.metric("RequestCount", "Sum", period, "requests"),)),
            Graph("Errors", (target.metric("HTTPCode_Target_5XX_Count", "Sum", period, "target 5xx"),
                             target.metric("HTTPCode_Target_4XX_Count", "Sum", period, "target 4xx"),
                             self.alb.metric("HTTPCode_ELB_5XX_Count", "Sum", period, "ALB 5xx (all hosts)"))),
            Graph("Latency (s)", (latency["p50"], latency["p95"])),
        ]

    def _database_alarms(self, project: Project) -> list[Graph]:
        """Connections against the RDS Proxy's own ceiling (the apps connect only through the
        proxy, whose pool is the part that runs out), and Aurora's local storage: the cluster
        volume grows by itself, the instance-local space for temp files and logs does not."""
        s, period, topic = self.settings, self.settings.alarm_period_seconds, (self.topic.arn,)
        proxy = DatabaseProxyReference(self.read("database", "db_proxy_name", project.name))
        cluster = AuroraClusterReference(self.read("database", "db_cluster_identifier", project.name))
        connections = proxy.metric("DatabaseConnections", "Sum", period, "proxy to database")
        ceiling = proxy.metric("MaxDatabaseConnectionsAllowed", "Sum", period, "allowed")
        self._alarm(f"{project.name}-db-connections", AlarmProps(
            name=self.name(project.name, "db-connections"), comparison=">", threshold=s.db_connections_alarm_percent,
            description=f"{project.name}: database connections above {s.db_connections_alarm_percent}% of the maximum",
            expression="100 * connections / allowed", inputs={"connections": connections, "allowed": ceiling},
            actions=topic, treat_missing_data="missing", **self._sustained()))
        free = cluster.metric("FreeLocalStorage", "Minimum", period, "free local storage (bytes)")
        floor = s.db_local_storage_gib * GIB * s.db_free_storage_alarm_percent / 100
        self._alarm(f"{project.name}-db-storage", AlarmProps(
            name=self.name(project.name, "db-free-storage"), comparison="<", threshold=floor,
            description=f"{project.name}: free local storage below {s.db_free_storage_alarm_percent}% "
                        f"of {s.db_local_storage_gib} GiB",
            metric=free, actions=topic, treat_missing_data="missing", **self._sustained()))
        return [
            Graph("Database connections", (
                proxy.metric("ClientConnections", "Sum", period, "apps to proxy"), connections, ceiling,
                cluster.metric("DatabaseConnections", "Maximum", period, "Aurora (max instance)"))),
            Graph("Database local storage (bytes)", (free,)),
        ]

    def _security_alarms(self) -> list[Graph]:
        """The spec's security alarms: WAF block spikes, failed sign-ins, guardrail violations."""
        s, platform, topic = self.settings, self.platform, (self.topic.arn,)
        window = s.security_window_seconds
        blocked = []
        for acl_scope, acl_name in web_acl_names(platform).items():
            acl = WebAclReference(acl_name, acl_scope, platform.region)
            metric = acl.metric("BlockedRequests", "Sum", window, f"blocked ({acl_scope.lower()})")
            blocked.append(metric)
            self._alarm(f"waf-{acl_scope.lower()}-blocked", AlarmProps(
                name=self.name("waf", acl_scope.lower(), "blocked-spike"), comparison=">",
                threshold=s.waf_blocked_requests_threshold, metric=metric, actions=topic,
                description=f"{acl_name}: more than {s.waf_blocked_requests_threshold} blocked requests "
                            f"in {window // 60} minutes"))
        # Cognito counts every sign-in attempt in SignInSuccesses: SampleCount is the attempts,
        # Sum the successes, so the difference is the failed attempts, per app client.
        pool = self.read("auth", "user_pool_id")
        sign_ins = []
        for project in platform.projects:
            client = AppClientReference(pool, self.read("auth", "app_client_id", project.name))
            attempts = client.metric("SignInSuccesses", "SampleCount", window, f"{project.name} attempts")
            successes = client.metric("SignInSuccesses", "Sum", window, f"{project.name} successes")
            sign_ins += [attempts, successes]
            self._alarm(f"{project.name}-failed-sign-ins", AlarmProps(
                name=self.name(project.name, "failed-sign-ins"), comparison=">", threshold=s.failed_sign_ins_threshold,
                description=f"{project.name}: more than {s.failed_sign_ins_threshold} failed sign-ins "
                            f"in {window // 60} minutes",
                expression="attempts - successes", inputs={"attempts": attempts, "successes": successes},
                actions=topic))
        violations = Metric(s.guardrail_metric_namespace, s.guardrail_metric_name, {}, "Sum",
                            s.alarm_period_seconds, "guardrail violations")
        self._alarm("guardrail-violations", AlarmProps(
            name=self.name("guardrail-violations"), comparison=">", threshold=0, metric=violations, actions=topic,
            description="the Bedrock guardrail blocked a request or an answer (published by the apps)"))
        failed = " + ".join(f"(m{2 * i} - m{2 * i + 1})" for i in range(len(platform.projects)))
        return [
            Graph("WAF blocked requests", tuple(blocked)),
            Graph("Failed sign-ins", tuple(sign_ins), expressions=(("failed", failed, "failed sign-ins"),)),
            Graph("Guardrail violations", (violations,)),
        ]

    def _overview_graphs(self) -> list[Graph]:
        platform, period = self.platform, self.settings.alarm_period_seconds
        routed = alb_services(platform)
        target = {s.name: self._target_group(s) for s in routed}
        services = [s for p in platform.projects for s in p.services]
        ecs = {s.name: EcsServiceReference(self.cluster, s.name) for s in services}

        def by_service(references: dict, metric: str, stat: str) -> tuple[Metric, ...]:
            return tuple(reference.metric(metric, stat, period, name) for name, reference in references.items())

        return [
            Graph("Requests by service", by_service(target, "RequestCount", "Sum")),
            Graph("5xx by service", by_service(target, "HTTPCode_Target_5XX_Count", "Sum")),
            Graph("p95 latency by service (s)", by_service(target, "TargetResponseTime", "p95")),
            Graph("CPU by service (%)", by_service(ecs, "CPUUtilization", "Average")),
            Graph("Memory by service (%)", by_service(ecs, "MemoryUtilization", "Average")),
        ]

    def _app_metric(self, metric: AppMetric, service: Service, stat: str, period: int, label: str,
                    **dimensions: str) -> Metric:
        """One of the app metrics (modules.app_metrics) of one service, by a dimension set the collector
        exports (refused otherwise: CloudWatch would never have data for it)."""
        dimensions = {SERVICE: service.name, **dimensions}
        if tuple(sorted(dimensions)) not in {tuple(sorted(d)) for d in metric.dimension_sets}:
            raise ValueError(f"{metric.name} has no dimension set {sorted(dimensions)}: it has {metric.dimension_sets}")
        return Metric(self.settings.app_metrics_namespace, metric.name, dimensions, stat, period, label)

    def _app_alarms(self, service: Service) -> list[Graph]:
        """What the app itself reports: the spec's failed authentication attempts and crashes (exceptions
        nothing handled) as alarms; requests, latency (internal services have no ALB metrics) and
        guardrail interventions as graphs."""
        s, period, topic = self.settings, self.settings.alarm_period_seconds, (self.topic.arn,)
        window = s.security_window_seconds
        failures = self._app_metric(AUTH_FAILURES, service, "Sum", window, "authentication failures")
        self._alarm(f"{service.name}-auth-failures", AlarmProps(
            name=self.name(service.name, "auth-failures"), comparison=">", threshold=s.auth_failures_threshold,
            description=f"{service.name}: more than {s.auth_failures_threshold} requests refused for their "
                        f"credentials (401) in {window // 60} minutes",
            metric=failures, actions=topic))
        crashes = self._app_metric(UNHANDLED_ERRORS, service, "Sum", period, "unhandled errors")
        self._alarm(f"{service.name}-unhandled-errors", AlarmProps(
            name=self.name(service.name, "unhandled-errors"), comparison=">", threshold=0, metric=crashes,
            description=f"{service.name}: a request raised an error nothing handled (stack trace in its log)",
            actions=topic))
        duration = REQUEST_DURATION
        graphs = [
            Graph("App requests by status class", tuple(
                self._app_metric(duration, service, "SampleCount", period, status, **{STATUS_CLASS: status})
                for status in STATUS_CLASSES)),
            Graph("App latency (s)", tuple(self._app_metric(duration, service, stat, period, stat)
                                           for stat in ("p50", "p95", "p99"))),
            Graph("App requests by route", expressions=((
                "routes", self._search(duration, service, (SERVICE, ROUTE, STATUS_CLASS), "SampleCount", period),
                "requests"),)),
            Graph("Authentication failures by reason", tuple(
                self._app_metric(AUTH_FAILURES, service, "Sum", period, reason, **{REASON: reason})
                for reason in AUTH_FAILURE_REASONS)),
            Graph("Unhandled errors", (crashes,)),
        ]
        if service.calls_guardrail:
            graphs.append(Graph("Guardrail interventions", (
                self._app_metric(GUARDRAIL_INTERVENTIONS, service, "Sum", period, "interventions"),)))
        return graphs

    def _search(self, metric: AppMetric, service: Service, dimensions: tuple[str, ...], stat: str, period: int) -> str:
        """A dashboard SEARCH for the service's metrics of one dimension set whose values are not known
        here (the routes)."""
        if dimensions not in metric.dimension_sets:
            raise ValueError(f"{metric.name} has no dimension set {dimensions}")
        schema = ",".join([self.settings.app_metrics_namespace, *(f'"{d}"' for d in dimensions)])
        return f"SEARCH('{{{schema}}} MetricName=\"{metric.name}\" \"{SERVICE}\"=\"{service.name}\"', '{stat}', {period})"

    def _app_overview_graphs(self) -> list[Graph]:
        period, services = self.settings.alarm_period_seconds, web_app_services(self.platform)
        guarded = [s for s in services if s.calls_guardrail]

        def by_service(metric: AppMetric, stat: str, among: list[Service]) -> tuple[Metric, ...]:
            return tuple(self._app_metric(metric, s, stat, period, s.name) for s in among)

        return [
            Graph("Authentication failures by service", by_service(AUTH_FAILURES, "Sum", services)),
            Graph("Unhandled errors by service", by_service(UNHANDLED_ERRORS, "Sum", services)),
            Graph("Guardrail interventions by service", by_service(GUARDRAIL_INTERVENTIONS, "Sum", guarded)),
            Graph("App p95 latency by service (s)", by_service(REQUEST_DURATION, "p95", services)),
        ]

    # --- delivery, tracing, insights ------------------------------------------------------

    def _let_eventbridge_write(self, group: LogGroup) -> None:
        account = DataAwsCallerIdentity(self, "account").account_id
        CloudwatchLogResourcePolicy(
            self, "task-failures-delivery", policy_name=self.name("ecs-task-failures"),
            policy_document=policy_document(Statement(
                sid="EventBridgeWritesTaskFailures", actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                principals={"Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]},
                resources=[f"{group.arn}:*"],
                # Only this account's task-failure rules (confused-deputy guard).
                conditions={"StringEquals": {"aws:SourceAccount": account},
                            "ArnLike": {"aws:SourceArn": f"arn:aws:events:{self.platform.region}:{account}:rule/"
                                                         f"{self.name()}-*-task-failed"}})))

    def _tracing(self) -> None:
        platform, s = self.platform, self.settings
        XraySamplingRule(
            self, "sampling", rule_name=self.name("sampling"), priority=1000, version=1,
            fixed_rate=s.xray_sampling_rate, reservoir_size=s.xray_reservoir_per_second,
            service_name="*", service_type="*", host="*", http_method="*", url_path="*", resource_arn="*")
        XrayGroup(
            self, "traces", group_name=self.name("traces"),
            filter_expression=f'annotation.platform = "{platform.name}" AND annotation.environment = "{platform.environment}"',
            insights_configuration=XrayGroupInsightsConfiguration(insights_enabled=True, notifications_enabled=True))

    def _application_insights(self) -> None:
        tags = self.default_tags
        query = {"ResourceTypeFilters": ["AWS::AllSupported"],
                 "TagFilters": [{"Key": "project", "Values": [tags["project"]]},
                                {"Key": "environment", "Values": [tags["environment"]]}]}
        group = ResourcegroupsGroup(
            self, "resources", name=self.name("resources"),
            description=f"every resource of {self.platform.name} {self.platform.environment} by its default tags",  # CreateGroup allows no parentheses
            resource_query=ResourcegroupsGroupResourceQuery(type="TAG_FILTERS_1_0", query=json.dumps(query)))
        if not self.platform.emulator_skips("applicationinsights"):
            ApplicationinsightsApplication(
                self, "insights", resource_group_name=group.name, auto_config_enabled=True, cwe_monitor_enabled=True)
