"""A network ACL that lets a subnet tier serve one TCP port and nothing else."""
from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.network_acl import NetworkAcl
from cdktf_cdktf_provider_aws.network_acl_rule import NetworkAclRule
from constructs import Construct

# Replies to a client leave from its ephemeral port range (Linux 32768-60999, NAT and ELB
# 1024-65535): the whole range, as NACLs are stateless.
EPHEMERAL_PORTS = (1024, 65535)


@dataclass(frozen=True)
class ServiceSubnetAclProps:
    name: str
    vpc_id: str
    subnet_ids: tuple[str, ...]
    port: int                          # the one service port, e.g. PostgreSQL 5432
    client_cidrs: tuple[str, ...]      # other subnets allowed to connect to the port
    tier_cidrs: tuple[str, ...]        # the tier's own subnets: they may connect to each other (proxy -> database)
    first_rule_number: int = 100


class ServiceSubnetAcl(Construct):
    """Ingress: the port from clients and the tier itself, replies to the tier's own outbound
    connections. Egress: replies to clients, and the port towards the tier. Everything else
    meets the ACL's implicit deny, in both directions."""

    def __init__(self, scope: Construct, id: str, props: ServiceSubnetAclProps):
        super().__init__(scope, id)
        self.acl = NetworkAcl(self, "acl", vpc_id=props.vpc_id, subnet_ids=list(props.subnet_ids),
                              tags={"Name": props.name})
        peers = tuple(dict.fromkeys(props.client_cidrs + props.tier_cidrs))
        port = (props.port, props.port)
        plan = {
            False: [(cidr, port) for cidr in peers] + [(cidr, EPHEMERAL_PORTS) for cidr in props.tier_cidrs],
            True: [(cidr, EPHEMERAL_PORTS) for cidr in peers] + [(cidr, port) for cidr in props.tier_cidrs],
        }
        for egress, entries in plan.items():
            direction = "egress" if egress else "ingress"
            for index, (cidr, (low, high)) in enumerate(entries):
                NetworkAclRule(self, f"{direction}-{low}-{cidr.replace('/', '-')}", network_acl_id=self.acl.id,
                               egress=egress, rule_number=props.first_rule_number + 10 * index, protocol="tcp",
                               rule_action="allow", cidr_block=cidr, from_port=low, to_port=high)
