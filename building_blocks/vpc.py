"""A three-tier VPC: public subnets behind an internet gateway, private subnets behind NAT,
database subnets with no route out at all."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc as VpcResource
from constructs import Construct

ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class VpcProps:
    name: str                              # Name-tag prefix, e.g. app-dw-dev
    cidr: str
    zones: tuple[str, ...]
    public_subnets: tuple[str, ...]        # one per zone, in zone order
    private_subnets: tuple[str, ...]
    database_subnets: tuple[str, ...]
    # "single": one NAT gateway for all zones (cheaper, one zone's outage cuts egress);
    # "per_az": one per zone, each private route table to the NAT in its own zone.
    nat_gateways: Literal["single", "per_az"] = "per_az"

    def __post_init__(self) -> None:
        for tier in (self.public_subnets, self.private_subnets, self.database_subnets):
            if len(tier) != len(self.zones):
                raise ValueError(f"each subnet tier needs one CIDR per zone {self.zones}, got {tier}")


class Vpc(Construct):
    def __init__(self, scope: Construct, id: str, props: VpcProps):
        super().__init__(scope, id)
        self.vpc = VpcResource(self, "vpc", cidr_block=props.cidr, enable_dns_support=True,
                               enable_dns_hostnames=True, tags={"Name": props.name})
        self.vpc_id = self.vpc.id
        self.cidr = self.vpc.cidr_block
        # The default group stays attached to anything created without a group; with no rules
        # it lets nothing in or out, so a forgotten security group fails closed.
        DefaultSecurityGroup(self, "default-security-group", vpc_id=self.vpc_id,
                             tags={"Name": f"{props.name}-default-no-traffic"})

        def subnets(tier: str, cidrs: tuple[str, ...]) -> list[Subnet]:
            return [Subnet(self, f"{tier}-{zone}", vpc_id=self.vpc_id, cidr_block=cidr, availability_zone=zone,
                           map_public_ip_on_launch=False,  # the ALB and NAT get their addresses explicitly
                           tags={"Name": f"{props.name}-{tier}-{zone}", "tier": tier})
                    for zone, cidr in zip(props.zones, cidrs)]

        self.public_subnets = subnets("public", props.public_subnets)
        self.private_subnets = subnets("private", props.private_subnets)
        self.database_subnets = subnets("database", props.database_subnets)

        gateway = InternetGateway(self, "internet-gateway", vpc_id=self.vpc_id, tags={"Name": props.name})
        public_table = self._route_table("public", props.name, self.public_subnets)
        Route(self, "public-default-route", route_table_id=public_table.id,
              destination_cidr_block=ANYWHERE, gateway_id=gateway.id)

        nat_zones = props.zones if props.nat_gateways == "per_az" else props.zones[:1]
        self.nat_gateways = []
        for index, zone in enumerate(nat_zones):
            address = Eip(self, f"nat-address-{zone}", domain="vpc", tags={"Name": f"{props.name}-nat-{zone}"})
            self.nat_gateways.append(NatGateway(
                self, f"nat-{zone}", allocation_id=address.allocation_id, subnet_id=self.public_subnets[index].id,
                tags={"Name": f"{props.name}-nat-{zone}"}, depends_on=[gateway]))

        self.private_route_tables = []
        for index, (zone, subnet) in enumerate(zip(props.zones, self.private_subnets)):
            table = self._route_table(f"private-{zone}", props.name, [subnet])
            nat = self.nat_gateways[index if props.nat_gateways == "per_az" else 0]
            Route(self, f"private-{zone}-default-route", route_table_id=table.id,
                  destination_cidr_block=ANYWHERE, nat_gateway_id=nat.id)
            self.private_route_tables.append(table)

        # Only the VPC's local route: the database tier reaches nothing outside the VPC.
        self.database_route_table = self._route_table("database", props.name, self.database_subnets)

    def _route_table(self, label: str, prefix: str, subnets: list[Subnet]) -> RouteTable:
        table = RouteTable(self, f"{label}-route-table", vpc_id=self.vpc_id, tags={"Name": f"{prefix}-{label}"})
        for subnet in subnets:
            RouteTableAssociation(self, f"{subnet.node.id}-association", route_table_id=table.id, subnet_id=subnet.id)
        return table

    @property
    def public_subnet_ids(self) -> list[str]:
        return [s.id for s in self.public_subnets]

    @property
    def private_subnet_ids(self) -> list[str]:
        return [s.id for s in self.private_subnets]

    @property
    def database_subnet_ids(self) -> list[str]:
        return [s.id for s in self.database_subnets]
