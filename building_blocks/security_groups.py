"""Security groups as data: `Group` and `Rule` describe them, `SecurityGroups` turns that data
into one `aws_security_group` per group and one rule resource per rule. Which groups and rules
exist is the caller's policy (app-dw derives them from its projects in the network workspace)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

ANYWHERE = "0.0.0.0/0"


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
