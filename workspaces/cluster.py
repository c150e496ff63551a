"""cluster workspace (scaffold: being built)."""
from workspaces.base import Workspace


class ClusterWorkspace(Workspace):
    pass
