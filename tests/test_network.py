"""network: the spec's VPC, routes, endpoints, NACLs, flow logs and security groups, read from
the synthesized Terraform JSON."""
from __future__ import annotations

import copy
import json
import tomllib

import pytest

from building_blocks.security_groups import Rule
from tests.tf import logical_id, only, policy, reference, refers_to, resources, where
from toolkit.definition import DEFAULT_DEFINITION, DefinitionError, parse_definition
from workspaces.network import derive_rules

BASE = tomllib.loads(DEFAULT_DEFINITION.read_text())
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
TIERS = {
    "public": ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
    "private": ["10.0.3.0/24", "10.0.4.0/24", "10.0.5.0/24"],
    "database": ["10.0.6.0/24", "10.0.7.0/24", "10.0.8.0/24"],
}
VPC = "10.0.0.0/16"
ANY = "0.0.0.0/0"

# The spec's "Security Group Configuration", written out as the spec has it: (direction, port
# (None = all traffic), peer group or CIDR, description). One addition, marked: Aurora admits its
# RDS Proxy (the spec summary: "Aurora (inbound from ECS and RDS Proxy)"), and the ALB reaches
# Cognito over HTTPS to sign in the Streamlit and Gradio apps' users (issue 16).
SPEC_GROUPS = {
    "alb-sg": {
        ("ingress", 443, ANY, "Allow HTTPS from internet"),
        ("ingress", 80, ANY, "Allow HTTP for redirect"),
        ("egress", None, VPC, "Allow all outbound within VPC"),
        ("egress", 443, ANY, "Allow HTTPS to Cognito for sign-in"),  # addition: the ALB signs users in
    },
    "lang-portal-api-sg": {
        ("ingress", 8000, "alb-sg", "Allow traffic from ALB"),
        ("ingress", 8000, "vocab-generator-sg", "Allow traffic from Vocab Generator"),
        ("ingress", 8000, "writing-practice-sg", "Allow traffic from Writing Practice"),
        ("egress", None, ANY, "Allow all outbound"),
    },
    "haiku-api-sg": {
        ("ingress", 8000, "alb-sg", "Allow traffic from ALB"),
        ("egress", None, ANY, "Allow all outbound"),
    },
    "vocab-generator-sg": {
        ("ingress", 8501, "alb-sg", "Allow traffic from ALB for Streamlit"),
        ("ingress", 8000, "vocab-generator-sg", "Allow internal traffic between frontend and backend"),
        ("egress", None, ANY, "Allow all outbound"),
    },
    "writing-practice-sg": {
        ("ingress", 7860, "alb-sg", "Allow traffic from ALB"),
        ("egress", None, ANY, "Allow all outbound"),
    },
    "lang-portal-aurora-sg": {
        ("ingress", 5432, "lang-portal-api-sg", "Allow traffic from Lang Portal API"),
        ("ingress", 5432, "lang-portal-rds-proxy-sg", "Allow traffic from Lang Portal RDS Proxy"),  # addition
        ("egress", None, VPC, "Allow all outbound within VPC"),
    },
    "lang-portal-rds-proxy-sg": {
        ("ingress", 5432, "lang-portal-api-sg", "Allow traffic from Lang Portal API"),
        ("egress", 5432, "lang-portal-aurora-sg", "Allow traffic to Lang Portal Aurora"),
    },
    "haiku-aurora-sg": {
        ("ingress", 5432, "haiku-api-sg", "Allow traffic from Haiku Generator API"),
        ("ingress", 5432, "haiku-rds-proxy-sg", "Allow traffic from Haiku RDS Proxy"),  # addition
        ("egress", None, VPC, "Allow all outbound within VPC"),
    },
    "haiku-rds-proxy-sg": {
        ("ingress", 5432, "haiku-api-sg", "Allow traffic from Haiku Generator API"),
        ("egress", 5432, "haiku-aurora-sg", "Allow traffic to Haiku Aurora"),
    },
    "vpc-endpoint-sg": {
        ("ingress", 443, "lang-portal-api-sg", "Allow HTTPS from Lang Portal API"),
        ("ingress", 443, "haiku-api-sg", "Allow HTTPS from Haiku Generator API"),
        ("ingress", 443, "vocab-generator-sg", "Allow HTTPS from Vocab Generator"),
        ("ingress", 443, "writing-practice-sg", "Allow HTTPS from Writing Practice"),
        ("egress", None, VPC, "Allow all outbound within VPC"),
    },
}


