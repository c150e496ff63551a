"""`python -m toolkit e2e`: apply, re-plan and destroy the platform against the local emulator.

Proves the rendered Terraform applies, wires across workspaces through real S3 remote state,
re-plans clean and destroys, with no AWS account:

1. start moto_server on 127.0.0.1 and synthesize with the emulator target (toolkit/emulator.py);
2. bootstrap (local state) creates the state bucket; then every workspace, as soon as the
   workspaces it reads are applied: init, plan to a saved file, apply that file;
3. a second plan of every applied workspace must show no changes;
4. destroy in reverse order, check the emulator holds nothing the platform made, then empty
   the state bucket, destroy bootstrap and check again;
5. the plan review report (toolkit/plan_report.py) and a table of timings.

A failing step is reported with Terraform's first error lines; the run goes on with what does
not depend on it, destroys whatever was applied and exits non-zero.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from toolkit import emulator, plan_report
from toolkit.definition import REPO_ROOT, Platform
from toolkit.report import table
from toolkit.terraform import terraform_binary, terraform_env

DEFAULT_OUTDIR = REPO_ROOT / "cdktf.out-e2e"
PLAN_FILE = "e2e.tfplan"
REPLAN_FILE = "e2e-replan.tfplan"
ERROR_LINES = 3
ERROR_COLUMN = 100   # characters of the error shown in the table; the full text follows it


@dataclass
class StepResult:
    workspace: str
    step: str
    ok: bool
    seconds: float
    summary: str = ""          # the translated error, or what the step did ("+12 ~0 -0")
    log: Path | None = None


@dataclass
class WorkspaceRun:
    name: str
    steps: dict[str, StepResult] = field(default_factory=dict)
    plan: dict | None = None   # `terraform show -json` of the saved plan
    slowest: str = ""          # the resource that took longest to create

    def ok(self, step: str) -> bool:
        return step in self.steps and self.steps[step].ok

    def failure(self) -> StepResult | None:
        return next((result for result in self.steps.values() if not result.ok), None)


# ---------------------------------------------------------------------------- error messages

def diagnostics(output: str) -> list[dict]:
    """Error diagnostics from Terraform's output: `-json` lines, else the text `Error:` blocks."""
    found = []
    for line in output.splitlines():
        if line.startswith("{"):
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            if message.get("type") == "diagnostic" and message["diagnostic"].get("severity") == "error":
                found.append(message["diagnostic"])
    if found:
        return found
    blocks = re.split(r"^(?:│ )?Error: ", output, flags=re.MULTILINE)[1:]
    for block in blocks:
        lines = [line.removeprefix("│").strip() for line in block.splitlines()]
        address = next((m.group(1) for line in lines if (m := re.match(r"with (\S+),$", line))), "")
        detail = [line for line in lines[1:] if line and not line.startswith(("with ", "on ")) and not re.match(r"^\d+:", line)]
        found.append({"summary": lines[0], "detail": "\n".join(detail), "address": address})
    return found


def tidy(message: str) -> str:
    """An AWS SDK error without its request IDs: the words that say what went wrong."""
    message = re.sub(r"https response error StatusCode: \d+, RequestID: [^,]*, (HostID: [^,]*, )?", "", message)
    return re.sub(r"\s+", " ", message).strip()


def remote_state_workspaces(stack: dict) -> dict[str, str]:
    """{data source address: workspace whose state it reads} of a synthesized stack."""
    return {f"data.terraform_remote_state.{logical}": body["config"]["key"].split("/")[1]
            for logical, body in stack.get("data", {}).get("terraform_remote_state", {}).items()}


