"""The platform's security groups, derived from the platform definition.

`derive_groups` and `derive_rules` are pure: they read the projects (their services' routing
and ports, `calls`, `database`) and return data, so a new project or a new `calls` entry
changes the rules without anyone writing one by hand. `SecurityGroups` turns that data into
one `aws_security_group` per group and one rule resource per rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from toolkit.definition import DefinitionError, PlatformDefinition, Project

ALB_GROUP = "alb-sg"
ENDPOINT_GROUP = "vpc-endpoint-sg"
POSTGRES_PORT = 5432
HTTPS_PORT = 443
HTTP_PORT = 80
ANYWHERE = "0.0.0.0/0"


def aurora_group(project: str) -> str:
    return f"{project}-aurora-sg"


def proxy_group(project: str) -> str:
    return f"{project}-rds-proxy-sg"


@dataclass(frozen=True)
class Group:
    name: str            # the spec's name, also the AWS group name
    description: str


@dataclass(frozen=True)
class Rule:
    group: str                                   # the group the rule belongs to
    direction: Literal["ingress", "egress"]
    port: int | None                             # TCP port; None: all traffic, all protocols
    description: str
    peer_group: str | None = None                # source (ingress) or destination (egress) group
    peer_cidr: str | None = None

    def __post_init__(self) -> None:
        if (self.peer_group is None) == (self.peer_cidr is None):
            raise ValueError(f"rule {self.description!r} of {self.group} needs exactly one of peer_group, peer_cidr")

    @property
    def peer(self) -> str:
        return self.peer_group or self.peer_cidr  # type: ignore[return-value]

    def logical_id(self, vpc_cidr: str) -> str:
        """A readable, stable id: lang-portal-api-sg-ingress-8000-vocab-generator-sg."""
        peer = self.peer_group or {ANYWHERE: "anywhere", vpc_cidr: "vpc"}.get(self.peer_cidr, "")
        if not peer:
            peer = self.peer_cidr.replace(".", "-").replace("/", "-")  # type: ignore[union-attr]
        return f"{self.group}-{self.direction}-{self.port or 'all'}-{peer}"


def _title(name: str) -> str:
    return name.replace("-", " ").title()


def application_title(definition: PlatformDefinition, project: Project) -> str:
    """The application's name in descriptions: "Vocab Generator", or the spec's own wording
    where it differs from the project name ("Haiku Generator" for haiku)."""
    return definition.network.application_titles.get(project.name, _title(project.name))


def group_label(definition: PlatformDefinition, project: Project) -> str:
    """How descriptions name a project's group: "Lang Portal API" when the group guards the API
    alone, else the application ("Vocab Generator", whose group holds UI and backend)."""
    title = application_title(definition, project)
    return f"{title} API" if all(s.routing == "api" for s in project.services) else title


def derive_groups(definition: PlatformDefinition) -> list[Group]:
    groups = [Group(ALB_GROUP, "ALB Security Group")]
    groups += [Group(p.security_group, f"{group_label(definition, p)} Security Group") for p in definition.projects]
    for project in definition.projects:
        if project.database:
            groups.append(Group(aurora_group(project.name), f"{_title(project.name)} Aurora Security Group"))
            groups.append(Group(proxy_group(project.name), f"{_title(project.name)} RDS Proxy Security Group"))
    groups.append(Group(ENDPOINT_GROUP, "VPC Endpoint Security Group"))
    return groups


def _application_rules(definition: PlatformDefinition, project: Project) -> list[Rule]:
    group = project.security_group
    rules = []
    for service in project.services:
        if service.on_load_balancer:
            # A group shared by several services says which one the ALB reaches.
            which = (f" for {project.frontend.title() if service.routing == 'site' else 'API'}"
                     if len(project.services) > 1 else "")
            rules.append(Rule(group, "ingress", service.port, f"Allow traffic from ALB{which}", peer_group=ALB_GROUP))
        else:
            rules.append(Rule(group, "ingress", service.port, "Allow internal traffic between frontend and backend",
                              peer_group=group))
    for caller in definition.callers_of(project.name):
        # The definition refuses a call to a project without an api service.
        rules.append(Rule(group, "ingress", project.api.port, f"Allow traffic from {group_label(definition, caller)}",
                          peer_group=caller.security_group))
    rules.append(Rule(group, "egress", None, "Allow all outbound", peer_cidr=ANYWHERE))
    return rules


def _database_rules(definition: PlatformDefinition, project: Project, vpc_cidr: str) -> list[Rule]:
    aurora, proxy, app = aurora_group(project.name), proxy_group(project.name), project.security_group
    from_app = f"Allow traffic from {group_label(definition, project)}"
    return [
        Rule(aurora, "ingress", POSTGRES_PORT, from_app, peer_group=app),
        # The spec's summary: "Aurora (inbound from ECS and RDS Proxy)"; the proxy's own
        # egress rule below is useless unless Aurora also admits it.
        Rule(aurora, "ingress", POSTGRES_PORT, f"Allow traffic from {_title(project.name)} RDS Proxy",
             peer_group=proxy),
        Rule(aurora, "egress", None, "Allow all outbound within VPC", peer_cidr=vpc_cidr),
        Rule(proxy, "ingress", POSTGRES_PORT, from_app, peer_group=app),
        Rule(proxy, "egress", POSTGRES_PORT, f"Allow traffic to {_title(project.name)} Aurora", peer_group=aurora),
    ]


def derive_rules(definition: PlatformDefinition) -> list[Rule]:
    """Every rule of every group; raises DefinitionError if two derivations collide."""
    vpc_cidr = str(definition.network.vpc_cidr)
    for titled in definition.network.application_titles:
        if titled not in [p.name for p in definition.projects]:
            raise DefinitionError(f"network.application_titles names unknown project {titled!r}")
    rules = [
        Rule(ALB_GROUP, "ingress", HTTPS_PORT, "Allow HTTPS from internet", peer_cidr=ANYWHERE),
        Rule(ALB_GROUP, "ingress", HTTP_PORT, "Allow HTTP for redirect", peer_cidr=ANYWHERE),
        Rule(ALB_GROUP, "egress", None, "Allow all outbound within VPC", peer_cidr=vpc_cidr),
    ]
    for project in definition.projects:
        rules += _application_rules(definition, project)
        if project.database:
            rules += _database_rules(definition, project, vpc_cidr)
    rules += [Rule(ENDPOINT_GROUP, "ingress", HTTPS_PORT, f"Allow HTTPS from {group_label(definition, p)}",
                   peer_group=p.security_group) for p in definition.projects]
    rules.append(Rule(ENDPOINT_GROUP, "egress", None, "Allow all outbound within VPC", peer_cidr=vpc_cidr))
    ids = [rule.logical_id(vpc_cidr) for rule in rules]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise DefinitionError(f"security group rules derived twice: {repeated}")
    return rules


@dataclass(frozen=True)
class SecurityGroupsProps:
    vpc_id: str
    vpc_cidr: str                 # literal CIDR, for readable rule ids
    groups: tuple[Group, ...]
    rules: tuple[Rule, ...]


class SecurityGroups(Construct):
    """One group per `Group` (no inline rules, so Terraform also drops AWS's default egress
    rule) and one `aws_vpc_security_group_*_rule` per `Rule`, each visible on its own."""

    def __init__(self, scope: Construct, id: str, props: SecurityGroupsProps):
        super().__init__(scope, id)
        self.ids: dict[str, str] = {}
        for group in props.groups:
            self.ids[group.name] = SecurityGroup(self, group.name, name=group.name, description=group.description,
                                                 vpc_id=props.vpc_id, tags={"Name": group.name}).id
        for rule in props.rules:
            unknown = {rule.group, rule.peer_group} - set(self.ids) - {None}
            if unknown:
                raise ValueError(f"rule {rule.description!r} names groups that do not exist: {sorted(unknown)}")
            resource = VpcSecurityGroupIngressRule if rule.direction == "ingress" else VpcSecurityGroupEgressRule
            ports = {"from_port": rule.port, "to_port": rule.port} if rule.port is not None else {}
            resource(self, rule.logical_id(props.vpc_cidr), security_group_id=self.ids[rule.group],
                     description=rule.description, ip_protocol="tcp" if rule.port is not None else "-1",
                     referenced_security_group_id=self.ids[rule.peer_group] if rule.peer_group else None,
                     cidr_ipv4=rule.peer_cidr, **ports)