@pytest.fixture(scope="module")
def network(stacks) -> dict:
    return stacks["network"]


def subnets_of(stack: dict, tier: str) -> dict[str, dict]:
    return {name: body for name, body in resources(stack, "aws_subnet").items() if body["tags"]["tier"] == tier}


def id_ref(resource_type: str, name: str) -> str:
    return reference(resource_type, name, "id")


def test_vpc_has_the_spec_cidr_and_dns(network):
    vpc = only(network, "aws_vpc")
    assert vpc["cidr_block"] == VPC
    assert vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True


@pytest.mark.parametrize("tier", ["public", "private", "database"])
def test_each_tier_has_one_subnet_per_zone_with_the_spec_cidrs(network, tier):
    subnets = subnets_of(network, tier)
    placed = sorted((body["availability_zone"], body["cidr_block"]) for body in subnets.values())
    assert placed == list(zip(ZONES, TIERS[tier]))
    assert all(body["map_public_ip_on_launch"] is False for body in subnets.values())
    assert all(refers_to(body["vpc_id"], "aws_vpc") for body in subnets.values())


def route_table_of(stack: dict, subnet: str) -> str:
    (association,) = where(stack, "aws_route_table_association", subnet_id=id_ref("aws_subnet", subnet))
    return association["route_table_id"]


def routes_of(stack: dict, table_ref: str) -> list[dict]:
    return where(stack, "aws_route", route_table_id=table_ref)


def test_public_subnets_route_to_the_internet_gateway(network):
    gateway = logical_id(network, "aws_internet_gateway", only(network, "aws_internet_gateway"))
    for subnet in subnets_of(network, "public"):
        (route,) = routes_of(network, route_table_of(network, subnet))
        assert route["destination_cidr_block"] == ANY
        assert route["gateway_id"] == id_ref("aws_internet_gateway", gateway)


def nat_zone(stack: dict, nat_ref: str) -> str:
    nat_name = nat_ref.split(".")[1]
    subnet = resources(stack, "aws_nat_gateway")[nat_name]["subnet_id"].split(".")[1]
    return resources(stack, "aws_subnet")[subnet]["availability_zone"]


def test_dev_has_one_nat_gateway_that_every_private_route_table_uses(network):
    (nat,) = resources(network, "aws_nat_gateway").values()
    assert refers_to(nat["allocation_id"], "aws_eip")
    assert nat["subnet_id"].split(".")[1] in subnets_of(network, "public")
    for subnet in subnets_of(network, "private"):
        (route,) = routes_of(network, route_table_of(network, subnet))
        assert route["destination_cidr_block"] == ANY and refers_to(route["nat_gateway_id"], "aws_nat_gateway")


def test_prod_has_a_nat_gateway_per_zone_and_each_private_table_uses_its_own(synth_env):
    prod = synth_env("prod").stacks["network"]
    assert len(resources(prod, "aws_nat_gateway")) == 3
    assert len(resources(prod, "aws_eip")) == 3
    used = set()
    for name, subnet in subnets_of(prod, "private").items():
        (route,) = routes_of(prod, route_table_of(prod, name))
        nat = route["nat_gateway_id"]
        assert nat_zone(prod, nat) == subnet["availability_zone"]
        used.add(nat)
    assert len(used) == 3


def test_database_subnets_have_no_route_out_of_the_vpc(network):
    tables = {route_table_of(network, subnet) for subnet in subnets_of(network, "database")}
    assert len(tables) == 1
    (table,) = tables
    assert routes_of(network, table) == []
    table_body = resources(network, "aws_route_table")[table.split(".")[1]]
    assert "route" not in table_body  # no inline routes either
    for public_or_private in ("public", "private"):
        for subnet in subnets_of(network, public_or_private):
            assert route_table_of(network, subnet) != table


