"""network: the VPC, its subnets and routes, VPC endpoints, the database tier's network ACL,
flow logs, and every security group of the spec.

The security groups are app-dw's policy, derived here from the platform definition:
`derive_groups` and `derive_rules` are pure, they read the projects (their services' routing
and ports, `calls`, `database`) and the database port, and return data, so a new project or a
new `calls` entry changes the rules without anyone writing one by hand.
"""
from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity

from building_blocks.flow_log import VpcFlowLog, VpcFlowLogProps
from building_blocks.load_balancer import HTTP_PORT, HTTPS_PORT
from building_blocks.network_acl import ServiceSubnetAcl, ServiceSubnetAclProps
from building_blocks.security_groups import ANYWHERE, Group, Rule, SecurityGroups, SecurityGroupsProps
from building_blocks.vpc import Vpc, VpcProps
from building_blocks.vpc_endpoints import VpcEndpoints, VpcEndpointsProps
from toolkit.definition import DefinitionError, PlatformDefinition, Project
from workspaces.base import Workspace, output_key

ALB_GROUP = "alb-sg"
ENDPOINT_GROUP = "vpc-endpoint-sg"


def aurora_group(project: str) -> str:
    return f"{project}-aurora-sg"


def proxy_group(project: str) -> str:
    return f"{project}-rds-proxy-sg"


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
    port = definition.database.port
    from_app = f"Allow traffic from {group_label(definition, project)}"
    return [
        Rule(aurora, "ingress", port, from_app, peer_group=app),
        # The spec's summary: "Aurora (inbound from ECS and RDS Proxy)"; the proxy's own
        # egress rule below is useless unless Aurora also admits it.
        Rule(aurora, "ingress", port, f"Allow traffic from {_title(project.name)} RDS Proxy",
             peer_group=proxy),
        Rule(aurora, "egress", None, "Allow all outbound within VPC", peer_cidr=vpc_cidr),
        Rule(proxy, "ingress", port, from_app, peer_group=app),
        Rule(proxy, "egress", port, f"Allow traffic to {_title(project.name)} Aurora", peer_group=aurora),
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
    if any(p.ui_frontend for p in definition.projects):
        # The ALB signs the UI apps' users in: it exchanges the code at Cognito's token endpoint
        # and reads the user-info endpoint, both public HTTPS endpoints.
        rules.append(Rule(ALB_GROUP, "egress", HTTPS_PORT, "Allow HTTPS to Cognito for sign-in", peer_cidr=ANYWHERE))
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


class NetworkWorkspace(Workspace):
    def __init__(self, scope, spec, platform):
        super().__init__(scope, spec, platform)
        network = platform.network
        tiers = network.tiers
        vpc_cidr = str(network.vpc_cidr)
        prefix = self.name()
        vpc = Vpc(self, "vpc", VpcProps(
            name=prefix, cidr=vpc_cidr, zones=tuple(platform.platform.availability_zones),
            public_subnets=tuple(tiers["public"]), private_subnets=tuple(tiers["private"]),
            database_subnets=tuple(tiers["database"]), nat_gateways=platform.env.nat_gateways))

        groups = SecurityGroups(self, "security-groups", SecurityGroupsProps(
            vpc_id=vpc.vpc_id, vpc_cidr=vpc_cidr, groups=tuple(derive_groups(platform.definition)),
            rules=tuple(derive_rules(platform.definition))))

        VpcEndpoints(self, "endpoints", VpcEndpointsProps(
            name=prefix, vpc_id=vpc.vpc_id, region=platform.region,
            gateway_services=tuple(network.gateway_endpoints),
            route_table_ids=tuple(t.id for t in vpc.private_route_tables),
            interface_services=tuple(network.interface_endpoints),
            subnet_ids=tuple(vpc.private_subnet_ids), security_group_ids=(groups.ids[ENDPOINT_GROUP],)))

        ServiceSubnetAcl(self, "database-acl", ServiceSubnetAclProps(
            name=self.name("database"), vpc_id=vpc.vpc_id, subnet_ids=tuple(vpc.database_subnet_ids),
            port=platform.database.port, client_cidrs=tuple(tiers["private"]), tier_cidrs=tuple(tiers["database"])))

        VpcFlowLog(self, "flow-log", VpcFlowLogProps(
            vpc_id=vpc.vpc_id, log_group_name=f"/vpc/{prefix}/flow-logs", role_name=self.name("vpc-flow-logs"),
            retention_days=platform.monitoring.log_retention_days, kms_key_arn=self.read("storage", "kms_key_arn_logs"),
            account_id=DataAwsCallerIdentity(self, "account").account_id, region=platform.region))

        self.publish("vpc_id", vpc.vpc_id, "The platform's VPC")
        self.publish("vpc_cidr", vpc.cidr, "CIDR block of the VPC")
        self.publish("public_subnet_ids", vpc.public_subnet_ids, "Public subnets, one per zone (ALB, NAT)")
        self.publish("private_subnet_ids", vpc.private_subnet_ids, "Private subnets, one per zone (ECS tasks)")
        self.publish("database_subnet_ids", vpc.database_subnet_ids,
                     "Isolated database subnets, one per zone (Aurora, RDS Proxy); no route out of the VPC")
        for name, group_id in groups.ids.items():
            self.publish(output_key("security_group_id", name), group_id, f"Security group {name}")
