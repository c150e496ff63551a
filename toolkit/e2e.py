"""`python -m toolkit e2e`: apply, re-plan and destroy the platform against the local emulator.

Proves the rendered Terraform applies, wires across workspaces through real S3 remote state,
re-plans clean and destroys, with no AWS account:

1. start moto_server on 127.0.0.1 and synthesize with the emulator target (toolkit/emulator.py);
2. bootstrap (local state) creates the state bucket; then every workspace, as soon as the
   workspaces it reads are applied: init, plan to a saved file, apply that file;
3. once the workspaces that read it have applied, a second plan of a workspace must show no
   changes: nothing applied after it changed what it owns (its JSON also gives the report
   what was applied);
4. a workspace is destroyed once every workspace reading it is destroyed; then the run checks
   that the emulator holds nothing the platform made, empties the state bucket, destroys
   bootstrap and checks again;
5. the plan review report (the same code as `python -m toolkit plan`) and a table of timings.

Every Terraform command costs the provider's start (seconds of CPU on this machine), which is
why the run reads one `terraform show` per workspace, not one per plan.

Steps run `workers` at a time as soon as what they need is done, longest chain first: the
waits are the provider's polling, so a workspace of the other branch applies meanwhile.
A failing step is reported with Terraform's first error lines; the run goes on with what does
not depend on it, destroys whatever was applied and exits non-zero.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from toolkit import emulator, plan_report
from toolkit.cost import load_prices
from toolkit.definition import REPO_ROOT, Platform
from toolkit.plan import review
from toolkit.report import table
from toolkit.state import state_object
from toolkit.terraform import StepResult, TerraformRunner

DEFAULT_OUTDIR = REPO_ROOT / "cdktf.out-e2e"
DEFAULT_WORKERS = 4
PLAN_FILE = "e2e.tfplan"
REPLAN_FILE = "e2e-replan.tfplan"
ERROR_COLUMN = 100   # characters of the error shown in the table; the full text follows it


@dataclass
class WorkspaceRun:
    name: str
    steps: dict[str, StepResult] = field(default_factory=dict)
    plan: dict | None = None   # for the report: what was applied (see applied_as_planned), or the failed plan
    slowest: str = ""          # the resource that took longest to create

    def ok(self, step: str) -> bool:
        return step in self.steps and self.steps[step].ok

    def failure(self) -> StepResult | None:
        return next((result for result in self.steps.values() if not result.ok), None)


# ------------------------------------------------------------------------------ terraform

class StackRunner(TerraformRunner):
    """Terraform in the synthesized workspaces, against the emulator at `emulator_url`."""

    def __init__(self, stacks_dir: Path, emulator_url: str, *, step_timeout: float = 900):
        super().__init__(stacks_dir, emulator.terraform_environment(emulator_url), step_timeout=step_timeout)

    def apply(self, workspace: str, run: WorkspaceRun | None = None, lock_timeout: str = "0s",
              on_line: Callable[[str], None] | None = None) -> StepResult:
        result, output, _ = self.step(workspace, "apply", ["apply", "-input=false", "-json",
                                                           f"-lock-timeout={lock_timeout}", PLAN_FILE], on_line=on_line)
        if run is not None:
            run.slowest = slowest_resource(output)
        return result

    def replan(self, workspace: str, run: WorkspaceRun | None = None) -> StepResult:
        """A second plan; ok when it has no changes but the documented emulator quirks. Its JSON
        also gives the report what was applied (`run.plan`)."""
        result, code = self.plan(workspace, REPLAN_FILE, step="replan")
        if not result.ok:
            return result
        second = self.show(workspace, REPLAN_FILE) or {}
        if run is not None and second:
            run.plan = applied_as_planned(second)
        if code != 2:
            result.summary = ""
            return result
        drift, tolerated = unexpected_changes(second)
        result.ok = not drift
        result.summary = ("changes: " + "; ".join(drift)) if drift else "tolerated emulator quirks: " + by_type(tolerated)
        return result

    def destroy(self, workspace: str) -> StepResult:
        # No refresh: the second plan has just read every resource back.
        return self.step(workspace, "destroy", ["destroy", "-input=false", "-json", "-auto-approve",
                                                "-refresh=false"])[0]


def applied_as_planned(second_plan: dict) -> dict:
    """The first plan of a workspace applied from nothing, as the second plan's JSON shows it:
    every managed resource of the state it read back created with the values it holds, and the
    same configuration. One `terraform show` per workspace gives both the report and the check."""
    module = second_plan.get("prior_state", {}).get("values", {}).get("root_module", {})
    created = [{"address": r["address"], "mode": "managed", "type": r["type"], "name": r.get("name", ""),
                "change": {"actions": ["create"], "before": None, "after": r.get("values") or {}}}
               for r in module.get("resources", []) if r.get("mode", "managed") == "managed"]
    return {"resource_changes": created, "planned_values": {"root_module": module}, "prior_state": {},
            "configuration": second_plan.get("configuration", {})}


def slowest_resource(output: str) -> str:
    slowest, seconds = "", -1.0
    for line in output.splitlines():
        if '"apply_complete"' in line:
            hook = json.loads(line)["hook"]
            if hook.get("elapsed_seconds", 0) > seconds:
                slowest, seconds = hook["resource"]["addr"], hook["elapsed_seconds"]
    return f"{slowest} {seconds:.0f} s" if slowest else ""


def by_type(changes: list[str]) -> str:
    """"aws_x.a (attr)", "aws_x.b (attr)" -> "aws_x (attr) x2": a quirk once, not once per resource."""
    counts = Counter(re.sub(r"^([a-z0-9_]+)\.\S+ ", r"\1 ", change) for change in changes)
    return "; ".join(f"{what} x{count}" if count > 1 else what for what, count in counts.items())


def unexpected_changes(plan: dict) -> tuple[list[str], list[str]]:
    """(changes that fail the re-plan, changes allowed by emulator.EMULATOR_QUIRKS) of a plan."""
    drift, tolerated = [], []
    for change in plan.get("resource_changes", []):
        actions = change["change"]["actions"]
        if change.get("mode") != "managed" or actions in (["no-op"], ["read"]):
            continue
        quirks = emulator.EMULATOR_QUIRKS.get(change["type"], {})
        if sorted(actions) == ["create", "delete"]:
            # A replacement passes only if every attribute forcing it is a quirk.
            forcing = sorted({path[0] for path in change["change"].get("replace_paths") or []})
            if forcing and set(forcing) <= set(quirks):
                tolerated.append(f"{change['address']} (replaced for {', '.join(forcing)})")
            else:
                drift.append(f"{'/'.join(actions)} {change['address']}")
            continue
        if actions != ["update"]:
            drift.append(f"{'/'.join(actions)} {change['address']}")
            continue
        before, after = change["change"].get("before") or {}, change["change"].get("after") or {}
        unknown = change["change"].get("after_unknown") or {}
        changed = sorted(k for k in set(before) | set(after) | set(unknown)
                         if before.get(k) != after.get(k) or unknown.get(k) is True)
        expected = [k for k in changed if k not in quirks]
        (drift if expected else tolerated).append(f"{change['address']} ({', '.join(expected or changed)})")
    return drift, tolerated


# ------------------------------------------------------------------------------- ordering

@dataclass
class Task:
    """A step of the run: `action` returns whether it succeeded. It starts once every task in
    `needs` has finished, and is skipped (outcome None) if one in `must_succeed` did not succeed.
    `seconds` is how long it is expected to take (the last run's time, see StepTimes)."""
    action: Callable[[], bool]
    needs: set[Hashable] = field(default_factory=set)
    must_succeed: set[Hashable] = field(default_factory=set)
    seconds: float = 1.0


def chain_lengths(tasks: dict[Hashable, Task]) -> dict[Hashable, float]:
    """The expected seconds of the longest chain of tasks from each task on, itself included:
    the task with the longest chain starts first (the run's critical path)."""
    followers: dict[Hashable, set[Hashable]] = {key: set() for key in tasks}
    for key, task in tasks.items():
        for need in task.needs:
            if need in followers:
                followers[need].add(key)
    lengths: dict[Hashable, float] = {}

    def length(key: Hashable) -> float:
        if key not in lengths:
            lengths[key] = tasks[key].seconds + max((length(f) for f in followers[key]), default=0)
        return lengths[key]

    for key in tasks:
        length(key)
    return lengths


def run_tasks(tasks: dict[Hashable, Task], *, workers: int,
              interrupt: Callable[[], None] = lambda: None) -> dict[Hashable, bool | None]:
    """Run every task, up to `workers` at a time; outcome per task: True/False, or None when
    skipped. On Ctrl-C or an error, `interrupt` stops the running actions before the pool waits."""
    unknown = {need for task in tasks.values() for need in task.needs} - set(tasks)
    if unknown:
        raise ValueError(f"tasks need unknown tasks: {sorted(map(str, unknown))}")
    priority = chain_lengths(tasks)
    outcome: dict[Hashable, bool | None] = {}
    pending = sorted(tasks, key=lambda key: -priority[key])
    running: dict[Future, Hashable] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        try:
            while pending or running:
                for key in list(pending):
                    task = tasks[key]
                    if len(running) >= workers or any(need not in outcome for need in task.needs):
                        continue
                    pending.remove(key)
                    if any(outcome[need] is not True for need in task.must_succeed):
                        outcome[key] = None
                        continue
                    running[pool.submit(task.action)] = key
                if not running:
                    if pending:  # needs that can never finish: a cycle
                        raise ValueError(f"cannot order {pending}")
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome[running.pop(future)] = future.result()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            interrupt()
            raise
    return outcome


class StepTimes:
    """How long each step took in the last run (`step-seconds.json` in the run's directory), so
    the next one starts its critical path first; a first run guesses by kind of step."""

    GUESS = {"apply": 30.0, "replan": 10.0, "destroy": 15.0}

    def __init__(self, path: Path):
        self.path = path
        try:
            self.seconds: dict[str, float] = json.loads(path.read_text())
        except (OSError, ValueError):
            self.seconds = {}

    def expected(self, kind: str, workspace: str) -> float:
        return self.seconds.get(f"{kind} {workspace}", self.GUESS.get(kind, 1.0))

    def save(self, runs: dict[str, "WorkspaceRun"]) -> None:
        kinds = {"apply": ("init", "plan", "apply"), "replan": ("replan",), "destroy": ("destroy",)}
        for name, run in runs.items():
            for kind, steps in kinds.items():
                if all(step in run.steps for step in steps):
                    self.seconds[f"{kind} {name}"] = round(sum(run.steps[step].seconds for step in steps), 1)
        self.path.write_text(json.dumps(self.seconds, indent=1, sort_keys=True))


def readers_of(reads: dict[str, set[str]], name: str) -> set[str]:
    return {reader for reader, sources in reads.items() if name in sources}


def with_dependencies(specs, wanted: Iterable[str]) -> list:
    """The specs named, plus every workspace they read (transitively), in deploy order."""
    by_name = {spec.name: spec for spec in specs}
    unknown = set(wanted) - set(by_name)
    if unknown:
        raise ValueError(f"no workspace named {', '.join(sorted(unknown))} (workspaces: {', '.join(by_name)})")
    chosen: set[str] = set()

    def add(name: str) -> None:
        if name not in chosen:
            chosen.add(name)
            for dependency in by_name[name].reads:
                add(dependency)

    for name in wanted:
        add(name)
    chosen.add("bootstrap")
    return [spec for spec in specs if spec.name in chosen]


# ------------------------------------------------------------------------------ leftovers

def _pages(client, method: str, key: str, **kwargs) -> list:
    if client.can_paginate(method):
        return [item for page in client.get_paginator(method).paginate(**kwargs) for item in page.get(key, [])]
    return getattr(client, method)(**kwargs).get(key, [])


def _default_vpcs(ec2) -> set[str]:
    return {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault")}


def _kms_keys(kms) -> list[str]:
    keys = []
    for key in _pages(kms, "list_keys", "Keys"):
        meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if meta.get("KeyManager") == "CUSTOMER" and meta["KeyState"] not in ("PendingDeletion", "PendingReplicaDeletion"):
            keys.append(meta["Arn"])
    return keys


# (what, boto3 service, lister returning identifiers of things that exist). The emulator's own
# defaults (default VPC and its parts, AWS managed policies) are left out.
INVENTORY: list[tuple[str, str, Callable]] = [
    ("s3 bucket", "s3", lambda c: [b["Name"] for b in c.list_buckets()["Buckets"]]),
    ("vpc", "ec2", lambda c: [v["VpcId"] for v in c.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]),
    ("subnet", "ec2", lambda c: [s["SubnetId"] for s in c.describe_subnets()["Subnets"] if s["VpcId"] not in _default_vpcs(c)]),
    ("security group", "ec2", lambda c: [g["GroupId"] for g in c.describe_security_groups()["SecurityGroups"]
                                         if g["VpcId"] not in _default_vpcs(c)]),
    ("internet gateway", "ec2", lambda c: [g["InternetGatewayId"] for g in c.describe_internet_gateways()["InternetGateways"]
                                           if not {a["VpcId"] for a in g.get("Attachments", [])} & _default_vpcs(c)]),
    ("nat gateway", "ec2", lambda c: [g["NatGatewayId"] for g in c.describe_nat_gateways()["NatGateways"]
                                      if g["State"] not in ("deleted", "deleting")]),
    ("elastic ip", "ec2", lambda c: [a["AllocationId"] for a in c.describe_addresses()["Addresses"]]),
    ("vpc endpoint", "ec2", lambda c: [e["VpcEndpointId"] for e in c.describe_vpc_endpoints()["VpcEndpoints"]
                                       if e["State"].lower() not in ("deleted", "deleting")]),
    ("flow log", "ec2", lambda c: [f["FlowLogId"] for f in c.describe_flow_logs()["FlowLogs"]]),
    ("kms key", "kms", _kms_keys),
    ("kms alias", "kms", lambda c: [a["AliasName"] for a in _pages(c, "list_aliases", "Aliases")
                                    if not a["AliasName"].startswith("alias/aws/")]),
    ("iam role", "iam", lambda c: [r["RoleName"] for r in _pages(c, "list_roles", "Roles")
                                   if not r["Path"].startswith("/aws-service-role/")]),
    ("iam policy", "iam", lambda c: [p["Arn"] for p in _pages(c, "list_policies", "Policies", Scope="Local")]),
    ("log group", "logs", lambda c: [g["logGroupName"] for g in _pages(c, "describe_log_groups", "logGroups")]),
    ("alarm", "cloudwatch", lambda c: [a["AlarmName"] for a in _pages(c, "describe_alarms", "MetricAlarms")]),
    ("dashboard", "cloudwatch", lambda c: [d["DashboardName"] for d in _pages(c, "list_dashboards", "DashboardEntries")]),
    ("event rule", "events", lambda c: [r["Name"] for r in c.list_rules()["Rules"]]),
    ("sns topic", "sns", lambda c: [t["TopicArn"] for t in _pages(c, "list_topics", "Topics")]),
    ("ssm parameter", "ssm", lambda c: [p["Name"] for p in _pages(c, "describe_parameters", "Parameters")]),
    ("secret", "secretsmanager", lambda c: [s["Name"] for s in _pages(c, "list_secrets", "SecretList")]),
    ("ecs cluster", "ecs", lambda c: [x["clusterArn"] for x in c.describe_clusters(clusters=c.list_clusters()["clusterArns"])["clusters"]
                                      if x["status"] == "ACTIVE"] if c.list_clusters()["clusterArns"] else []),
    ("ecs task definition", "ecs", lambda c: _pages(c, "list_task_definitions", "taskDefinitionArns", status="ACTIVE")),
    ("ecr repository", "ecr", lambda c: [r["repositoryName"] for r in _pages(c, "describe_repositories", "repositories")]),
    ("load balancer", "elbv2", lambda c: [lb["LoadBalancerName"] for lb in _pages(c, "describe_load_balancers", "LoadBalancers")]),
    ("target group", "elbv2", lambda c: [t["TargetGroupName"] for t in _pages(c, "describe_target_groups", "TargetGroups")]),
    ("db cluster", "rds", lambda c: [x["DBClusterIdentifier"] for x in _pages(c, "describe_db_clusters", "DBClusters")]),
    ("db instance", "rds", lambda c: [x["DBInstanceIdentifier"] for x in _pages(c, "describe_db_instances", "DBInstances")]),
    ("db proxy", "rds", lambda c: [x["DBProxyName"] for x in _pages(c, "describe_db_proxies", "DBProxies")]),
    ("db subnet group", "rds", lambda c: [x["DBSubnetGroupName"] for x in _pages(c, "describe_db_subnet_groups", "DBSubnetGroups")]),
    ("hosted zone", "route53", lambda c: [z["Name"] for z in _pages(c, "list_hosted_zones", "HostedZones")]),
    ("certificate", "acm", lambda c: [x["CertificateArn"] for x in _pages(c, "list_certificates", "CertificateSummaryList")]),
    ("user pool", "cognito-idp", lambda c: [p["Name"] for p in c.list_user_pools(MaxResults=60)["UserPools"]]),
    ("identity pool", "cognito-identity", lambda c: [p["IdentityPoolName"] for p in c.list_identity_pools(MaxResults=60)["IdentityPools"]]),
    ("web acl", "wafv2", lambda c: [a["Name"] for scope in ("REGIONAL", "CLOUDFRONT") for a in c.list_web_acls(Scope=scope)["WebACLs"]]),
    ("cloudfront distribution", "cloudfront", lambda c: [d["Id"] for d in c.list_distributions()["DistributionList"].get("Items", [])]),
    ("cloud map namespace", "servicediscovery", lambda c: [n["Name"] for n in _pages(c, "list_namespaces", "Namespaces")]),
    ("cloud map service", "servicediscovery", lambda c: [s["Name"] for s in _pages(c, "list_services", "Services")]),
    ("codebuild project", "codebuild", lambda c: c.list_projects()["projects"]),
    ("resource group", "resource-groups", lambda c: [g["GroupName"] for g in c.list_groups()["GroupIdentifiers"]]),
]


def inventory(emulator_server: "emulator.Emulator") -> tuple[list[tuple[str, str]], list[str]]:
    """([(what, identifier)] of everything listed, [what could not be listed and why])."""
    found, unlisted = [], []
    clients: dict[str, object] = {}
    for what, service, lister in INVENTORY:
        client = clients.setdefault(service, emulator_server.client(service))
        try:
            found += [(what, str(identifier)) for identifier in lister(client)]
        except Exception as error:  # an API the emulator lacks: say so, do not stop the check
            unlisted.append(f"{what}: {type(error).__name__}")
    return found, unlisted


def local_state(stack_dir: Path) -> dict:
    """bootstrap's state: it keeps it on local disk (the bucket it makes cannot hold it)."""
    state_file = stack_dir / "terraform.tfstate"
    return json.loads(state_file.read_text()) if state_file.exists() else {}


def bootstrap_identifiers(stack_dir: Path) -> set[str]:
    """Every id, name and ARN in bootstrap's local state: its resources are kept until last."""
    values = set()
    for resource in local_state(stack_dir).get("resources", []):
        for instance in resource.get("instances", []):
            attributes = instance.get("attributes", {})
            values.update(str(attributes[k]) for k in ("id", "arn", "name", "bucket", "key_id") if attributes.get(k))
    return values


def empty_bucket(emulator_server: "emulator.Emulator", bucket: str) -> int:
    """Delete every version of every object, listing from the start again after each page (moto
    loses its place in a listing whose earlier page was deleted: a paginated run emptied only the
    first 1000 of the state bucket's access logs); returns how many there were."""
    s3 = emulator_server.client("s3")
    deleted = 0
    while True:
        page = s3.list_object_versions(Bucket=bucket)
        items = [{"Key": item["Key"], "VersionId": item["VersionId"]}
                 for item in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if not items:
            return deleted
        s3.delete_objects(Bucket=bucket, Delete={"Objects": items, "Quiet": True})
        deleted += len(items)


def workspace_state(emulator_server: "emulator.Emulator", stack: dict) -> dict:
    """A workspace's Terraform state, read from the emulator's state bucket."""
    location = state_object(stack)
    body = emulator_server.client("s3").get_object(Bucket=location.bucket, Key=location.key)["Body"].read()
    return json.loads(body)


def managed(state: dict, resource_type: str) -> list[dict]:
    return [instance["attributes"] for resource in state.get("resources", [])
            if resource["type"] == resource_type and resource.get("mode") == "managed"
            for instance in resource.get("instances", [])]


def prepare_destroy(emulator_server: "emulator.Emulator", stack: dict, state: dict | None = None) -> str:
    """Do what an operator retiring the workspace does first; returns what was done.

    The platform guards its data: buckets that hold what the services wrote (access logs) are
    not force_destroy, and databases have deletion protection, so a plain `terraform destroy`
    stops at BucketNotEmpty or a protected cluster, on AWS as here. So: stop access logging,
    empty the buckets, lift deletion protection.
    """
    try:
        state = workspace_state(emulator_server, stack) if state is None else state
    except Exception as error:  # no state to read: the apply failed before writing one
        return f"not prepared ({type(error).__name__})"
    done = []
    s3 = emulator_server.client("s3")
    # Access logging first: each request the destroy makes to a logged bucket writes a log object.
    for logging in managed(state, "aws_s3_bucket_logging"):
        s3.put_bucket_logging(Bucket=logging["bucket"], BucketLoggingStatus={})
    for bucket in managed(state, "aws_s3_bucket"):
        count = empty_bucket(emulator_server, bucket["bucket"])
        if count:
            done.append(f"emptied {bucket['bucket']} ({count} objects)")
    for cluster in managed(state, "aws_rds_cluster"):
        if cluster.get("deletion_protection"):
            emulator_server.client("rds").modify_db_cluster(
                DBClusterIdentifier=cluster["cluster_identifier"], DeletionProtection=False, ApplyImmediately=True)
            done.append(f"deletion protection off for {cluster['cluster_identifier']}")
    for balancer in managed(state, "aws_lb"):
        if balancer.get("enable_deletion_protection"):
            emulator_server.client("elbv2").modify_load_balancer_attributes(
                LoadBalancerArn=balancer["arn"], Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])
            done.append(f"deletion protection off for {balancer['name']}")
    return "; ".join(done)


# ----------------------------------------------------------------------------------- run

@dataclass
class E2EResult:
    runs: dict[str, WorkspaceRun]
    leftovers: list[tuple[str, str]]
    unlisted: list[str]
    switched_off: list[str]
    report: tuple[Path, Path] | None
    seconds: float
    requests: emulator.RequestCounts | None = None

    @property
    def ok(self) -> bool:
        return not self.leftovers and all(run.failure() is None for run in self.runs.values())


class Progress:
    """One line per workspace and step, safe from the worker threads."""

    def __init__(self, out=print):
        self.started = time.perf_counter()
        self.lock = threading.Lock()
        self.out = out

    def __call__(self, result: StepResult | str) -> None:
        if isinstance(result, str):
            line = result
        else:
            status = "ok" if result.ok else "FAILED"
            line = (f"{time.perf_counter() - self.started:7.1f}s  {result.workspace:<26} {result.step:<8} "
                    f"{status:<6} {result.seconds:6.1f} s  {result.summary}").rstrip()
        with self.lock:
            self.out(line)


WhileApplied = Callable[[StackRunner, "emulator.Emulator"], None]
# What the other workspaces need of bootstrap is a bucket to keep their state in. The provider
# then spends a minute confirming the bucket's lifecycle rules, which nobody reads.
NOT_WAITED_FOR = {"aws_s3_bucket_lifecycle_configuration"}


class StateBucketWatch:
    """Follows bootstrap's apply (`-json` lines): `ready` is set once everything but its lifecycle
    rules is applied (the state bucket and its settings), or when the apply ends."""

    def __init__(self, stack: dict):
        self.waiting = sum(len(bodies) for kind, bodies in stack.get("resource", {}).items() if kind not in NOT_WAITED_FOR)
        self.ready = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, line: str) -> None:
        if '"apply_complete"' not in line:
            return
        if json.loads(line)["hook"]["resource"]["resource_type"] in NOT_WAITED_FOR:
            return
        with self.lock:
            self.waiting -= 1
            if self.waiting <= 0:
                self.ready.set()


def run_workspaces(runner: StackRunner, specs, progress: Progress, *, workers: int, server: "emulator.Emulator",
                   while_applied: WhileApplied | None = None,
                   times: StepTimes | None = None) -> tuple[dict[str, WorkspaceRun], list, list]:
    """Apply, re-plan, destroy; returns (runs, leftovers, what could not be listed).

    `while_applied(runner, server)`, if given, runs once everything is applied and re-planned,
    before the first destroy (the tests plan and check drift against the applied platform)."""
    runs = {spec.name: WorkspaceRun(spec.name) for spec in specs}
    reads = {spec.name: set(spec.reads) for spec in specs}
    names = [spec.name for spec in specs]
    reads["bootstrap"] = set()
    for name in names:   # every workspace keeps its state in the bucket bootstrap creates
        if name != "bootstrap":
            reads[name].add("bootstrap")

    def record(run: WorkspaceRun, result: StepResult) -> bool:
        run.steps[result.step] = result
        progress(result)
        return result.ok

    watch = StateBucketWatch(runner.stack("bootstrap"))
    # With one worker there is no second slot to start in while bootstrap finishes: it just applies.
    start_early = workers > 1

    def deploy(name: str) -> bool:
        run = runs[name]
        try:
            if not (record(run, runner.init(name)) and record(run, runner.plan(name, PLAN_FILE)[0])):
                return False
            applied = record(run, runner.apply(name, run, on_line=watch if name == "bootstrap" and start_early else None))
            if not applied:   # the report shows what it meant to do
                run.plan = runner.show(name, PLAN_FILE)
            return applied
        finally:
            if name == "bootstrap":
                watch.ready.set()   # whatever happened, nobody waits any longer

    def state_bucket_ready() -> bool:
        watch.ready.wait()
        if watch.waiting > 0:   # bootstrap's apply ended before the bucket was complete
            return runs["bootstrap"].ok("apply")
        progress("state bucket ready: the other workspaces start while bootstrap confirms its lifecycle rules")
        return True

    def replan(name: str) -> bool:
        return record(runs[name], runner.replan(name, runs[name]))

    def destroy(name: str) -> bool:
        if "apply" not in runs[name].steps:   # skipped or stopped before applying: nothing to destroy
            return True
        # bootstrap last: the state bucket and its access-log bucket, emptied like any other's.
        prepared = prepare_destroy(server, runner.stack(name),
                                   local_state(runner.stacks_dir / name) if name == "bootstrap" else None)
        result = runner.destroy(name)
        result.summary = "; ".join(filter(None, [prepared, result.summary]))
        return record(runs[name], result)

    def checkpoint() -> bool:
        if while_applied is not None:
            progress("everything applied and re-planned: running the checks that need it")
            while_applied(runner, server)
        return True

    def needed_apply(source: str) -> tuple[str, str]:
        return ("state bucket", "") if source == "bootstrap" and start_early else ("apply", source)

    times = times or StepTimes(runner.stacks_dir.parent / "step-seconds.json")
    tasks: dict = {}
    if start_early:   # waits in a worker of its own for bootstrap's apply to get that far
        tasks["state bucket", ""] = Task(state_bucket_ready, seconds=times.expected("state bucket", ""))
    for name in names:
        needs = {needed_apply(source) for source in reads[name]}
        tasks["apply", name] = Task(lambda name=name: deploy(name), needs=needs, must_succeed=needs,
                                    seconds=times.expected("apply", name))
        # After the workspaces that read it have applied: none of them may change what it owns.
        tasks["replan", name] = Task(lambda name=name: replan(name),
                                     needs={("apply", name)} | {("apply", r) for r in readers_of(reads, name)},
                                     must_succeed={("apply", name)}, seconds=times.expected("replan", name))
    barrier: set = set()
    if while_applied is not None:
        barrier = {("checkpoint", "")}
        tasks["checkpoint", ""] = Task(checkpoint, needs={("replan", name) for name in names})
    for name in names:
        if name != "bootstrap":   # last, once the state bucket is emptied (below)
            tasks["destroy", name] = Task(lambda name=name: destroy(name),
                                          needs={("apply", name), ("replan", name), *barrier}
                                          | {("destroy", reader) for reader in readers_of(reads, name)},
                                          seconds=times.expected("destroy", name))
    outcome = run_tasks(tasks, workers=workers, interrupt=runner.interrupt)
    times.save(runs)
    for name in names:
        if outcome["apply", name] is None:
            failed = sorted(n for n in reads[name] if not runs[n].ok("apply"))
            record(runs[name], StepResult(name, "skipped", False, 0.0, f"not run: {', '.join(failed)} did not apply"))
    keep = bootstrap_identifiers(runner.stacks_dir / "bootstrap")
    found, unlisted = inventory(server)
    leftovers = [(what, ident) for what, ident in found if ident not in keep]
    if "apply" in runs["bootstrap"].steps:
        destroy("bootstrap")
        found, unlisted = inventory(server)
        leftovers = sorted(set(leftovers) | set(found))
    return runs, leftovers, unlisted


@contextmanager
def emulator_target(url: str):
    """APP_DW_TARGET=emulator for the block: load_platform and the synth cache key both see it."""
    saved = {name: os.environ.get(name) for name in ("APP_DW_TARGET", "APP_DW_EMULATOR_URL")}
    os.environ.update(APP_DW_TARGET="emulator", APP_DW_EMULATOR_URL=url)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def synthesize_for_emulator(platform: Platform, url: str, outdir: Path):
    """(synth result, emulator flags the constructs asked for) with the emulator target at url."""
    from toolkit.definition import load_platform
    from toolkit.synth import synthesize

    with emulator_target(url):
        target = load_platform(platform.source, platform.environment)
        # Never the cache: the flags are recorded while the constructs are built.
        result = synthesize(target, outdir, use_cache=False)
    return result, sorted(target.emulator_switched_off)


def run_e2e(platform: Platform, outdir: Path, *, workspaces: list[str] | None = None, workers: int = DEFAULT_WORKERS,
            step_timeout: float = 900, progress: Progress | None = None,
            while_applied: WhileApplied | None = None) -> E2EResult:
    """The whole run; `platform` is the plain definition (the emulator target is set here)."""
    progress = progress or Progress()
    started = time.perf_counter()
    shutil.rmtree(outdir / "stacks", ignore_errors=True)  # bootstrap's local state of an old emulator
    shutil.rmtree(outdir / "logs", ignore_errors=True)
    with emulator.Emulator(outdir / "emulator.log") as server:
        progress(f"emulator: moto_server on {server.url}")
        result, switched_off = synthesize_for_emulator(platform, server.url, outdir)
        specs = result.workspaces(platform)  # in deploy order, with what each one read
        if workspaces:
            specs = with_dependencies(specs, workspaces)
        progress(f"synthesized {len(result.stacks)} workspaces for the emulator in {result.seconds:.1f} s "
                 f"-> {outdir}/stacks; running {len(specs)}, {workers} steps at a time: {', '.join(s.name for s in specs)}")
        print_switched_off(switched_off, progress)
        server.client("s3")  # fail early if boto3 cannot reach the emulator
        runner = StackRunner(outdir / "stacks", server.url, step_timeout=step_timeout)
        runs, leftovers, unlisted = run_workspaces(runner, specs, progress, workers=workers, server=server,
                                                   while_applied=while_applied)
    prices = load_prices()
    plans = [review(run.name, run.plan, platform, prices) if run.plan is not None
             else plan_report.WorkspacePlan(run.name, error=(run.failure().summary if run.failure() else "not planned"))
             for run in runs.values()]
    report = plan_report.write_report(plans, f"Plan review: {platform.environment}, {len(plans)} workspaces "
                                             f"(applied to the emulator)", outdir)
    return E2EResult(runs, leftovers, unlisted, switched_off, report, time.perf_counter() - started,
                     emulator.request_counts(server.log_path))


def print_switched_off(flags: list[str], out: Callable[[str], None]) -> None:
    if not flags:
        out("switched off for the emulator: nothing")
        return
    rows = [[flag, emulator.EMULATOR_LIMITS[flag].service, emulator.EMULATOR_LIMITS[flag].reason] for flag in flags]
    out("switched off for the emulator (toolkit/emulator.py EMULATOR_LIMITS):\n"
        + table(["flag", "service", "why"], rows))


def summary_rows(result: E2EResult) -> list[list[object]]:
    rows = []
    for run in result.runs.values():
        failure = run.failure()
        seconds = {step: run.steps[step].seconds if step in run.steps else None for step in ("apply", "destroy")}
        changes = run.steps["plan"].summary if run.ok("plan") else None
        status = "ok" if failure is None else "skipped" if failure.step == "skipped" else f"{failure.step} failed"
        error = failure.summary if failure else ""
        rows.append([run.name, changes, seconds["apply"], seconds["destroy"], status, run.slowest,
                     error if len(error) <= ERROR_COLUMN else error[:ERROR_COLUMN - 3] + "..."])
    return rows


def print_result(result: E2EResult, out=print) -> None:
    out("")
    out(table(["workspace", "plan", "apply s", "destroy s", "result", "slowest resource", "error"], summary_rows(result)))
    failed = [run for run in result.runs.values() if run.failure()]
    if failed:
        out("\nfailures:")
        for run in failed:
            failure = run.failure()
            out(f"  {run.name} {failure.step}: {failure.summary}" + (f"\n    log: {failure.log}" if failure.log else ""))
    if result.leftovers:
        out("\nleft in the emulator after destroy:\n" + table(["what", "identifier"], result.leftovers))
    if result.unlisted:
        out("\nnot checked (the emulator cannot list them): " + ", ".join(result.unlisted))
    if result.report:
        out(f"\nplan review report: {result.report[0]} and {result.report[1].name}")
    if result.requests:
        out(str(result.requests))
    total = {step: sum(r.steps[step].seconds for r in result.runs.values() if step in r.steps) for step in ("apply", "destroy")}
    out(f"{len(result.runs) - len(failed)}/{len(result.runs)} workspaces applied, re-planned clean and destroyed; "
        f"{len(result.leftovers)} leftovers; apply {total['apply']:.0f} s, destroy {total['destroy']:.0f} s, "
        f"wall {result.seconds:.0f} s")


def e2e_command(environment: str | None, workspaces: list[str], *, workers: int, step_timeout: float,
                outdir: Path = DEFAULT_OUTDIR) -> int:
    from toolkit.definition import load_platform

    os.environ.pop("APP_DW_TARGET", None)  # the run sets the emulator target itself
    platform = load_platform(environment=environment)

    def interrupted(signum, frame):  # `kill` of the run stops the emulator too (the with block's exit)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        result = run_e2e(platform, outdir, workspaces=workspaces or None, workers=workers, step_timeout=step_timeout)
    except emulator.EmulatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: the emulator is stopped, and everything applied to it is gone with it", file=sys.stderr)
        return 130
    print_result(result)
    return 0 if result.ok else 1
