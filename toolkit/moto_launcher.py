"""Starts moto_server with eight corrections and a request log; run by .venv-moto's Python,
imports only moto.

Each makes moto decide as AWS does where the platform's real configuration met a moto bug;
all are checked against the pinned release only (tools/requirements-moto.txt).

1. Bucket-policy conditions. moto 5.2.5 counts a bucket policy's condition as met whenever it
cannot evaluate it (it knows only StringEquals, and has no request context). Every bucket of
the platform carries the TLS-only statement (Deny s3:* when aws:SecureTransport is "false"),
so moto refused every object request to them, the Terraform state bucket's included. The correction: a bucket-policy
statement applies only when its conditions hold for the request context below (clients of the
real endpoint use TLS; the emulator's plain HTTP on loopback stands in for it).

2. Server access logging. moto refuses PutBucketLogging unless the target bucket's policy
already grants logging.s3.amazonaws.com with one exact Resource string (or its ACL grants the
log-delivery group). AWS does not check the target's policy when logging is configured (a
missing grant only stops delivery), so Terraform may create the logging configuration before
the target's policy; moto then failed where AWS succeeds. The correction drops that check;
moto's others (the target exists, same region) stay.

3. Cloud Map namespaces. moto creates a private hosted zone for a private DNS namespace but
keeps it when the namespace is deleted; AWS deletes it with the namespace. The correction
deletes it too, so a destroyed platform leaves no hosted zone behind.

4. Route 53 query logging. moto accepts the log group's ARN only in the old form ending in
":*"; AWS, and the provider's log group `arn`, use it without. The correction accepts both
and keeps the ARN as given, as AWS does.

5. Cognito custom domains. moto keeps a user pool domain's CustomDomainConfig but leaves it out
of DescribeUserPoolDomain, so the provider read no certificate and planned to replace the
domain on every plan. The correction returns it, as AWS does.

6. CodeBuild locations. moto requires a source and an artifacts location for every project;
AWS requires none where the pipeline hands them over (CODEPIPELINE source and artifacts, or
NO_SOURCE). The correction checks the locations only where AWS does.

7. CodeBuild deletion. DeleteProject takes a project's name or ARN; moto looked the ARN up as a
name, found nothing and answered success, so every destroyed project stayed. The correction
deletes by the name an ARN ends in.

8. Security group rule descriptions. moto keeps the description of a rule that names another
security group (rather than a CIDR) in the group reference and leaves it out of
DescribeSecurityGroupRules, so every plan wanted to set it again. The correction returns it, as
AWS does.

The request log: one line per request in the emulator's log (time, thread, the API action and
the identifier it names, status, milliseconds), so a failure in a Terraform log can be matched
to what the emulator was asked and answered at that moment.

One request at a time. moto's backends are plain dicts and lists with no locking (its docs say
it is not safe for concurrent access), and moto_server answers each connection in a thread of
its own, so two workspaces applying side by side reach one backend at once. The launcher
serializes the application: each request runs alone, as on one AWS API endpoint's consistent
view. Requests take milliseconds and the run's time is the provider's polling, so this costs
nothing measurable.

A retry is answered, not done twice. The AWS SDK in the provider (and botocore) retries any
request whose answer did not arrive (a broken connection is retryable for every operation), with
the same `amz-sdk-invocation-id` header and `amz-sdk-request: attempt=N`. When moto had already
done the work, the retry of a create met the resource the first attempt made: reproduced with a
proxy that loses one answer (tests/lossy_proxy.py), the provider's `aws_vpc_security_group_egress_rule`
failed with `InvalidPermission.Duplicate` 87 ms after moto had stored the rule, the error of the
CLI flow's failed `deploy storage network`; a lost CreateDBInstance answer gives the
`DBInstanceAlreadyExists` of the failed e2e run. The launcher keeps the successful answer of each
invocation (the last 64 MB of them) and gives a retry of it that answer again (`replayed` in the
request log), which is what the client would have read had it arrived; attempts after a failed
answer run again. Such
retries come in every run (a few per thousand requests; docs/e2e.md has the evidence). AWS
itself has no such memory, so a lost answer can fail there too: this corrects the emulator only,
and the provider's settings for AWS are untouched.

Its own port. The launcher binds port 0 and writes `listening on <host>:<port>` as its first
line; the toolkit reads the port from there. Picking a free port first and binding it later
left a moment in which another process (another run's emulator on this shared machine) could
take it, and the readiness probe would then have found that other emulator.
"""
import io
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse
from collections import OrderedDict
from importlib.metadata import version

VERIFIED_MOTO = "5.2.5"
REQUEST_CONTEXT = {"aws:securetransport": "true"}   # condition keys are case-insensitive