def test_s3_gateway_endpoint_is_on_the_private_route_tables(network):
    (s3,) = where(network, "aws_vpc_endpoint", service_name="com.amazonaws.us-east-1.s3")
    assert s3["vpc_endpoint_type"] == "Gateway"
    private_tables = {route_table_of(network, subnet) for subnet in subnets_of(network, "private")}
    assert set(s3["route_table_ids"]) == private_tables and len(private_tables) == 3


def test_interface_endpoints_use_private_dns_in_the_private_subnets_behind_the_endpoint_group(network):
    interface = where(network, "aws_vpc_endpoint", vpc_endpoint_type="Interface")
    assert sorted(e["service_name"].removeprefix("com.amazonaws.us-east-1.") for e in interface) == [
        "bedrock-runtime", "ecr.api", "ecr.dkr", "logs", "secretsmanager"]
    private = {id_ref("aws_subnet", name) for name in subnets_of(network, "private")}
    (endpoint_group,) = where(network, "aws_security_group", name="vpc-endpoint-sg")
    group_ref = id_ref("aws_security_group", logical_id(network, "aws_security_group", endpoint_group))
    for endpoint in interface:
        assert endpoint["private_dns_enabled"] is True
        assert set(endpoint["subnet_ids"]) == private
        assert endpoint["security_group_ids"] == [group_ref]


def test_database_acl_admits_postgres_from_private_subnets_and_replies_only(network):
    acl = only(network, "aws_network_acl")
    assert set(acl["subnet_ids"]) == {id_ref("aws_subnet", name) for name in subnets_of(network, "database")}
    assert "ingress" not in acl and "egress" not in acl  # rules are separate resources
    rules = list(resources(network, "aws_network_acl_rule").values())
    assert all(r["rule_action"] == "allow" and r["protocol"] == "tcp" for r in rules)
    numbers = [(r["egress"], r["rule_number"]) for r in rules]
    assert len(numbers) == len(set(numbers))

    def allowed(egress: bool) -> set[tuple[str, int, int]]:
        return {(r["cidr_block"], r["from_port"], r["to_port"]) for r in rules if r["egress"] is egress}

    tier = TIERS["private"] + TIERS["database"]
    assert allowed(False) == ({(c, 5432, 5432) for c in tier}
                              | {(c, 1024, 65535) for c in TIERS["database"]})
    assert allowed(True) == ({(c, 1024, 65535) for c in tier} | {(c, 5432, 5432) for c in TIERS["database"]})
    # Nothing from the public subnets or the internet.
    assert not {c for c, _, _ in allowed(False) | allowed(True)} & set(TIERS["public"] + [ANY, VPC])


def test_flow_logs_go_to_an_encrypted_log_group_with_the_platform_retention(network):
    flow = only(network, "aws_flow_log")
    group_name = logical_id(network, "aws_cloudwatch_log_group", only(network, "aws_cloudwatch_log_group"))
    group = only(network, "aws_cloudwatch_log_group")
    assert flow["traffic_type"] == "ALL" and flow["log_destination_type"] == "cloud-watch-logs"
    assert flow["log_destination"] == reference("aws_cloudwatch_log_group", group_name, "arn")
    assert refers_to(flow["vpc_id"], "aws_vpc") and refers_to(flow["iam_role_arn"], "aws_iam_role")
    assert group["retention_in_days"] == 7
    assert group["kms_key_id"] == "${data.terraform_remote_state.remote-storage.outputs.kms_key_arn_logs}"


def test_flow_log_role_is_for_this_accounts_flow_logs_and_writes_only_its_group(network):
    trust = policy(only(network, "aws_iam_role"), "assume_role_policy")
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert "aws:SourceAccount" in statement["Condition"]["StringEquals"]
    writes = policy(only(network, "aws_iam_role_policy"))["Statement"]
    group_name = logical_id(network, "aws_cloudwatch_log_group", only(network, "aws_cloudwatch_log_group"))
    arn = reference("aws_cloudwatch_log_group", group_name, "arn")
    assert writes[0]["Resource"] == [arn, f"{arn}:*"]
    assert "*" not in json.dumps([s["Resource"] for s in writes]).replace(":*", "").replace("/*", "")


