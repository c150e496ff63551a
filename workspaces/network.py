"""network: the VPC, its subnets and routes, VPC endpoints, the database tier's network ACL,
flow logs, and every security group of the spec (derived from the projects)."""
from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity

from building_blocks.flow_log import VpcFlowLog, VpcFlowLogProps
from building_blocks.network_acl import ServiceSubnetAcl, ServiceSubnetAclProps
from building_blocks.security_groups import (
    ENDPOINT_GROUP,
    POSTGRES_PORT,
    SecurityGroups,
    SecurityGroupsProps,
    derive_groups,
    derive_rules,
)
from building_blocks.vpc import Vpc, VpcProps
from building_blocks.vpc_endpoints import VpcEndpoints, VpcEndpointsProps
from workspaces.base import Workspace, output_key


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
            port=POSTGRES_PORT, client_cidrs=tuple(tiers["private"]), tier_cidrs=tuple(tiers["database"])))

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
