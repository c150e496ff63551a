"""VPC endpoints: AWS APIs reached without the NAT gateway, over AWS's network."""
from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct


@dataclass(frozen=True)
class VpcEndpointsProps:
    name: str                                  # Name-tag prefix
    vpc_id: str
    region: str
    gateway_services: tuple[str, ...] = ()     # e.g. "s3": routes added to route_table_ids
    route_table_ids: tuple[str, ...] = ()
    interface_services: tuple[str, ...] = ()   # e.g. "ecr.api": ENIs in subnet_ids
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()


class VpcEndpoints(Construct):
    """Interface endpoints get private DNS, so SDKs keep their default endpoint names and
    resolve them to the ENIs; only the given security groups guard them."""

    def __init__(self, scope: Construct, id: str, props: VpcEndpointsProps):
        super().__init__(scope, id)
        if props.interface_services and not (props.subnet_ids and props.security_group_ids):
            raise ValueError("interface endpoints need subnet_ids and security_group_ids")
        self.endpoints: dict[str, VpcEndpoint] = {}
        for service in props.gateway_services:
            self.endpoints[service] = VpcEndpoint(
                self, service, vpc_id=props.vpc_id, service_name=f"com.amazonaws.{props.region}.{service}",
                vpc_endpoint_type="Gateway", route_table_ids=list(props.route_table_ids),
                tags={"Name": f"{props.name}-{service}"})
        for service in props.interface_services:
            self.endpoints[service] = VpcEndpoint(
                self, service, vpc_id=props.vpc_id, service_name=f"com.amazonaws.{props.region}.{service}",
                vpc_endpoint_type="Interface", private_dns_enabled=True, subnet_ids=list(props.subnet_ids),
                security_group_ids=list(props.security_group_ids), tags={"Name": f"{props.name}-{service}"})