def condition_holds(conditions: dict) -> bool:
    """Only Bool and StringEquals on keys of REQUEST_CONTEXT can hold; anything else does not."""
    for operator, tests in conditions.items():
        if operator not in ("Bool", "StringEquals"):
            return False
        for key, expected in tests.items():
            expected = [expected] if isinstance(expected, str) else expected
            actual = REQUEST_CONTEXT.get(key.lower())
            if actual is None or actual not in [str(value).lower() for value in expected]:
                return False
    return True


def correct_bucket_policy_conditions() -> None:
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self, action, resource):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy.decode())
        statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
        applying = [{k: v for k, v in s.items() if k != "Condition"} for s in statements
                    if condition_holds(s.get("Condition", {}))]
        if not applying:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**policy, "Statement": applying})).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


def correct_logging_permission_check() -> None:
    from moto.s3.models import FakeBucket

    FakeBucket._log_permissions_enabled_policy = staticmethod(lambda target_bucket, target_prefix: True)


def correct_namespace_deletion() -> None:
    from moto.route53 import route53_backends
    from moto.servicediscovery.models import ServiceDiscoveryBackend
    from moto.utilities.utils import get_partition

    delete_namespace = ServiceDiscoveryBackend.delete_namespace

    def delete_namespace_and_zone(self, namespace_id):
        zone_id = (self.namespaces[namespace_id].dns_properties or {}).get("HostedZoneId") \
            if namespace_id in self.namespaces else None
        operation = delete_namespace(self, namespace_id)
        if zone_id:
            route53_backends[self.account_id][get_partition(self.region_name)].zones.pop(
                zone_id.removeprefix("/hostedzone/"), None)
        return operation

    ServiceDiscoveryBackend.delete_namespace = delete_namespace_and_zone


def correct_query_log_group_arn() -> None:
    from moto.route53.models import Route53Backend

    create = Route53Backend.create_query_logging_config

    def create_with_either_arn(self, hosted_zone_id, log_group_arn):
        if not log_group_arn or log_group_arn.endswith(":*"):
            return create(self, hosted_zone_id, log_group_arn)
        config = create(self, hosted_zone_id, f"{log_group_arn}:*")
        config.cloud_watch_logs_log_group_arn = log_group_arn
        return config

    Route53Backend.create_query_logging_config = create_with_either_arn


def correct_user_pool_domain_description() -> None:
    from moto.cognitoidp.models import CognitoIdpUserPoolDomain

    to_json = CognitoIdpUserPoolDomain.to_json

    def to_json_with_custom_domain(self, extended=True):
        description = to_json(self, extended)
        if extended and self.custom_domain_config:
            description["CustomDomainConfig"] = self.custom_domain_config
        return description

    CognitoIdpUserPoolDomain.to_json = to_json_with_custom_domain


def correct_codebuild_location_checks() -> None:
    from moto.codebuild import responses

    validate_source = responses._validate_required_params_source
    validate_artifacts = responses._validate_required_params_artifacts

    def source_as_aws(source):
        if source.get("type") not in ("CODEPIPELINE", "NO_SOURCE"):
            validate_source(source)

    def artifacts_as_aws(artifacts):
        if artifacts.get("type") != "CODEPIPELINE":
            validate_artifacts(artifacts)

    responses._validate_required_params_source = source_as_aws
    responses._validate_required_params_artifacts = artifacts_as_aws


def correct_codebuild_deletion_by_arn() -> None:
    from moto.codebuild.models import CodeBuildBackend

    delete_project = CodeBuildBackend.delete_project

    def delete_by_name_or_arn(self, project_name):
        delete_project(self, project_name.split(":project/")[-1])

    CodeBuildBackend.delete_project = delete_by_name_or_arn


def correct_security_group_rule_description() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    SecurityGroupRule.description = property(
        lambda self: self.ip_range.get("Description") or (self.source_group or {}).get("Description"))


IDENTIFIERS = ("DBInstanceIdentifier", "DBClusterIdentifier", "DBProxyName", "GroupId", "Name", "name")


def action_of(environ: dict, body: bytes) -> str:
    """The API action a request asks for ("CreateDBInstance app-dw-dev-haiku-2"), as far as it says."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.split(".")[-1]
    if body.startswith(b"Action="):
        fields = urllib.parse.parse_qs(body.decode(errors="replace"))
        named = next((fields[key][0] for key in IDENTIFIERS if key in fields), "")
        return f"{fields.get('Action', ['?'])[0]} {named}".strip()
    return f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '')[:80]}"


ONE_AT_A_TIME = threading.Lock()
# Successful answers by SDK invocation ID, newest last: (status line, headers, body).
ANSWERED: "OrderedDict[str, tuple[str, list, bytes]]" = OrderedDict()
# An SDK retries within seconds (at most 20 s apart); a run makes ~5,000 requests in 10 minutes, most
# under 10 KB, so this keeps minutes of answers. State files and listings are the large ones.
ANSWER_BYTES_KEPT = 64 << 20
LARGEST_KEPT_ANSWER = 1 << 20
kept_bytes = 0


def attempt_of(environ: dict) -> int:
    """The SDK's attempt number from `amz-sdk-request: attempt=2; max=3` (1 when absent)."""
    found = re.search(r"attempt=(\d+)", environ.get("HTTP_AMZ_SDK_REQUEST", ""))
    return int(found.group(1)) if found else 1


