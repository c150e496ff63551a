"""The platform definition rejects bad values with a message naming field and value."""
from __future__ import annotations

import copy
import tomllib

import pytest

from toolkit.definition import DEFAULT_DEFINITION, DefinitionError, Platform, load_platform, parse_definition

BASE = tomllib.loads(DEFAULT_DEFINITION.read_text())


def rejected(change) -> str:
    data = copy.deepcopy(BASE)
    change(data)
    with pytest.raises(DefinitionError) as raised:
        parse_definition(data)
    return str(raised.value)


def test_the_shipped_definition_holds_the_spec_values():
    platform = load_platform(environment="dev")
    assert platform.domain == "app-dw.net"
    assert platform.region == "us-east-1"
    assert str(platform.network.vpc_cidr) == "10.0.0.0/16"
    assert platform.network.tiers == {
        "public": ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
        "private": ["10.0.3.0/24", "10.0.4.0/24", "10.0.5.0/24"],
        "database": ["10.0.6.0/24", "10.0.7.0/24", "10.0.8.0/24"],
    }
    assert [p.name for p in platform.projects] == ["lang-portal", "haiku", "vocab-generator", "writing-practice"]
    assert platform.env.nat_gateways == "single"
    assert load_platform(environment="prod").env.nat_gateways == "per_az"


def test_overlapping_subnets_are_rejected():
    message = rejected(lambda d: d["network"]["private_subnets"].__setitem__(0, "10.0.0.0/23"))
    assert "private_subnets: 10.0.0.0/23 overlaps public_subnets 10.0.0.0/24" in message


def test_subnet_outside_the_vpc_is_rejected():
    message = rejected(lambda d: d["network"]["database_subnets"].__setitem__(2, "10.9.8.0/24"))
    assert "database_subnets: 10.9.8.0/24 is outside the VPC CIDR 10.0.0.0/16" in message


def test_port_out_of_range_names_project_and_value():
    message = rejected(lambda d: d["projects"][3]["services"][0].__setitem__("port", 70000))
    assert "projects[writing-practice].services.0.port" in message
    assert "70000" in message


def test_unknown_project_in_calls_is_rejected():
    message = rejected(lambda d: d["projects"][2].__setitem__("calls", ["lang-portal", "grammar-quiz"]))
    assert "project 'vocab-generator' calls unknown project 'grammar-quiz'" in message


def test_launched_study_activities_must_be_other_projects():
    message = rejected(lambda d: d["projects"][0].__setitem__("launches", ["writing-practice", "grammar-quiz"]))
    assert "project 'lang-portal' launches 'grammar-quiz', which is not another project" in message
    message = rejected(lambda d: d["projects"][0].__setitem__("launches", ["lang-portal"]))
    assert "launches 'lang-portal', which is not another project" in message


def test_bad_domain_is_rejected():
    message = rejected(lambda d: d["platform"].__setitem__("domain", "App DW.net"))
    assert "platform.domain" in message and "'App DW.net' is not a valid DNS domain name" in message


def test_unknown_field_is_rejected():
    message = rejected(lambda d: d["containers"].__setitem__("cpus", 2))
    assert "containers.cpus" in message and "Extra inputs are not permitted" in message


def test_fargate_cpu_must_be_a_valid_size():
    message = rejected(lambda d: d["containers"].__setitem__("cpu", 1000))
    assert "containers.cpu" in message and "1000" in message


def test_capacity_bounds_must_be_ordered():
    message = rejected(lambda d: d["containers"].__setitem__("min_capacity", 5))
    assert "min_capacity 5 is above max_capacity 3" in message


def test_database_secret_needs_a_database():
    message = rejected(lambda d: d["projects"][2]["services"][1]["secrets"].append("DATABASE_URL"))
    assert "reads DATABASE_URL but project 'vocab-generator' has database = false" in message


def test_calls_need_an_api_to_call():
    message = rejected(lambda d: d["projects"][0].__setitem__("calls", ["writing-practice"]))
    assert "calls 'writing-practice', which has no 'api' service" in message


def test_unknown_environment_is_rejected():
    with pytest.raises(DefinitionError, match="environment 'staging' is not defined"):
        Platform(parse_definition(copy.deepcopy(BASE)), "staging")


def test_unreadable_files_are_clear_errors(tmp_path):
    with pytest.raises(DefinitionError, match="does not exist"):
        load_platform(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[platform\nname = 1")
    with pytest.raises(DefinitionError, match="is not valid TOML"):
        load_platform(broken)


def test_synth_entry_point_reports_definition_errors_without_a_traceback(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.toml"
    bad.write_text(DEFAULT_DEFINITION.read_text().replace('vpc_cidr = "10.0.0.0/16"', 'vpc_cidr = "10.0.0.0/33"'))
    done = subprocess.run([sys.executable, "-m", "toolkit", "synth"], capture_output=True, text=True,
                          env={**__import__("os").environ, "APP_DW_CONFIG": str(bad)})
    assert done.returncode == 2
    assert "network.vpc_cidr" in done.stderr and "10.0.0.0/33" in done.stderr
    assert "Traceback" not in done.stderr
