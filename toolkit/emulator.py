"""The local AWS emulator (moto_server) the e2e run applies the platform against.

Everything the emulator target needs lives here: the server's lifecycle, the services it
cannot do (`EMULATOR_LIMITS`, one flag each, asked by the construct that owns the resource
through `Platform.emulator_skips`), and the settings that point Terraform at it.
moto runs from its own virtual environment (`.venv-moto`, tools/requirements-moto.txt)
because its pins clash with the app's. It listens on 127.0.0.1 only.
"""
from __future__ import annotations

import ctypes
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from toolkit.definition import REPO_ROOT

MOTO_ENVIRONMENT = REPO_ROOT / ".venv-moto"
LOOPBACK = "127.0.0.1"
PR_SET_PDEATHSIG = 1
# The emulator accepts any key; real-looking fakes keep the SDKs from looking elsewhere.
FAKE_ACCESS_KEY = "testing"
FAKE_SECRET_KEY = "testing"
ACCOUNT_ID = "123456789012"  # the account moto answers as
SERVER_SETTINGS = {
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",  # the AWS managed policies the platform attaches exist
    "MOTO_ACM_VALIDATION_WAIT": "0",           # DNS-validated certificates issue at once, not after 60 s
}


class EmulatorError(RuntimeError):
    """The emulator is missing, did not start, or a URL points somewhere else."""


@dataclass(frozen=True)
class EmulatorLimit:
    service: str
    reason: str


# One flag per thing the emulator cannot do. A construct owning such a resource asks
# `platform.emulator_skips(flag)` and leaves the resource out only when it answers True
# (emulator target only); `python -m toolkit e2e` prints every flag that was asked.
EMULATOR_LIMITS: dict[str, EmulatorLimit] = {
    "appautoscaling": EmulatorLimit(
        "Application Auto Scaling",
        "moto does not implement ListTagsForResource, which the provider calls to read a scalable target's tags"),
    "applicationinsights": EmulatorLimit(
        "CloudWatch Application Insights", "moto has no Application Insights service"),
    "bedrock_guardrail": EmulatorLimit(
        "Bedrock guardrails", "moto's Bedrock does not implement CreateGuardrail (nor guardrail versions)"),
    "cloudfront_function_publishing": EmulatorLimit(
        "CloudFront Functions publishing",
        "moto does not implement PublishFunction; on the emulator a function is created unpublished"),
    "cloudfront_response_headers_policies": EmulatorLimit(
        "CloudFront response headers policies", "moto does not implement CreateResponseHeadersPolicy"),
    "codepipeline": EmulatorLimit(
        "CodePipeline",
        "moto answers GetPipeline with timestamps the provider cannot decode, so a pipeline can be neither "
        "read back after creation nor destroyed"),
    "codestarconnections": EmulatorLimit(
        "CodeStar Connections", "moto has no CodeStar Connections service"),
    "route53_dnssec": EmulatorLimit(
        "Route 53 DNSSEC signing", "moto does not implement CreateKeySigningKey (nor DNSSEC signing of a zone)"),
    "xray": EmulatorLimit(
        "X-Ray groups and sampling rules", "moto's X-Ray does not implement CreateGroup nor CreateSamplingRule"),
    "rds_proxy_endpoint": EmulatorLimit(
        "RDS Proxy endpoints", "moto does not implement CreateDBProxyEndpoint (the proxy itself works)"),
}


def emulator_stand_in_arn(service: str, region: str, resource: str) -> str:
    """The ARN published in place of a resource left out on the emulator, so readers still plan."""
    return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"


