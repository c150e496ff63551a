"""edge workspace (scaffold: being built)."""
from workspaces.base import Workspace


class EdgeWorkspace(Workspace):
    pass
