"""The cost estimate: each workspace's arithmetic checked against numbers worked out here from
the price table, the dev/prod difference, a plan's difference, the JSON, and the refresh of the
price table from an offer file (offline, on a small saved one)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.tf import only, resources
from toolkit import cost, prices
from toolkit.definition import load_platform

HOURS = 730
OFFER_FILE = Path(__file__).parent / "data" / "offer-AmazonEC2-nat.json"


@pytest.fixture(scope="module")
def price():
    table = prices.load_prices()
    return lambda key: table[key].usd


def workspace_estimate(stacks, platform, name) -> cost.WorkspaceEstimate:
    return cost.estimate(name, cost.stack_resources(stacks[name]), platform)


def lines_of(estimate: cost.WorkspaceEstimate, address_part: str) -> list[cost.Line]:
    return [line for line in estimate.lines if address_part in line.address]


def test_every_resource_type_of_the_platform_is_priced_or_known_free(synth_env):
    for environment in ("dev", "prod"):
        platform = load_platform(environment=environment)
        for estimate in cost.estimate_stacks(synth_env(environment).stacks, platform):
            assert not estimate.not_priced, (environment, estimate.workspace, estimate.not_priced)


def test_nat_gateways_dev_and_prod_by_hand(synth_env, price):
    usage = load_platform(environment="dev").usage
    for environment, gateways in (("dev", 1), ("prod", 3)):
        platform = load_platform(environment=environment)
        network = workspace_estimate(synth_env(environment).stacks, platform, "network")
        nat = [line for line in network.lines if line.address.startswith("aws_nat_gateway.")]
        assert len(nat) == 2 * gateways
        hours = [line for line in nat if line.price.key == "nat_gateway_hour"]
        assert sum(line.monthly for line in hours) == pytest.approx(gateways * HOURS * price("nat_gateway_hour"))
        data = [line for line in nat if line.price.key == "nat_gateway_gb"]
        # The assumed traffic is shared by the gateways: the same data bill with one or three.
        assert sum(line.monthly for line in data) == pytest.approx(usage.nat_data_gb * price("nat_gateway_gb"))


def test_prod_network_costs_more_than_dev_by_exactly_the_extra_nat_gateways(synth_env, price):
    estimates = {env: workspace_estimate(synth_env(env).stacks, load_platform(environment=env), "network")
                 for env in ("dev", "prod")}
    extra = (len(resources(synth_env("prod").stacks["network"], "aws_nat_gateway"))
             - len(resources(synth_env("dev").stacks["network"], "aws_nat_gateway")))
    assert extra == 2
    # Each gateway holds an Elastic IP: a public IPv4 address billed by the hour.
    per_gateway = HOURS * (price("nat_gateway_hour") + price("public_ipv4_hour"))
    assert estimates["prod"].total - estimates["dev"].total == pytest.approx(extra * per_gateway)


def test_aurora_multi_az_cluster_by_hand(stacks, platform, price):
    database = workspace_estimate(stacks, platform, "database")
    usage = platform.usage
    instances = resources(stacks["database"], "aws_rds_cluster_instance").values()
    zones = {instance["availability_zone"] for instance in instances}
    assert len(instances) == 4 and len(zones) == 2          # writer and reader in two zones, two clusters
    instance_hour = price("aurora_postgresql_db_r6g_large_hour")
    per_cluster = (2 * HOURS * instance_hour                                   # writer + reader
                   + usage.database_storage_gb * price("aurora_storage_gb_month")
                   + usage.database_io_million_per_month * price("aurora_million_io")
                   + 2 * 2 * HOURS * price("rds_proxy_vcpu_hour")             # the proxy: 2 instances x 2 vCPU
                   + 2 * (usage.log_ingestion_gb_per_group * price("logs_ingestion_gb")   # postgresql + proxy logs
                          + usage.log_ingestion_gb_per_group * 7 / (HOURS / 24) * price("logs_storage_gb_month"))
                   # two secrets: the database URL (master user) and the API's own role
                   + 2 * (price("secret_month") + usage.secret_reads_per_month / 1e4 * price("secret_10k_api_calls")))
    assert database.total == pytest.approx(2 * per_cluster)
    (proxy,) = lines_of(database, "aws_db_proxy.lang-portal")
    assert proxy.quantity == 4 * HOURS and "4 vCPUs of 2 instances" in proxy.dimension


def test_fargate_spot_at_minimum_and_maximum_capacity_by_hand(stacks, platform, price):
    backend = workspace_estimate(stacks, platform, "lang-portal-backend")
    task = only(stacks["lang-portal-backend"], "aws_ecs_task_definition")
    vcpu, memory = int(task["cpu"]) / 1024, int(task["memory"]) / 1024
    low, high = platform.containers.min_capacity, platform.containers.max_capacity
    (vcpu_line,) = [line for line in backend.lines if line.price and line.price.key == "fargate_spot_vcpu_hour"]
    (memory_line,) = [line for line in backend.lines if line.price and line.price.key == "fargate_spot_gb_hour"]
    assert (vcpu_line.quantity, vcpu_line.quantity_at_max) == (low * vcpu * HOURS, high * vcpu * HOURS)
    assert (memory_line.quantity, memory_line.quantity_at_max) == (low * memory * HOURS, high * memory * HOURS)
    fargate_low = HOURS * low * (vcpu * price("fargate_spot_vcpu_hour") + memory * price("fargate_spot_gb_hour"))
    fargate_high = HOURS * high * (vcpu * price("fargate_spot_vcpu_hour") + memory * price("fargate_spot_gb_hour"))
    assert vcpu_line.monthly + memory_line.monthly == pytest.approx(fargate_low)
    assert vcpu_line.monthly_at_max + memory_line.monthly_at_max == pytest.approx(fargate_high)
    assert backend.total_at_max - backend.total == pytest.approx(fargate_high - fargate_low + (high - low)
                                                                 * price("cloud_map_instance_month"))


def test_a_type_the_table_lacks_is_listed_as_not_priced_never_zero(platform):
    unknown = cost.Resource("aws_frobnicator_widget.x", "aws_frobnicator_widget", {}, {})
    odd_class = cost.Resource("aws_rds_cluster_instance.big", "aws_rds_cluster_instance",
                              {"instance_class": "db.x9z.huge"}, {})
    estimate = cost.estimate("test", [unknown, odd_class], platform)
    assert estimate.not_priced == ["aws_frobnicator_widget.x"]
    (line,) = estimate.lines
    assert line.price is None and not line.estimated and "no price 'aurora_postgresql_db_x9z_huge_hour'" in line.dimension
    summary = cost.counts([estimate])
    assert "1 not priced" in summary and "aws_frobnicator_widget.x" in summary and "db.x9z.huge" in summary


def planned(*resources_: dict) -> dict:
    return {"resources": [{"address": r["address"], "mode": "managed", "type": r["address"].split(".")[0],
                           "name": r["address"].split(".")[1], "values": r["values"]} for r in resources_]}


def test_a_plan_that_adds_a_resource_shows_its_cost_in_the_difference(platform, price):
    gateway = {"address": "aws_nat_gateway.a", "values": {"connectivity_type": "public"}}
    address = {"address": "aws_eip.a", "values": {"domain": "vpc"}}
    added = {"address": "aws_nat_gateway.b", "values": {"connectivity_type": "public"}}
    plan = {"prior_state": {"values": {"root_module": planned(gateway, address)}},
            "planned_values": {"root_module": planned(gateway, address, added)},
            "configuration": {"root_module": {"resources": []}}}
    change = cost.plan_cost("network", plan, platform)
    data = platform.usage.nat_data_gb * price("nat_gateway_gb")
    assert change.before == pytest.approx(HOURS * (price("nat_gateway_hour") + price("public_ipv4_hour")) + data)
    assert change.difference == pytest.approx(HOURS * price("nat_gateway_hour"))   # the data bill is shared
    by_address = {line.address: line for line in change.lines}
    assert by_address["aws_nat_gateway.b"].before == 0
    assert by_address["aws_nat_gateway.b"].after == pytest.approx(HOURS * price("nat_gateway_hour") + data / 2)
    assert by_address["aws_nat_gateway.a"].after - by_address["aws_nat_gateway.a"].before == pytest.approx(-data / 2)
    assert change.as_dict()["diff_total_monthly_cost"] == round(change.difference, 2)


def test_plan_references_link_a_service_to_its_task_definition(platform, price):
    service = {"address": "aws_ecs_service.api", "values": {"desired_count": 2, "capacity_provider_strategy": [
        {"capacity_provider": "FARGATE", "weight": 1}]}}
    task = {"address": "aws_ecs_task_definition.api", "values": {"cpu": "512", "memory": "1024"}}
    plan = {"planned_values": {"root_module": planned(service, task)}, "prior_state": {},
            "configuration": {"root_module": {"resources": [{"address": "aws_ecs_service.api", "expressions": {
                "task_definition": {"references": ["aws_ecs_task_definition.api.arn", "aws_ecs_task_definition.api"]}}}]}}}
    change = cost.plan_cost("backend", plan, platform)
    assert change.after == pytest.approx(2 * HOURS * (0.5 * price("fargate_vcpu_hour") + 1 * price("fargate_gb_hour")))


def test_json_holds_per_environment_workspace_and_resource_numbers(stacks, platform):
    estimates = cost.estimate_stacks(stacks, platform, ["network", "database"])
    data = json.loads(json.dumps(cost.as_json(platform, estimates)))
    assert data["environment"] == "dev"
    assert [w["workspace"] for w in data["workspaces"]] == ["network", "database"]
    for workspace, estimate in zip(data["workspaces"], estimates):
        line_sum = sum(line["monthly_cost"] for r in workspace["resources"] for line in r["lines"])
        assert workspace["total_monthly_cost"] == pytest.approx(estimate.total, abs=0.01) == pytest.approx(line_sum, abs=0.01)
        assert workspace["free"] and all(address.count(".") == 1 for address in workspace["free"])
    assert data["total_monthly_cost"] == pytest.approx(sum(e.total for e in estimates), abs=0.01)


def test_the_plan_json_names_its_workspace_by_the_default_tag():
    plan = {"configuration": {"provider_config": {"aws": {"expressions": {"default_tags": [
        {"tags": {"constant_value": {"workspace": "network", "environment": "dev"}}}]}}}}}
    assert cost.plan_workspace_name(plan) == "network"
    assert cost.plan_workspace_name({}) is None


def test_every_price_has_its_date_unit_and_pricing_page():
    for key, entry in prices.load_prices().items():
        assert entry.usd > 0 and entry.unit and entry.what, key
        assert entry.page.startswith("https://aws.amazon.com/") and entry.as_of[:4].isdigit(), key
        assert (entry.offer is None) == (not entry.match), key


def test_refresh_from_an_offer_file_rewrites_matched_prices_and_keeps_the_rest(tmp_path):
    table = tmp_path / "prices.toml"
    shutil.copy(prices.PRICES_FILE, table)
    before = table.read_text()
    rows = {row[0]: row for row in prices.refresh({"AmazonEC2": OFFER_FILE}, table)}
    refreshed = prices.load_prices(table)
    # The one us-east-1 product with this usage type: price, date and source from the offer file.
    assert refreshed["nat_gateway_hour"].usd == 0.048
    assert refreshed["nat_gateway_hour"].as_of == "2026-11-01"
    assert refreshed["nat_gateway_hour"].source == "offer file AmazonEC2 20261101000000"
    assert rows["nat_gateway_hour"][3] == "updated"
    # Two products match: the price is kept, and the row says why.
    assert refreshed["nat_gateway_gb"] == prices.load_prices()["nat_gateway_gb"]
    assert rows["nat_gateway_gb"][3].startswith("kept: 2 products of AmazonEC2 match")
    assert rows["fargate_spot_vcpu_hour"][3] == "kept: not in the offer files (hand-entered)"
    assert rows["alb_hour"][3] == "kept: no offer file AWSELB given"
    # Only the three lines of that entry changed: comments and layout stay.
    changed = [line for line in zip(before.splitlines(), table.read_text().splitlines()) if line[0] != line[1]]
    assert [new for _, new in changed] == ['usd = 0.048', 'as_of = "2026-11-01"',
                                          'source = "offer file AmazonEC2 20261101000000"']


def test_an_offer_file_must_be_one(tmp_path, capsys):
    not_offer = tmp_path / "x.json"
    not_offer.write_text("{}")
    assert prices.prices_command(True, [str(not_offer)]) == 1
    assert "is not a Price List offer file" in capsys.readouterr().err
