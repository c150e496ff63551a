"""`make run-apps`: the four apps on 127.0.0.1 as the platform runs them, with local stand-ins for what AWS puts in
front of them, until Ctrl-C.

- The apps' own local runs (`make run-lang-portal`, `run-haiku`, `run-vocab`, `run-writing`) on their ports, each
  on its own SQLite file under the data directory (the apps' local default; migrated and seeded at start), in
  Cognito mode: they verify the tokens of the local identity server as they verify Cognito's.
- The identity server (local_platform/identity.py): the pool and its hosted UI with two learners and a staff user,
  an app client per SPA and per UI app's load balancer sign-in; one hosted UI session signs a browser in to all.
- The SPAs (Lang Portal, Haiku) as CloudFront + the ALB serve them: the built files, /api to their API, a
  config.json naming the hosted UI and their client.
- The load balancer's sign-in in front of the UI apps (Writing Practice, the Vocab Generator's Streamlit page):
  local_platform/alb.py, signing `x-amzn-oidc-data` with a local ES256 key the apps fetch from a local key server.
- The Lang Portal's study activities point at the local apps (the projects platform.toml says it `launches`).
- Bedrock, Polly and the image model: with `--aws`, the AWS settings of this environment (credentials as boto3
  finds them, AWS_DEFAULT_REGION, GUARDRAIL_ID, GUARDRAIL_VERSION, MEDIA_BUCKET, any AWS_ENDPOINT_URL_*) reach
  the apps; without it none do, and the AI features answer that they are not configured.

What runs where, the users and their passwords are printed as a table and written to <data dir>/stack.json (only
the owner may read it). Ctrl-C (or SIGTERM) stops every process it started, each with its whole process group.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import TypeVar
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

from local_platform.alb import AlbKey, AlbKeyServer, AlbSigner, AlbSignInProxy, HostedUi
from local_platform.identity import AppClient, IdentityServer, User
from local_platform.site import REPO, BuildError, StaticSite, built_spa
from modules.launch import CHILD_STOP_SECONDS, ignore_stop_signals, start_child, stop_children, stop_on_sigterm
from toolkit.definition import DefinitionError, load_platform
from toolkit.report import table

DEFAULT_DATA_DIR = REPO / ".cache" / "run-apps"
START_SECONDS = 180  # the first start builds both SPAs and migrates four databases
# What an app gets after SIGTERM before its process group is killed: more than an app that is a launcher itself
# (`make run-vocab`) needs to stop its own children, kill included.
STOP_SECONDS = CHILD_STOP_SECONDS + 5
LEARNERS = ("ana", "ben")
STAFF = "sam"
# Settings that make an app call AWS: passed on only with --aws.
AWS_SETTINGS = ("AWS_", "GUARDRAIL_", "MEDIA_BUCKET", "MEDIA_BASE_URL", "BEDROCK_")
LOCAL_ALB_NAME = "app-dw-local"
T = TypeVar("T")


@dataclass(frozen=True)
class Ports:
    """Where each part listens. The apps keep their own `make run-*` ports; the sites and stand-ins have theirs."""
    lang_portal_api: int = 8000
    haiku_api: int = 8010
    vocab_backend: int = 8020
    vocab_ui: int = 8501
    writing: int = 7860
    lang_portal_site: int = 5173
    haiku_site: int = 5174
    writing_sign_in: int = 7861  # the load balancer in front of Writing Practice
    vocab_sign_in: int = 8502  # the load balancer in front of the Vocab Generator's page
    identity: int = 9000  # the hosted UI and the pool
    alb_keys: int = 9001  # the load balancer's public keys

    @classmethod
    def free(cls) -> "Ports":
        """Free ports for every part (tests)."""
        return cls(**{name: _free_port() for name in cls.__dataclass_fields__})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _origin(port: int) -> str:
    return f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class App:
    """One app process: the module it runs (its own `make run-*`), its settings, the address that says it is up."""
    name: str
    module: str
    environment: dict[str, str]
    health_url: str


@dataclass
class StackInfo:
    """What stack.json says: the addresses a person opens, the users, every process."""
    sites: list[dict[str, str]]
    users: list[dict[str, str]]
    services: list[dict[str, str]]
    issuer: str
    data_dir: str
    aws: bool
    pids: dict[str, int] = field(default_factory=dict)


class StartFailed(RuntimeError):
    """The stack could not start; `str()` says which part and why."""


def _app_environment(aws: bool) -> dict[str, str]:
    """This process's environment for the apps, without AWS settings unless `aws`."""
    environment = {name: value for name, value in os.environ.items()
                   if aws or not name.startswith(AWS_SETTINGS)}
    for name in ("LOCAL_MODE", "COGNITO_ISSUER", "COGNITO_CLIENT_IDS", "COGNITO_JWKS_URL", "DATABASE_URL",
                 "ALB_ARN", "ALB_PUBLIC_KEY_URL", "LANG_PORTAL_API_KEY", "STUDY_ACTIVITY_URLS", "PORT", "UI_PORT"):
        environment.pop(name, None)  # the stack sets each of these itself
    environment["PYTHONPATH"] = str(REPO)
    environment.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    return environment


