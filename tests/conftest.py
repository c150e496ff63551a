"""Synthesis happens once per test session; tests read the JSON it wrote."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from toolkit.bindings import install_lazy_provider_package  # noqa: E402

install_lazy_provider_package()

from toolkit.definition import load_platform  # noqa: E402
from toolkit.synth import SynthResult, synthesize  # noqa: E402

_synthesized: dict[str, SynthResult] = {}


@pytest.fixture(scope="session")
def synth_env(tmp_path_factory):
    """synth_env("prod") -> SynthResult, synthesized once per environment per session."""

    def get(environment: str) -> SynthResult:
        if environment not in _synthesized:
            platform = load_platform(environment=environment)
            _synthesized[environment] = synthesize(
                platform, tmp_path_factory.mktemp(f"synth-{environment}"), use_cache=False)
        return _synthesized[environment]

    return get


@pytest.fixture(scope="session")
def platform():
    return load_platform(environment="dev")


@pytest.fixture(scope="session")
def synth(synth_env) -> SynthResult:
    return synth_env("dev")


@pytest.fixture(scope="session")
def stacks(synth) -> dict[str, dict]:
    """{workspace: parsed cdk.tf.json} of the dev environment."""
    return synth.stacks
