"""Per-project workspaces (scaffold: being built)."""
from workspaces.base import Workspace


class BackendWorkspace(Workspace):
    pass


class FrontendWorkspace(Workspace):
    pass


class PipelineWorkspace(Workspace):
    pass