def keep(invocation: str, answer: tuple[str, list, bytes]) -> None:
    """Remember a successful answer for a retry of its invocation, forgetting the oldest beyond the budget."""
    global kept_bytes
    kept_bytes += len(answer[2]) - len(ANSWERED.pop(invocation, ("", [], b""))[2])
    ANSWERED[invocation] = answer
    while kept_bytes > ANSWER_BYTES_KEPT:
        kept_bytes -= len(ANSWERED.popitem(last=False)[1][2])


def log_requests(application_class, out) -> None:
    """Wrap moto's WSGI application: one request at a time, a retry of an answered request
    answered again (see above), one line each, written once it is answered."""
    answer = application_class.__call__

    def logged(self, environ, start_response):
        with ONE_AT_A_TIME:
            return answer_and_log(self, environ, start_response)

    def answer_and_log(self, environ, start_response):
        started = time.time()
        length = environ.get("CONTENT_LENGTH") or "0"
        body = environ["wsgi.input"].read(int(length)) if length.isdigit() and 0 < int(length) <= 1 << 20 else b""
        if body:
            environ["wsgi.input"] = io.BytesIO(body)   # moto reads it again
        invocation, attempt = environ.get("HTTP_AMZ_SDK_INVOCATION_ID"), attempt_of(environ)
        status = ["-"]
        retry = f" attempt={attempt}" if attempt > 1 else ""
        try:
            if attempt > 1 and invocation in ANSWERED:
                line, headers, answered = ANSWERED[invocation]
                status[0], retry = line.split()[0], f"{retry} replayed"
                start_response(line, headers)
                return [answered]
            started_with: list = []

            def start(line, headers, exc_info=None):
                status[0] = line.split()[0]
                started_with[:] = [line, list(headers)]
                return start_response(line, headers, exc_info)

            answered = answer(self, environ, start)
            try:   # read inside the lock too: moto's answer may be an iterator it fills lazily
                content = b"".join(answered)
            finally:
                getattr(answered, "close", lambda: None)()
            if invocation and status[0].startswith("2") and len(content) <= LARGEST_KEPT_ANSWER:
                keep(invocation, (*started_with, content))
            return [content]
        finally:
            out.write(f"request {started:.3f} thread={threading.get_ident()} {action_of(environ, body)}{retry} "
                      f"{status[0]} {1000 * (time.time() - started):.0f}ms\n")
            out.flush()

    application_class.__call__ = logged


def parse_arguments(argv: list[str]) -> tuple[str, int]:
    import argparse

    parser = argparse.ArgumentParser(description="moto_server with app-dw's corrections")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=0, help="0 (the default): any free port")
    arguments = parser.parse_args(argv)
    return arguments.host, arguments.port


def serve(host: str, port: int) -> None:
    """moto_server's application on `host`:`port` (0: a free one, bound here), announced on stdout."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    log_requests(DomainDispatcherApplication, sys.stderr)
    application: list = []   # made once the port is known: moto builds some URLs with MOTO_PORT
    server = make_server(host, port, lambda environ, start: application[0](environ, start), threaded=True,
                         request_handler=MotoRequestHandler)
    bound = server.server_address[1]
    os.environ["MOTO_PORT"] = str(bound)
    application.append(DomainDispatcherApplication(create_backend_app))
    application[0].debug = True   # as moto_server: errors are answered with their traceback
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda signum, frame: sys.exit(0))
    print(f"listening on {host}:{bound}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if version("moto") != VERIFIED_MOTO:
        sys.exit(f"moto {version('moto')} is installed; the launcher's corrections are verified for {VERIFIED_MOTO} "
                 "only (tools/requirements-moto.txt): run `make setup`")
    correct_bucket_policy_conditions()
    correct_logging_permission_check()
    correct_namespace_deletion()
    correct_query_log_group_arn()
    correct_user_pool_domain_description()
    correct_codebuild_location_checks()
    correct_codebuild_deletion_by_arn()
    correct_security_group_rule_description()
    serve(*parse_arguments(sys.argv[1:]))