# Attributes the emulator answers differently from AWS, per resource type: a second plan that
# changes only these, or replaces a resource only for these, passes (and says so). Each is an emulator gap, not a construct bug, so the
# constructs carry no `ignore_changes` for them (AWS itself needs none).
EMULATOR_QUIRKS: dict[str, dict[str, str]] = {
    "aws_cloudfront_distribution": {
        "default_cache_behavior": "moto adds legacy forwarded_values to a behaviour that names a cache policy, "
                                  "and keeps no function associations",
        "ordered_cache_behavior": "moto adds legacy forwarded_values to a behaviour that names a cache policy",
        "origin": "moto keeps no origin access control ID",
        "viewer_certificate": "moto reports the CloudFront default certificate beside the ACM certificate",
    },
    "aws_codebuild_project": {
        "encryption_key": "moto ignores a project's encryption key and answers the default alias/aws/s3",
    },
    "aws_cognito_user_pool_domain": {
        "managed_login_version": "moto keeps no managed login version, so the one the domain was created with reads as 0",
    },
    "aws_ecs_service": {
        "availability_zone_rebalancing": "moto does not return the setting, so the provider's default looks new",
        "capacity_provider_strategy": "moto keeps no capacity provider strategy (it answers launch type EC2)",
        "enable_ecs_managed_tags": "moto does not keep the setting",
        "health_check_grace_period_seconds": "moto does not keep the setting",
    },
    "aws_service_discovery_service": {
        "health_check_custom_config": "moto does not return a service's custom health check configuration",
    },
    "aws_rds_cluster": {
        "scaling_configuration": "moto returns an empty Serverless v1 scaling block for a provisioned cluster",
    },
    "aws_rds_cluster_instance": {
        "performance_insights_enabled": "moto does not keep an instance's Performance Insights settings",
        "performance_insights_kms_key_id": "moto does not keep an instance's Performance Insights settings",
        "performance_insights_retention_period": "moto does not keep an instance's Performance Insights settings",
    },
}

# Services the provider calls whatever the resources: STS for the account ID at start.
ALWAYS_CALLED = ("sts",)
# Resource and data types whose provider endpoint is not the first word after "aws_",
# matched on whole words (so "route" does not match aws_route53_zone). None: no API call.
ENDPOINT_BY_PREFIX: dict[str, str | None] = {
    "alb": "elbv2", "lb": "elbv2",
    "cloudwatch_log": "logs", "cloudwatch_query_definition": "logs",
    "cloudwatch_event": "events",
    "db": "rds",
    "vpc": "ec2", "subnet": "ec2", "security_group": "ec2", "default_security_group": "ec2",
    "default_network_acl": "ec2", "default_route_table": "ec2", "route": "ec2", "route_table": "ec2",
    "main_route_table_association": "ec2", "internet_gateway": "ec2", "egress_only_internet_gateway": "ec2",
    "nat_gateway": "ec2", "eip": "ec2", "network_acl": "ec2", "network_interface": "ec2", "flow_log": "ec2",
    "availability_zones": "ec2", "prefix_list": "ec2",
    "service_discovery": "servicediscovery",
    "cognito_identity_pool": "cognitoidentity", "cognito": "cognitoidp",
    "caller_identity": "sts",
    "iam_policy_document": None, "region": None, "regions": None, "partition": None, "default_tags": None,
    "arn": None,
}


def endpoint_service(resource_type: str, known: frozenset[str]) -> str | None:
    """The provider `endpoints` key a resource or data type calls; None for local-only types."""
    words = resource_type.removeprefix("aws_").split("_")
    for length in range(len(words), 0, -1):
        prefix = "_".join(words[:length])
        if prefix in ENDPOINT_BY_PREFIX:
            return ENDPOINT_BY_PREFIX[prefix]
    if words[0] in known:
        return words[0]
    raise EmulatorError(
        f"{resource_type}: no provider endpoint is known for it, so the emulator target cannot route it; "
        f"add its prefix to ENDPOINT_BY_PREFIX in toolkit/emulator.py")


def provider_settings(url: str) -> dict:
    """AwsProvider arguments on the emulator target (the endpoints come from the resources used)."""
    return {
        "access_key": FAKE_ACCESS_KEY, "secret_key": FAKE_SECRET_KEY,
        "s3_use_path_style": True,           # the emulator has no per-bucket host names
        "skip_credentials_validation": True, "skip_metadata_api_check": "true", "skip_region_validation": True,
        # The account ID is still asked of the emulator's STS, so ARNs the provider builds look as on AWS.
        # Few retries: an API the emulator lacks answers 500, which the provider would retry for minutes.
        "max_retries": 2,
    }


def terraform_environment(url: str) -> dict[str, str]:
    """Terraform's environment on the emulator target: the project's CLI config, fake keys, and
    every AWS SDK call routed to the emulator (AWS_ENDPOINT_URL catches a service the provider's
    endpoints block would have missed); the user's own AWS settings are dropped."""
    from toolkit.terraform import terraform_env

    env = terraform_env()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        env.pop(name, None)
    env.update(AWS_ACCESS_KEY_ID=FAKE_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=FAKE_SECRET_KEY,
               AWS_ENDPOINT_URL=check_loopback(url), AWS_EC2_METADATA_DISABLED="true", AWS_REGION="us-east-1")
    return env


