"""Every workspace, in deploy order, and the workspaces whose outputs it reads.

This module is plain data (no provider bindings are imported), so commands that only need
the order (validate, plan, e2e) stay fast. `Workspace.read` refuses a read that is not
declared here, and the synth tests check each declared read names a real output.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit.definition import Platform, Project, Service

if TYPE_CHECKING:
    from constructs import Construct

    from workspaces.base import Workspace


@dataclass(frozen=True)
class WorkspaceSpec:
    name: str
    factory: str                 # "module:Class"; the class takes (scope, spec, platform[, project])
    reads: tuple[str, ...] = ()
    project: Project | None = None
    remote_state: bool = True    # False only for bootstrap, which creates the state bucket

    def build(self, scope: "Construct", platform: Platform) -> "Workspace":
        module_name, class_name = self.factory.split(":")
        workspace_class = getattr(importlib.import_module(module_name), class_name)
        return workspace_class(scope, self, platform)


def _service_reads(services: list[Service]) -> list[str]:
    """What a workspace running these container services reads (workspaces/project.py)."""
    if not services:
        return []
    reads = ["network", "cluster", "monitoring", "auth"]   # auth: every app verifies Cognito tokens
    if any(s.secrets or "s3-media" in s.aws_services for s in services):
        reads.append("storage")              # the key of the secrets; the media bucket
    if any(s.on_load_balancer for s in services):
        reads.append("edge")
    if any(set(s.aws_services) - {"s3-media"} for s in services):   # Bedrock, Polly policies
        reads.append("ai")
    if any("DATABASE_URL" in s.secrets for s in services):
        reads.append("database")
    return reads


def project_reads(platform: Platform, project: Project, component: str) -> tuple[str, ...]:
    """What a project workspace reads follows from its manifest."""
    if component == "pipeline":
        reads = ["storage"]                  # artifact bucket and keys
        if any(project.services_of(c) for c in project.components):
            reads += ["cluster", f"{project.name}-backend"]
        if project.frontend == "static":
            reads.append("auth")             # the SPA's Cognito client id in its config.json
        if project.frontend == "static" or project.services_of("frontend"):
            reads.append(f"{project.name}-frontend")
        return tuple(dict.fromkeys(reads))
    services = project.services_of(component)
    if component == "backend":
        reads = ["storage"] + _service_reads(services)   # storage: the image repositories' key
    else:
        reads = ["storage", "edge"] if project.frontend == "static" else []
        reads += _service_reads(services)
        if services:
            reads.append(f"{project.name}-backend")      # the UI images' repositories
    return tuple(dict.fromkeys(reads))


def workspace_specs(platform: Platform) -> list[WorkspaceSpec]:
    shared = [
        WorkspaceSpec("bootstrap", "workspaces.bootstrap:BootstrapWorkspace", remote_state=False),
        WorkspaceSpec("storage", "workspaces.storage:StorageWorkspace"),
        WorkspaceSpec("network", "workspaces.network:NetworkWorkspace", ("storage",)),
        WorkspaceSpec("edge", "workspaces.edge:EdgeWorkspace", ("network", "storage")),
        WorkspaceSpec("auth", "workspaces.auth:AuthWorkspace", ("edge", "storage")),
        WorkspaceSpec("database", "workspaces.database:DatabaseWorkspace", ("network", "storage")),
        WorkspaceSpec("cluster", "workspaces.cluster:ClusterWorkspace", ("network", "storage")),
        WorkspaceSpec("ai", "workspaces.ai:AiWorkspace"),
        WorkspaceSpec("monitoring", "workspaces.monitoring:MonitoringWorkspace",
                      ("storage", "edge", "auth", "database", "cluster")),
    ]
    per_project = [
        WorkspaceSpec(f"{project.name}-{component}", f"workspaces.project:{component.title()}Workspace",
                      project_reads(platform, project, component), project=project)
        for project in platform.projects
        for component in ("backend", "frontend", "pipeline")
    ]
    return shared + per_project


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
