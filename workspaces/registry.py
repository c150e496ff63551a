"""Every workspace of the platform, and the order they deploy in.

What a workspace reads is said once, by the workspace itself: each `Workspace.read()` is
recorded while it is built, and main.py turns the records into `reads`, the deploy order and
the cdktf stack dependencies (refusing a read of an unknown workspace or output, and cycles).
The synthesized manifest keeps them, so commands that only need the order read it from the
synth result (`SynthResult.workspaces`) without building anything again. This module is plain
data (no provider bindings are imported).
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from toolkit.definition import Platform, Project

if TYPE_CHECKING:
    from constructs import Construct

    from workspaces.base import Workspace


@dataclass(frozen=True)
class WorkspaceSpec:
    name: str
    factory: str                 # "module:Class"; the class takes (scope, spec, platform[, project])
    reads: tuple[str, ...] = ()  # the workspaces whose outputs it read when built (`with_reads`)
    project: Project | None = None
    remote_state: bool = True    # False only for bootstrap, which creates the state bucket

    def build(self, scope: "Construct", platform: Platform) -> "Workspace":
        module_name, class_name = self.factory.split(":")
        workspace_class = getattr(importlib.import_module(module_name), class_name)
        return workspace_class(scope, self, platform)


def workspace_specs(platform: Platform) -> list[WorkspaceSpec]:
    """Every workspace, without its reads (those come from building it: `with_reads`)."""
    shared = [
        WorkspaceSpec("bootstrap", "workspaces.bootstrap:BootstrapWorkspace", remote_state=False),
        WorkspaceSpec("storage", "workspaces.storage:StorageWorkspace"),
        WorkspaceSpec("network", "workspaces.network:NetworkWorkspace"),
        WorkspaceSpec("edge", "workspaces.edge:EdgeWorkspace"),
        WorkspaceSpec("auth", "workspaces.auth:AuthWorkspace"),
        WorkspaceSpec("database", "workspaces.database:DatabaseWorkspace"),
        WorkspaceSpec("cluster", "workspaces.cluster:ClusterWorkspace"),
        WorkspaceSpec("ai", "workspaces.ai:AiWorkspace"),
        WorkspaceSpec("monitoring", "workspaces.monitoring:MonitoringWorkspace"),
    ]
    per_project = [
        WorkspaceSpec(f"{project.name}-{component}", f"workspaces.project:{component.title()}Workspace",
                      project=project)
        for project in platform.projects
        for component in ("backend", "frontend", "pipeline")
    ]
    return shared + per_project


def with_reads(specs: list[WorkspaceSpec], reads: Mapping[str, Sequence[str]]) -> list[WorkspaceSpec]:
    """The specs with what each workspace read when it was built (in the order of `specs`),
    in deploy order."""
    position = {spec.name: index for index, spec in enumerate(specs)}
    return deploy_order([replace(spec, reads=tuple(sorted(reads.get(spec.name, ()), key=lambda n: position.get(n, -1))))
                         for spec in specs])


def deploy_order(specs: list[WorkspaceSpec]) -> list[WorkspaceSpec]:
    """Topological order of the reads; raises on an unknown workspace or a cycle."""
    by_name = {spec.name: spec for spec in specs}
    ordered: list[WorkspaceSpec] = []
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name not in by_name:
            raise ValueError(f"workspace {path[-1]!r} reads {name!r}, which is not a workspace")
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ValueError(f"workspaces read each other in a cycle: {' -> '.join(path + (name,))}")
        state[name] = "visiting"
        for dependency in by_name[name].reads:
            visit(dependency, path + (name,))
        state[name] = "done"
        ordered.append(by_name[name])

    for spec in specs:
        visit(spec.name, ())
    return ordered