def group_names(stack: dict) -> dict[str, str]:
    """{reference to the group's id: spec name}"""
    return {id_ref("aws_security_group", name): body["name"] for name, body in resources(stack, "aws_security_group").items()}


def synthesized_rules(stack: dict) -> dict[str, set[tuple]]:
    names = group_names(stack)
    found: dict[str, set[tuple]] = {}
    for direction in ("ingress", "egress"):
        for rule in resources(stack, f"aws_vpc_security_group_{direction}_rule").values():
            peer = names.get(rule.get("referenced_security_group_id")) or rule.get("cidr_ipv4")
            port = rule.get("from_port")
            assert rule.get("to_port") == port
            assert rule["ip_protocol"] == ("tcp" if port is not None else "-1")
            found.setdefault(names[rule["security_group_id"]], set()).add((direction, port, peer, rule["description"]))
    return found


def test_every_security_group_of_the_spec_exists_by_its_spec_name(network):
    groups = resources(network, "aws_security_group")
    assert sorted(body["name"] for body in groups.values()) == sorted(SPEC_GROUPS)
    for body in groups.values():
        assert "ingress" not in body and "egress" not in body  # every rule is its own resource
        assert refers_to(body["vpc_id"], "aws_vpc")


@pytest.mark.parametrize("group", sorted(SPEC_GROUPS))
def test_security_group_has_exactly_the_spec_rules(network, group):
    assert synthesized_rules(network)[group] == SPEC_GROUPS[group]


def test_default_security_group_is_emptied(network):
    default = only(network, "aws_default_security_group")
    assert refers_to(default["vpc_id"], "aws_vpc")
    assert "ingress" not in default and "egress" not in default


def test_network_publishes_the_contract_outputs(network):
    groups = {f"security_group_id_{name.replace('-', '_')}" for name in SPEC_GROUPS}
    assert set(network["output"]) == {"vpc_id", "vpc_cidr", "public_subnet_ids", "private_subnet_ids",
                                      "database_subnet_ids"} | groups
    for tier in ("public", "private", "database"):
        value = network["output"][f"{tier}_subnet_ids"]["value"]
        assert sorted(value) == sorted(id_ref("aws_subnet", name) for name in subnets_of(network, tier))


# --- the derivation, on the platform definition itself --------------------------------


def definition_with(change):
    data = copy.deepcopy(BASE)
    change(data)
    return parse_definition(data)


def project(data: dict, name: str) -> dict:
    return next(p for p in data["projects"] if p["name"] == name)


def test_a_new_calls_entry_adds_exactly_its_rule():
    before = set(derive_rules(definition_with(lambda d: None)))
    after = set(derive_rules(definition_with(lambda d: project(d, "haiku")["calls"].append("lang-portal"))))
    assert after - before == {Rule("lang-portal-api-sg", "ingress", 8000, "Allow traffic from Haiku Generator API",
                                   peer_group="haiku-api-sg")}
    assert before - after == set()


def test_calling_an_unknown_project_is_a_definition_error():
    with pytest.raises(DefinitionError, match="calls unknown project 'nowhere'"):
        definition_with(lambda d: project(d, "haiku")["calls"].append("nowhere"))


def test_a_subnet_outside_the_vpc_is_a_definition_error():
    with pytest.raises(DefinitionError, match="outside the VPC CIDR"):
        definition_with(lambda d: d["network"]["database_subnets"].__setitem__(2, "10.1.8.0/24"))


def test_a_title_for_an_unknown_project_is_a_definition_error():
    definition = definition_with(lambda d: d["network"]["application_titles"].__setitem__("nowhere", "Nowhere"))
    with pytest.raises(DefinitionError, match="application_titles names unknown project 'nowhere'"):
        derive_rules(definition)
