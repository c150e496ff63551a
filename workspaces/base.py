"""What every workspace has: its state backend, its AWS provider, outputs, remote reads."""
from __future__ import annotations

import inspect
from typing import Any

import jsii
from cdktf import (
    Aspects,
    DataTerraformRemoteStateS3,
    IAspect,
    LocalBackend,
    S3Backend,
    TerraformDataSource,
    TerraformOutput,
    TerraformResource,
    TerraformStack,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderEndpoints
from constructs import Construct, IConstruct

from toolkit import emulator
from toolkit.definition import Platform
from workspaces.registry import WorkspaceSpec


def output_key(*parts: str) -> str:
    """Output names are snake case: output_key("target_group_arn", "lang-portal-api")."""
    return "_".join(part.replace("-", "_") for part in parts)


class Workspace(TerraformStack):
    """A TerraformStack that plans and applies on its own.

    Values from other workspaces come only through `read()` (an S3 remote-state data
    source per workspace read); each read is recorded (`reads`, `outputs_read`), and main.py
    derives the deploy order and stack dependencies from those records. Values for others go
    out through `publish()`.
    """

    def __init__(self, scope: Construct, spec: WorkspaceSpec, platform: Platform):
        super().__init__(scope, spec.name)
        self.spec = spec
        self.platform = platform
        self._remote_states: dict[str, DataTerraformRemoteStateS3] = {}
        self.outputs_read: set[tuple[str, str]] = set()   # (workspace, output) of every read
        self.published: dict[str, TerraformOutput] = {}
        if spec.remote_state:
            backend = S3Backend(self, key=self.state_key(spec.name), encrypt=True, **self._state_location())
            # S3-native locking (Terraform >= 1.10); the 0.21 bindings lack the field.
            backend.add_override("use_lockfile", True)
        else:
            LocalBackend(self, path="terraform.tfstate")
        # On AWS, a plan with another account's credentials stops before it reads or changes anything.
        connection = (emulator.provider_settings(platform.emulator_url) if platform.on_emulator
                      else {"allowed_account_ids": [platform.account_id]})
        self.provider = AwsProvider(self, "aws", region=platform.region, default_tags=[{"tags": self.default_tags}],
                                    **connection)
        if platform.on_emulator:
            Aspects.of(self).add(EmulatorEndpoints(self.provider, platform.emulator_url))

    @property
    def default_tags(self) -> dict[str, str]:
        return {
            "project": self.platform.name,
            "environment": self.platform.environment,
            "workspace": self.spec.name,
            "managed-by": "cdktf",
        }

    def _state_location(self) -> dict[str, Any]:
        """Where the S3 backend and the remote-state reads find the state bucket."""
        state = self.platform.state
        location: dict[str, Any] = {"bucket": self.platform.state_bucket, "region": state.region}
        if self.platform.on_emulator:
            location.update(emulator.state_settings(self.platform.emulator_url))
        return location

    def state_key(self, workspace: str) -> str:
        return f"{self.platform.environment}/{workspace}/terraform.tfstate"

    def name(self, *parts: str) -> str:
        """A resource name unique to platform and environment: app-dw-dev-<parts>."""
        return self.platform.resource_name(*parts)

    @property
    def reads(self) -> tuple[str, ...]:
        """The workspaces whose outputs this one read, in the order it first read them."""
        return tuple(self._remote_states)

    def remote_state(self, workspace: str, output: str) -> DataTerraformRemoteStateS3:
        if workspace == self.spec.name:
            raise ValueError(f"workspace {workspace!r} reads its own output {output!r}: use the value itself")
        self.outputs_read.add((workspace, output))
        if workspace not in self._remote_states:
            self._remote_states[workspace] = DataTerraformRemoteStateS3(
                self, f"remote-{workspace}", key=self.state_key(workspace), **self._state_location())
        return self._remote_states[workspace]

    def read(self, workspace: str, *output: str) -> str:
        """A string output of another workspace, e.g. read("network", "vpc_id")."""
        key = output_key(*output)
        return self.remote_state(workspace, key).get_string(key)

    def read_list(self, workspace: str, *output: str) -> list[str]:
        key = output_key(*output)
        return self.remote_state(workspace, key).get_list(key)

    def read_number(self, workspace: str, *output: str) -> float:
        key = output_key(*output)
        return self.remote_state(workspace, key).get_number(key)

    def publish(self, name: str, value: Any, description: str, *, sensitive: bool = False) -> TerraformOutput:
        """Declare an output other workspaces (or people) read."""
        if name in self.published:
            raise ValueError(f"workspace {self.spec.name!r} publishes {name!r} twice")
        output = TerraformOutput(self, name, value=value, description=description, sensitive=sensitive)
        output.override_logical_id(name)
        self.published[name] = output
        return output


@jsii.implements(IAspect)
class EmulatorEndpoints:
    """On the emulator target, sends every service the workspace's resources and data sources
    use to the emulator: the provider's `endpoints` are derived at synth time, so a new
    resource type needs no list kept by hand."""

    known = frozenset(inspect.signature(AwsProviderEndpoints.__init__).parameters) - {"self"}

    def __init__(self, provider: AwsProvider, url: str):
        self.provider = provider
        self.url = url
        self.services: set[str] = set()
        self._add(emulator.ALWAYS_CALLED)

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, (TerraformResource, TerraformDataSource)):
            service = emulator.endpoint_service(node.terraform_resource_type, self.known)
            if service and service not in self.services:
                self._add([service])

    def _add(self, services) -> None:
        self.services.update(services)
        self.provider.add_override("endpoints", [{name: self.url for name in sorted(self.services)}])