def lock_holder(detail: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*(ID|Path|Operation|Who|Created):\s*(.*)$", detail, flags=re.MULTILINE))


def explain(workspace: str, output: str, stack: dict, state_bucket: str) -> str:
    """Terraform's errors as a message that says what to do; unknown errors as their first lines."""
    found = diagnostics(output)
    if not found:
        lines = [line for line in output.strip().splitlines() if line.strip()]
        return " / ".join(lines[-ERROR_LINES:]) or "failed without output"
    reads = remote_state_workspaces(stack)
    messages = []
    for diagnostic in found:
        summary, detail = diagnostic.get("summary", ""), diagnostic.get("detail", "")
        address = diagnostic.get("address", "")
        text = f"{summary} {detail}"
        if address in reads and ("Unable to find remote state" in text or "NoSuchKey" in text
                                 or "No stored state was found" in text):
            source = reads[address]
            messages.append(f"{workspace} reads the outputs of {source}, which has no state yet "
                            f"(s3://{state_bucket}/{stack['data']['terraform_remote_state'][address.split('.')[-1]]['config']['key']}): "
                            f"apply {source} first")
        elif "Error acquiring the state lock" in summary:
            holder = lock_holder(detail)
            messages.append(f"the state of {workspace} is locked by another run ({holder.get('Operation', '?')} by "
                            f"{holder.get('Who', '?')} since {holder.get('Created', '?')}, lock ID {holder.get('ID', '?')}): "
                            f"wait for it to finish (or retry with a lock timeout); if it died, "
                            f"`terraform force-unlock {holder.get('ID', '<ID>')}`")
        elif "NoSuchBucket" in text or re.search(r"bucket\b.*\bdoes not exist", text, flags=re.IGNORECASE):
            messages.append(f"the state bucket {state_bucket} does not exist: apply bootstrap first")
        else:
            first = " ".join(line.strip() for line in detail.splitlines()[:ERROR_LINES] if line.strip())
            messages.append(tidy(f"{summary}" + (f" [{address}]" if address else "") + (f": {first}" if first else "")))
    return "; ".join(dict.fromkeys(messages))


# ------------------------------------------------------------------------------ terraform

class StackRunner:
    """Runs Terraform in the synthesized workspaces against the emulator, one log per step."""

    def __init__(self, stacks_dir: Path, emulator_url: str, state_bucket: str, *, step_timeout: float = 900):
        self.stacks_dir = stacks_dir
        self.state_bucket = state_bucket
        self.step_timeout = step_timeout
        self.logs = stacks_dir.parent / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = emulator_environment(emulator_url, stacks_dir.parent / "terraformrc")
        self.binary = terraform_binary()
        self.running: set[subprocess.Popen] = set()

    def interrupt(self) -> None:
        """Ctrl-C for every Terraform still running: each stops cleanly and releases its lock."""
        for process in list(self.running):
            process.send_signal(signal.SIGINT)

    def stack(self, workspace: str) -> dict:
        return json.loads((self.stacks_dir / workspace / "cdk.tf.json").read_text())

    def terraform(self, workspace: str, step: str, args: list[str]) -> tuple[int, str, float]:
        """(exit code, output, seconds); a step over the timeout is interrupted as Ctrl-C would."""
        started = time.perf_counter()
        process = subprocess.Popen([self.binary, *args], cwd=self.stacks_dir / workspace, env=self.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.running.add(process)
        try:
            output, _ = process.communicate(timeout=self.step_timeout)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGINT)  # Terraform stops cleanly and releases the state lock
            try:
                output, _ = process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
            output += f"\nError: timed out after {self.step_timeout:.0f} s\n"
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            self.running.discard(process)
        (self.logs / f"{workspace}.{step}.log").write_text(output)
        return process.returncode, output, time.perf_counter() - started

    def step(self, workspace: str, step: str, args: list[str], ok_codes: Iterable[int] = (0,)) -> tuple[StepResult, str, int]:
        code, output, seconds = self.terraform(workspace, step, args)
        ok = code in tuple(ok_codes)
        summary = "" if ok else explain(workspace, output, self.stack(workspace), self.state_bucket)
        return StepResult(workspace, step, ok, seconds, summary, self.logs / f"{workspace}.{step}.log"), output, code

    def init(self, workspace: str) -> StepResult:
        # -reconfigure: every run has a new emulator port, so the backend settings always differ.
        return self.step(workspace, "init", ["init", "-input=false", "-no-color", "-reconfigure"])[0]

    def plan(self, workspace: str, run: WorkspaceRun | None = None) -> StepResult:
        result, output, _ = self.step(workspace, "plan", ["plan", "-input=false", "-json", f"-out={PLAN_FILE}"])
        if result.ok:
            result.summary = change_summary(output)
            if run is not None:
                run.plan = self.show(workspace, PLAN_FILE)
        return result

    def show(self, workspace: str, plan_file: str) -> dict:
        code, output, _ = self.terraform(workspace, "show", ["show", "-json", plan_file])
        return json.loads(output) if code == 0 else {}

    def apply(self, workspace: str, run: WorkspaceRun | None = None, lock_timeout: str = "0s") -> StepResult:
        result, output, _ = self.step(workspace, "apply", ["apply", "-input=false", "-json",
                                                           f"-lock-timeout={lock_timeout}", PLAN_FILE])
        if run is not None:
            run.slowest = slowest_resource(output)
        return result

    def replan(self, workspace: str) -> StepResult:
        """A second plan; ok when it has no changes but the documented emulator quirks."""
        result, output, code = self.step(workspace, "replan", ["plan", "-input=false", "-json", "-detailed-exitcode",
                                                               f"-out={REPLAN_FILE}"], ok_codes=(0, 2))
        if code != 2:
            return result
        drift, tolerated = unexpected_changes(self.show(workspace, REPLAN_FILE))
        result.ok = not drift
        result.summary = ("changes: " + "; ".join(drift)) if drift else "tolerated emulator quirks: " + by_type(tolerated)
        return result

    def destroy(self, workspace: str) -> StepResult:
        return self.step(workspace, "destroy", ["destroy", "-input=false", "-json", "-auto-approve"])[0]


def emulator_environment(url: str, cli_config: Path) -> dict[str, str]:
    """Terraform's environment: the provider mirror, fake keys, and every AWS SDK call routed to
    the emulator (AWS_ENDPOINT_URL catches a service the endpoints block would have missed)."""
    env = terraform_env()
    if "TF_CLI_CONFIG_FILE" in env:
        # A copy of our own: the shared one under .cache is rewritten by other runs (and tests) meanwhile.
        shutil.copyfile(env["TF_CLI_CONFIG_FILE"], cli_config)
        env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        env.pop(name, None)
    env.update(AWS_ACCESS_KEY_ID=emulator.FAKE_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=emulator.FAKE_SECRET_KEY,
               AWS_ENDPOINT_URL=url, AWS_EC2_METADATA_DISABLED="true", AWS_REGION="us-east-1")
    return env


def change_summary(output: str) -> str:
    for line in output.splitlines():
        if '"change_summary"' in line:
            changes = json.loads(line)["changes"]
            return f"+{changes['add']} ~{changes['change']} -{changes['remove']}"
    return ""


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

def run_graph(names: list[str], needs: dict[str, set[str]], action: Callable[[str], bool], *, workers: int,
              need_success: bool, interrupt: Callable[[], None] = lambda: None) -> dict[str, bool | None]:
    """Run action(name) once all its needs have run (and, with need_success, succeeded), up to
    `workers` at a time. Result per name: True/False, or None when skipped for a failed need.
    On Ctrl-C or an error, `interrupt` stops the running actions before the pool waits for them."""
    outcome: dict[str, bool | None] = {}
    pending = list(names)
    running: dict[Future, str] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            _schedule(names, needs, action, need_success, pool, outcome, pending, running)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            interrupt()
            raise
    return outcome


def _schedule(names, needs, action, need_success, pool, outcome, pending, running) -> None:
    while pending or running:
        for name in list(pending):
            waiting = [n for n in needs.get(name, ()) if n in names and n not in outcome]
            if waiting:
                continue
            pending.remove(name)
            if need_success and any(outcome.get(n) is not True for n in needs.get(name, ()) if n in names):
                outcome[name] = None
                continue
            running[pool.submit(action, name)] = name
        if not running:
            if pending:  # needs that can never finish: a cycle the registry would have refused
                raise ValueError(f"cannot order {pending}")
            return
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            outcome[running.pop(future)] = future.result()


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
    backend = stack["terraform"]["backend"]["s3"]
    body = emulator_server.client("s3").get_object(Bucket=backend["bucket"], Key=backend["key"])["Body"].read()
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


def run_workspaces(runner: StackRunner, specs, progress: Progress, *, workers: int,
                   server: "emulator.Emulator") -> tuple[dict[str, WorkspaceRun], list, list]:
    """Apply, re-plan, destroy; returns (runs, leftovers, what could not be listed)."""
    runs = {spec.name: WorkspaceRun(spec.name) for spec in specs}
    reads = {spec.name: set(spec.reads) for spec in specs}
    names = [spec.name for spec in specs]

    def record(run: WorkspaceRun, result: StepResult) -> bool:
        run.steps[result.step] = result
        progress(result)
        return result.ok

    def deploy(name: str) -> bool:
        run = runs[name]
        return (record(run, runner.init(name)) and record(run, runner.plan(name, run))
                and record(run, runner.apply(name, run)))

    def replan(name: str) -> bool:
        return record(runs[name], runner.replan(name))

    def destroy(name: str) -> bool:
        # bootstrap last: the state bucket and its access-log bucket, emptied like any other's.
        prepared = prepare_destroy(server, runner.stack(name),
                                   local_state(runner.stacks_dir / name) if name == "bootstrap" else None)
        result = runner.destroy(name)
        result.summary = "; ".join(filter(None, [prepared, result.summary]))
        return record(runs[name], result)

    if not deploy("bootstrap"):
        progress("bootstrap failed: nothing else can keep its state; stopping")
    else:
        others = [n for n in names if n != "bootstrap"]
        outcome = run_graph(others, reads, deploy, workers=workers, need_success=True, interrupt=runner.interrupt)
        for name in (n for n, ok in outcome.items() if ok is None):
            failed = sorted(n for n in reads[name] if not runs[n].ok("apply"))
            record(runs[name], StepResult(name, "skipped", False, 0.0, f"not run: {', '.join(failed)} did not apply"))
        applied = [n for n in names if runs[n].ok("apply")]
        run_graph(applied, {}, replan, workers=workers, need_success=False, interrupt=runner.interrupt)
    attempted = [n for n in reversed(names) if n != "bootstrap" and "apply" in runs[n].steps]
    readers = {n: {other for other in attempted if n in reads[other]} for n in attempted}
    run_graph(attempted, readers, destroy, workers=workers, need_success=False, interrupt=runner.interrupt)
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


def run_e2e(platform: Platform, outdir: Path, *, workspaces: list[str] | None = None, workers: int = 2,
            step_timeout: float = 900, progress: Progress | None = None) -> E2EResult:
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
                 f"-> {outdir}/stacks; running {len(specs)}: {', '.join(s.name for s in specs)}")
        print_switched_off(switched_off, progress)
        server.client("s3")  # fail early if boto3 cannot reach the emulator
        runner = StackRunner(outdir / "stacks", server.url, platform.state_bucket, step_timeout=step_timeout)
        runs, leftovers, unlisted = run_workspaces(runner, specs, progress, workers=workers, server=server)
    plans = [plan_report.workspace_plan(run.name, run.plan) if run.plan is not None
             else plan_report.WorkspacePlan(run.name, error=(run.failure().summary if run.failure() else "not planned"))
             for run in runs.values()]
    report = plan_report.write_report(plans, f"Plan review: {platform.environment}, {len(plans)} workspaces "
                                             f"(applied to the emulator)", outdir)
    return E2EResult(runs, leftovers, unlisted, switched_off, report, time.perf_counter() - started)


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