def check_aws_settings(environment: dict[str, str]) -> None:
    """With --aws, the settings every AI feature needs must be there; StartFailed names the missing ones."""
    missing = [name for name, present in (
        ("AWS_DEFAULT_REGION", environment.get("AWS_DEFAULT_REGION") or environment.get("AWS_REGION")),
        ("GUARDRAIL_ID", environment.get("GUARDRAIL_ID")), ("GUARDRAIL_VERSION", environment.get("GUARDRAIL_VERSION")))
        if not present]
    if missing:
        raise StartFailed(f"--aws needs {', '.join(missing)} in the environment (and AWS credentials as boto3 finds "
                          "them); without --aws the AI features say they are not configured")


class Stack:
    """Everything `make run-apps` runs. `start()` returns once every app answers its health check; `stop()` ends
    what was started (also after a failed start)."""

    def __init__(self, ports: Ports, data_dir: Path, *, aws: bool = False,
                 progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> None:
        self.ports = ports
        self.data_dir = data_dir
        self.aws = aws
        self.progress = progress
        platform = load_platform()
        self.platform = platform
        environment = _app_environment(aws)
        if aws:
            check_aws_settings(environment)
        region = environment.get("AWS_DEFAULT_REGION") or environment.get("AWS_REGION") or platform.region
        self.staff_group = platform.definition.auth.staff_group
        self.alb_arn = (f"arn:aws:elasticloadbalancing:{region}:000000000000:loadbalancer/app/{LOCAL_ALB_NAME}/"
                        f"{secrets.token_hex(8)}")
        self.users = [*(User(name, secrets.token_urlsafe(9)) for name in LEARNERS),
                      User(STAFF, secrets.token_urlsafe(9), (self.staff_group,))]
        self.api_key = secrets.token_urlsafe(32)  # the Vocab Generator's service key for the Lang Portal's import
        self._clients = {name: AppClient(f"local-{name}") for name in ("lang-portal-spa", "haiku-spa")}
        self._clients.update({name: AppClient(f"local-{name}-alb", secret=secrets.token_urlsafe(32))
                              for name in ("writing-practice", "vocab-generator")})
        self._base_environment = environment
        self._processes: dict[str, subprocess.Popen] = {}
        self._servers = ExitStack()
        self.info: StackInfo | None = None

    # --- what each part is -------------------------------------------------------------------------

    def _register_urls(self) -> None:
        p = self.ports
        for name, port in (("lang-portal-spa", p.lang_portal_site), ("haiku-spa", p.haiku_site)):
            self._clients[name].callback_urls = [f"{_origin(port)}/auth/callback"]
            self._clients[name].sign_out_urls = [f"{_origin(port)}/"]
        for name, port in (("writing-practice", p.writing_sign_in), ("vocab-generator", p.vocab_sign_in)):
            self._clients[name].callback_urls = [f"{_origin(port)}/oauth2/idpresponse"]

    def front_doors(self) -> dict[str, str]:
        """Where a browser opens each project (the SPA's site or the load balancer in front of the UI app)."""
        p = self.ports
        return {"lang-portal": _origin(p.lang_portal_site), "haiku": _origin(p.haiku_site),
                "writing-practice": _origin(p.writing_sign_in), "vocab-generator": _origin(p.vocab_sign_in)}

    def study_activity_urls(self) -> dict[str, str]:
        """The Lang Portal's STUDY_ACTIVITY_URLS: the local address of each project platform.toml says it launches."""
        doors = self.front_doors()
        return {name: doors[name] for name in self.platform.project("lang-portal").launches}

    def apps(self) -> list[App]:
        p, clients = self.ports, self._clients
        portal_api = _origin(p.lang_portal_api)
        sign_in = {"ALB_ARN": self.alb_arn, "ALB_PUBLIC_KEY_URL": _origin(p.alb_keys), "STAFF_GROUP": self.staff_group}
        databases = self.data_dir / "databases"
        return [
            App("lang-portal-api", "projects.lang_portal.backend.run", {
                "PORT": str(p.lang_portal_api), "DATABASE_URL": f"sqlite:///{databases / 'lang_portal.sqlite3'}",
                "COGNITO_CLIENT_IDS": ",".join(clients[name].client_id for name in (
                    "lang-portal-spa", "writing-practice", "vocab-generator")),
                "STUDY_ACTIVITY_URLS": json.dumps(self.study_activity_urls()), "LANG_PORTAL_API_KEY": self.api_key,
                "MEDIA_PREFIX": "lang-portal/"}, f"{portal_api}/api/health"),
            App("haiku-api", "projects.haiku.backend.run", {
                "PORT": str(p.haiku_api), "DATABASE_URL": f"sqlite:///{databases / 'haiku.sqlite3'}",
                "COGNITO_CLIENT_IDS": clients["haiku-spa"].client_id, "MEDIA_PREFIX": "haiku/"},
                f"{_origin(p.haiku_api)}/api/health"),
            App("vocab-generator", "projects.vocab_generator.run", {
                "PORT": str(p.vocab_backend), "UI_PORT": str(p.vocab_ui), **sign_in,
                "COGNITO_CLIENT_IDS": clients["vocab-generator"].client_id, "LANG_PORTAL_URL": portal_api,
                "LANG_PORTAL_API_KEY": self.api_key}, f"{_origin(p.vocab_ui)}/healthz"),
            App("writing-practice", "projects.writing_practice.frontend.run", {
                "PORT": str(p.writing), **sign_in, "COGNITO_CLIENT_IDS": clients["writing-practice"].client_id,
                "LANG_PORTAL_URL": portal_api}, f"{_origin(p.writing)}/healthz"),
        ]

    # --- starting and stopping ---------------------------------------------------------------------

    def start(self) -> StackInfo:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> StackInfo:
        p = self.ports
        (self.data_dir / "databases").mkdir(parents=True, exist_ok=True)
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self._register_urls()
        pool = self._serve("the hosted UI", p.identity,
                           lambda: IdentityServer(list(self._clients.values()), self.users, port=p.identity))
        key = AlbKey()
        self._serve("the load balancer's keys", p.alb_keys, lambda: AlbKeyServer([key], port=p.alb_keys))
        for name, app_port, port in (("writing-practice", p.writing, p.writing_sign_in),
                                     ("vocab-generator", p.vocab_ui, p.vocab_sign_in)):
            client = self._clients[name]
            signer = AlbSigner(key, alb_arn=self.alb_arn, client_id=client.client_id, issuer=pool.issuer)
            hosted_ui = HostedUi(pool.origin, client.client_id, client.secret or "")
            self._serve(f"the sign-in in front of {name}", port,
                        lambda: AlbSignInProxy(app_port, hosted_ui, signer, port))

        apps = self.apps()
        for app in apps:
            log = (logs / f"{app.name}.log").open("ab")
            environment = {**self._base_environment, "COGNITO_ISSUER": pool.issuer, **app.environment}
            self._processes[app.name] = start_child(
                [sys.executable, "-m", app.module], cwd=REPO, env=environment, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT)  # its own session: Ctrl-C reaches only us
            log.close()
        self.progress(f"started {len(apps)} apps (logs in {logs}); building the SPAs ...")

        for name, frontend, api_port, site_port in (
                ("lang-portal-spa", REPO / "projects" / "lang_portal" / "frontend", p.lang_portal_api,
                 p.lang_portal_site),
                ("haiku-spa", REPO / "projects" / "haiku" / "frontend", p.haiku_api, p.haiku_site)):
            try:
                dist = built_spa(frontend)
            except BuildError as error:
                raise StartFailed(str(error)) from None
            config = {"apiBaseUrl": "/api", "cognito": {"domain": pool.origin,
                                                         "clientId": self._clients[name].client_id}}
            self._serve(f"the {name} site", site_port, lambda: StaticSite(dist, api_port, config, site_port))
        self._wait_until_healthy(apps, logs)
        self.info = self._describe(pool.issuer)
        state = self.data_dir / "stack.json"
        state.touch(mode=0o600)
        state.chmod(0o600)  # the users' passwords
        state.write_text(json.dumps(asdict(self.info), indent=2))
        return self.info

    def _serve(self, name: str, port: int, make: Callable[[], T]) -> T:
        try:
            server = make()
        except OSError as error:
            raise StartFailed(f"{name} cannot listen on 127.0.0.1:{port}: {error.strerror}") from None
        return self._servers.enter_context(server)

    def _wait_until_healthy(self, apps: list[App], logs: Path) -> None:
        waiting = {app.name: app.health_url for app in apps}
        deadline = time.monotonic() + START_SECONDS
        shown = ""
        while waiting:
            for name in list(waiting):
                process = self._processes[name]
                if process.poll() is not None:
                    tail = (logs / f"{name}.log").read_text(errors="replace")[-3000:]
                    raise StartFailed(f"{name} exited with {process.returncode} while starting:\n{tail}")
                try:
                    with urllib.request.urlopen(waiting[name], timeout=3) as answer:
                        if answer.status == 200:
                            del waiting[name]
                except OSError:
                    pass
            if waiting:
                line = f"waiting for {', '.join(waiting)} ..."
                if line != shown:
                    self.progress(line)
                    shown = line
                if time.monotonic() > deadline:
                    raise StartFailed(f"not healthy within {START_SECONDS} s: {', '.join(waiting)} (logs in {logs})")
                time.sleep(0.3)

    def _describe(self, issuer: str) -> StackInfo:
        p, doors = self.ports, self.front_doors()
        learners = " or ".join(LEARNERS)
        sites = [
            {"app": "Lang Portal", "url": doors["lang-portal"], "sign_in": f"{learners} (learners) or {STAFF} (staff)"},
            {"app": "Haiku Generator", "url": doors["haiku"], "sign_in": learners},
            {"app": "Writing Practice", "url": doors["writing-practice"], "sign_in": learners},
            {"app": "Vocab Generator", "url": doors["vocab-generator"], "sign_in": f"{STAFF} (staff only)"},
        ]
        services = [
            {"part": "Lang Portal API", "url": _origin(p.lang_portal_api)},
            {"part": "Haiku API", "url": _origin(p.haiku_api)},
            {"part": "Vocab Generator backend", "url": _origin(p.vocab_backend)},
            {"part": "Vocab Generator page (behind the sign-in)", "url": _origin(p.vocab_ui)},
            {"part": "Writing Practice (behind the sign-in)", "url": _origin(p.writing)},
            {"part": "hosted UI and user pool", "url": _origin(p.identity)},
            {"part": "load balancer signing keys", "url": _origin(p.alb_keys)},
        ]
        users = [{"user": user.username, "password": user.password or "", "groups": ", ".join(user.groups) or "-"}
                 for user in self.users]
        return StackInfo(sites, users, services, issuer, str(self.data_dir), self.aws,
                         {name: process.pid for name, process in self._processes.items()})

    def running(self) -> str | None:
        """None while every app runs; else which one stopped."""
        for name, process in self._processes.items():
            if process.poll() is not None:
                return f"{name} exited with {process.returncode}"
        return None

    def stop(self) -> None:
        """SIGTERM to every app's process group, then SIGKILL to any still there after STOP_SECONDS."""
        stop_children(self._processes, signal.SIGTERM, self.progress, STOP_SECONDS)
        self._processes.clear()
        self._servers.close()


def render(info: StackInfo) -> str:
    sites = table(["app", "URL", "sign in as"], [(s["app"], s["url"], s["sign_in"]) for s in info.sites])
    users = table(["user", "password", "groups"], [(u["user"], u["password"], u["groups"]) for u in info.users])
    services = table(["behind them", "URL"], [(s["part"], s["url"]) for s in info.services])
    aws = ("AI features: real AWS (--aws)" if info.aws else
           "AI features (chat, haiku media, grading, generation, audio): not configured; `make run-apps AWS=1` "
           "(--aws) lets them use AWS")
    return (f"{sites}\n\n{users}\n\n{services}\n\n{aws}\nData and logs: {info.data_dir} "
            "(stack.json has all of this)\nCtrl-C stops everything.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_platform.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--aws", action="store_true", help="let the apps call AWS with this environment's settings "
                        "(AWS_DEFAULT_REGION, GUARDRAIL_ID, GUARDRAIL_VERSION, MEDIA_BUCKET, credentials)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help=f"the apps' SQLite files and logs (default {DEFAULT_DATA_DIR.relative_to(REPO)}); kept "
                             "between runs")
    parser.add_argument("--free-ports", action="store_true", help="free ports instead of the defaults (tests)")
    args = parser.parse_args(argv)

    stop_on_sigterm()
    try:
        stack = Stack(Ports.free() if args.free_ports else Ports(), args.data_dir.resolve(), aws=args.aws)
    except (StartFailed, DefinitionError) as error:
        print(f"run-apps: {error}", file=sys.stderr)
        return 2
    try:
        info = stack.start()
        print(render(info), flush=True)
        while (stopped := stack.running()) is None:
            time.sleep(0.5)
        print(f"run-apps: {stopped}; stopping everything (its log is in {args.data_dir / 'logs'})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("run-apps: stopping ...", file=sys.stderr, flush=True)
        return 0
    except (StartFailed, OSError) as error:
        print(f"run-apps: {error}", file=sys.stderr)
        return 1
    finally:
        ignore_stop_signals()
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