def state_settings(url: str) -> dict:
    """S3 backend and remote-state arguments on the emulator target."""
    return {
        "endpoints": {"s3": url}, "use_path_style": True,
        "access_key": FAKE_ACCESS_KEY, "secret_key": FAKE_SECRET_KEY,
        "skip_credentials_validation": True, "skip_requesting_account_id": True,
        "skip_metadata_api_check": True, "skip_region_validation": True,
    }


def check_loopback(url: str) -> str:
    """The URL, if it points at this machine's loopback address; the e2e never sends traffic elsewhere."""
    host = urlparse(url).hostname
    if host not in (LOOPBACK, "localhost"):
        raise EmulatorError(f"emulator URL {url!r} is not on {LOOPBACK}: the emulator target only talks to this machine")
    return url.rstrip("/")


def stop_with_parent() -> None:
    """In the child before exec: SIGTERM it when the process that started it dies (Linux only)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def announced_port(log_path: Path) -> int:
    """The port the launcher bound, from its `listening on <host>:<port>` line; 0 until then."""
    found = re.search(rf"^listening on {re.escape(LOOPBACK)}:(\d+)$", log_path.read_text(errors="replace"), re.M)
    return int(found.group(1)) if found else 0


@dataclass(frozen=True)
class RequestCounts:
    """What the emulator's request log says of a run (toolkit/moto_launcher.py writes it)."""
    requests: int
    retries: int        # SDK attempts after the first, of one invocation
    replayed: int       # of those, answered with the first attempt's answer (it was lost on the way)
    server_errors: int  # 5xx answers

    def __str__(self) -> str:
        return (f"emulator: {self.requests} requests, {self.retries} SDK retries ({self.replayed} of an answer lost "
                f"on the way, given it again), {self.server_errors} server errors")


def request_counts(log_path: Path) -> RequestCounts:
    lines = [line.split() for line in log_path.read_text(errors="replace").splitlines() if line.startswith("request ")]
    return RequestCounts(len(lines), sum(any(f.startswith("attempt=") for f in fields) for fields in lines),
                         sum("replayed" in fields for fields in lines),
                         sum(len(fields) > 2 and fields[-2].startswith("5") for fields in lines))


class Emulator:
    """`with Emulator(log) as emulator:` runs moto_server on a free loopback port and always
    stops it on leaving the block, also on errors and Ctrl-C."""

    def __init__(self, log_path: Path, startup_seconds: float = 60.0):
        self.log_path = log_path
        self.startup_seconds = startup_seconds
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @staticmethod
    def command() -> list[str]:
        python = MOTO_ENVIRONMENT / "bin" / "python"
        if not (MOTO_ENVIRONMENT / "bin" / "moto_server").exists():
            raise EmulatorError(f"moto is not installed in {MOTO_ENVIRONMENT}: run `make setup` "
                                "(installs tools/requirements-moto.txt there)")
        return [str(python), str(Path(__file__).with_name("moto_launcher.py"))]

    def start(self) -> "Emulator":
        command = self.command()
        env = dict(os.environ, **SERVER_SETTINGS)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            # Own session: Ctrl-C reaches us, and we stop the server ourselves; should we be
            # killed outright, the kernel stops it (Linux parent-death signal). The server binds
            # a free port itself and says which (toolkit/moto_launcher.py).
            self.process = subprocess.Popen(
                [*command, "-H", LOOPBACK, "-p", "0"], env=env,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=stop_with_parent)
        deadline = time.monotonic() + self.startup_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmulatorError(f"moto_server exited with {self.process.returncode} on start; see {self.log_path}")
            self.port = self.port or announced_port(self.log_path)
            if self.port and self.ready():
                return self
            time.sleep(0.2)
        self.stop()
        raise EmulatorError(f"moto_server did not answer on {self.url} within {self.startup_seconds:.0f} s; see {self.log_path}")

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=2):
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def reset(self) -> None:
        """Forget every resource: each test starts from an empty account."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=30):
            pass

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def client(self, service: str):
        """A boto3 client for the emulator (and nowhere else)."""
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id=FAKE_ACCESS_KEY, aws_secret_access_key=FAKE_SECRET_KEY)
